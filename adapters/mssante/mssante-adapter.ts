/**
 * The national (MSSanté) adapter: opens mail from operators and seals mail for them.
 *
 * Sealing writes the MIME message with the `X-MSS-*` headers, signs it (S/MIME, SHA-256)
 * when a signer is configured and encrypts it for recipients that publish a certificate;
 * opening decrypts and verifies S/MIME layers, then reads the MIME. Hand-over goes through a
 * `NationalTransport`: the mutual-TLS `OutboundClient` in production.
 *
 * @example
 * const a = new MssanteAdapter({ domain: 'passerelle.mssante.test', nil: 'Passerelle/0.1', transport });
 * const sealed = await a.seal(outbound);
 * await a.deliver(sealed);
 */
import { simpleParser, type AddressObject } from 'mailparser';
import type { DeliveryOutcome, DispositionRequest, FailureNotice, NetworkAdapter } from '../../core/ports/adapter.js';
import { headerBag } from '../../core/pipeline/header-peek.js';
import { concatBytes } from '../../lib/bytes.js';
import { buildDsn } from './dsn.js';
import { buildMdn } from './mdn.js';
import type { Attachment, Content } from '../../core/model/content.js';
import type { Envelope } from '../../core/model/envelope.js';
import type { OpenedMessage, OutboundMessage, SealedMessage } from '../../core/model/message.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import { bodyPart, headerBlock, writeMime } from '../../lib/mime/mime-writer.js';
import type * as pkijs from 'pkijs';
import type { SmimeSigner } from './smime/sign.js';
import type { SmimeDecryptor } from './smime/decrypt.js';
import { protectEntity, unprotectEntity } from './smime/protect.js';
import { readSmimeEntity } from './smime/mime.js';
import { smimeRecipient } from './smime/encrypt.js';
import { parseCertificates } from './tls/anchors.js';
import { mssHeaders } from './headers.js';

/** Hands sealed mail to national operators (mutual TLS in production). */
export interface NationalTransport {
  send(message: SealedMessage): Promise<DeliveryOutcome[]>;
  close(): Promise<void>;
}

export interface MssanteAdapterOptions {
  /** The gateway's own national domain. */
  domain: string;
  /** `X-MSS-NIL` value. */
  nil: string;
  transport: NationalTransport;
  /** S/MIME: sign what leaves, decrypt and verify what arrives. */
  smime?: {
    signer?: SmimeSigner;
    signature?: 'opaque' | 'detached';
    decryptor?: SmimeDecryptor;
    /** Anchors that inbound signatures must chain to. */
    anchors: pkijs.Certificate[];
    /** CRLs that inbound signers are checked against, as currently installed. */
    crls?: () => pkijs.CertificateRevocationList[];
    cipher?: 'aes-256-cbc' | 'aes-256-gcm';
  };
  now?: () => Date;
}

const ADDRESS = /^[^\s@]+@[a-z0-9.-]+\.[a-z]{2,}$/i;

export class MssanteAdapter implements NetworkAdapter {
  readonly network = 'mssante' as const;
  private readonly now: () => Date;

  constructor(private readonly o: MssanteAdapterOptions) {
    this.now = o.now ?? (() => new Date());
  }

  get ownAddress(): string {
    return `postmaster@${this.o.domain}`;
  }

  isNetworkAddress(address: string): boolean {
    return ADDRESS.test(address);
  }

  async open(raw: Uint8Array, envelope: Envelope): Promise<OpenedMessage> {
    const meta: Record<string, string> = {};
    let mime = raw;
    let kind: ReturnType<typeof readSmimeEntity>['kind'] = 'plain';
    try {
      kind = readSmimeEntity(raw).kind;
    } catch {
      /* not S/MIME: read as it is */
    }
    if (kind !== 'plain') {
      // Decrypt and verify after acceptance only: the SMTP reply never depends on it.
      const u = await unprotectEntity(raw, { decryptor: this.o.smime?.decryptor, anchors: this.o.smime?.anchors ?? [], crls: this.o.smime?.crls?.() });
      mime = replaceBody(raw, u.entity);
      meta.smime = `${u.encrypted ? 'encrypted' : 'not encrypted'}, ${u.signer ? 'signature verified' : 'not signed'}`;
    }
    let parsed;
    try {
      parsed = await simpleParser(Buffer.from(mime.buffer, mime.byteOffset, mime.byteLength), { skipImageLinks: true, skipTextToHtml: true });
    } catch (err) {
      throw new GatewayError('CANNOT_OPEN', { detail: `MIME could not be parsed: ${(err as Error).message}` });
    }
    const attachments: Attachment[] = parsed.attachments.map((a) => ({
      filename: a.filename ?? 'piece-jointe', contentType: a.contentType, data: new Uint8Array(a.content),
    }));
    const ctHeader = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
    const ct = String(ctHeader?.value ?? '');
    const reportType = String(ctHeader?.params?.['report-type'] ?? '').toLowerCase();
    const content: Content = ct === 'multipart/report'
      ? {
        kind: 'notification', notification: reportType === 'disposition-notification' ? 'mdn' : 'dsn', text: parsed.text ?? '', attachments: [],
        ...(parsed.headers.get('references') || parsed.inReplyTo ? { originalMessageId: String(parsed.inReplyTo ?? parsed.headers.get('references')).split(/\s+/)[0] } : {}),
      }
      : { kind: 'letter', text: parsed.text ?? '', ...(parsed.html ? { html: parsed.html } : {}), attachments };
    const dnt = parsed.headers.get('disposition-notification-to');
    return {
      envelope,
      from: addresses(parsed.from)[0] ?? envelope.mailFrom,
      to: addresses(parsed.to),
      cc: addresses(parsed.cc),
      subject: parsed.subject ?? '',
      date: parsed.date?.toUTCString(),
      inReplyTo: parsed.inReplyTo,
      dispositionNotificationTo: dnt ? addresses(dnt as AddressObject)[0] : undefined,
      content,
      meta,
    };
  }

  async seal(m: OutboundMessage): Promise<SealedMessage> {
    if (m.wire) return { target: 'mssante', mailFrom: '', recipients: [...m.to, ...m.cc], raw: m.wire };
    const headers: Record<string, string> = {
      From: m.from,
      To: m.to.join(', '),
      ...(m.cc.length ? { Cc: m.cc.join(', ') } : {}),
      Subject: m.subject || defaultSubject(m),
      Date: this.now().toUTCString().replace('GMT', '+0000'),
      'Message-ID': m.headers['Message-ID'] ?? `<${m.sourceId}.mssante@${this.o.domain}>`,
      ...(m.inReplyTo ? { 'In-Reply-To': m.inReplyTo } : {}),
      ...(m.originalMessageId ? { References: m.originalMessageId } : {}),
      ...(m.priority === 'urgent' ? { Importance: 'high', 'X-Priority': '1 (Highest)' } : {}),
      ...(m.content.kind === 'notification' ? { 'Auto-Submitted': 'auto-replied' } : {}),
      ...mssHeaders({
        nil: this.o.nil,
        cdaCodes: (m.headers['X-MSS-CODECDA'] ?? '').split(',').map((c) => c.trim()).filter(Boolean),
        // A social-security number from a legacy document never makes the INS qualified.
        ...(m.content.kind === 'lab-report' ? { insQualified: false } : {}),
      }),
    };
    for (const [k, v] of Object.entries(m.headers)) if (k !== 'Message-ID' && !/^x-mss-/i.test(k)) headers[k] = v;
    const attachments = [...m.content.attachments];
    if (m.content.kind === 'lab-report' && m.content.hprim) {
      // Lossless rule: the original HPRIM always travels too.
      attachments.push({ filename: 'compte-rendu-original.hpr', contentType: 'text/plain; charset=iso-8859-1', data: latin1(m.content.hprim) });
    }
    const body = { text: m.content.text, ...(m.content.kind === 'letter' && m.content.html ? { html: m.content.html } : {}), attachments };
    const recipients = [...m.to, ...m.cc];
    const certs = recipients.map((r) => m.recipientCertificates?.[r.toLowerCase()]).filter((c): c is string => !!c);
    const encryptFor = certs.length === recipients.length ? certs : [];
    const mailFrom = m.content.kind === 'notification' ? '' : m.from;
    if (!this.o.smime?.signer && encryptFor.length === 0) {
      return { target: 'mssante', mailFrom, recipients, raw: writeMime({ headers, ...body }) };
    }
    const entity = new TextEncoder().encode(bodyPart(body));
    const protectedEntity = await protectEntity(entity, {
      signer: this.o.smime?.signer,
      signature: this.o.smime?.signature,
      recipients: await Promise.all(encryptFor.map((pem) => this.recipientFor(pem))),
      cipher: this.o.smime?.cipher,
    });
    const raw = concatBytes(new TextEncoder().encode(headerBlock(headers) + 'MIME-Version: 1.0\r\n'), protectedEntity);
    const notes = [`S/MIME: ${this.o.smime?.signer ? 'signed' : 'not signed'}, ${encryptFor.length ? 'encrypted' : 'not encrypted (no recipient certificate)'}`];
    return { target: 'mssante', mailFrom, recipients, raw, notes };
  }

  deliver(message: SealedMessage): Promise<DeliveryOutcome[]> {
    return this.o.transport.send(message);
  }

  /** Recipients' certificates parsed and their keys imported once (a few per recipient, reused per message). */
  private readonly recipients = new Map<string, ReturnType<typeof smimeRecipient>>();

  private recipientFor(pem: string): ReturnType<typeof smimeRecipient> {
    let r = this.recipients.get(pem);
    if (!r) {
      r = smimeRecipient(parseCertificates(pem)[0]);
      r.catch(() => this.recipients.delete(pem));
      if (this.recipients.size > 10_000) this.recipients.delete(this.recipients.keys().next().value as string);
      this.recipients.set(pem, r);
    }
    return r;
  }

  /** An RFC 3464 DSN (multipart/report) from the null sender, with the original's headers. */
  async failureNotice(n: FailureNotice): Promise<OutboundMessage> {
    const text = [
      'This is the Passerelle gateway. Your message could not be delivered to the legacy network:',
      '',
      ...n.failures.map((f) => `  ${f.recipient}: ${f.reply}`),
      '',
      `Reason: ${n.reason}`,
      '',
    ].join('\r\n');
    const dsn = n.originalRaw
      ? buildDsn({
        originalHeaders: headerBag(n.originalRaw), originalSender: n.to, originalMessageId: n.originalMessageId,
        reportingMta: `mx.${this.o.domain}`, from: `MAILER-DAEMON@${this.o.domain}`, envelopeId: n.original.id,
        arrivalDate: new Date(n.original.receivedAt), reason: n.reason, originalRaw: n.originalRaw,
        recipients: n.failures.map((f) => ({ recipient: f.recipient, action: 'failed' as const, status: statusOf(f.reply), reply: f.reply })),
      })
      : null;
    return {
      sourceId: n.original.id, target: 'mssante', from: `MAILER-DAEMON@${this.o.domain}`, to: [n.to], cc: [],
      subject: 'Undelivered message / Message non remis', originalMessageId: n.originalMessageId ?? undefined,
      inReplyTo: n.originalMessageId ?? undefined, priority: 'normal',
      content: { kind: 'notification', notification: 'dsn', originalMessageId: n.originalMessageId ?? undefined, text, attachments: [] },
      headers: {},
      ...(dsn ? { wire: dsn.raw } : {}),
    };
  }

  /** An RFC 8098 MDN when the original asked for one (never about a notification). */
  async dispositionNotice(r: DispositionRequest): Promise<OutboundMessage | null> {
    const mdn = buildMdn({
      originalHeaders: headerBag(r.originalRaw), originalSender: r.original.mailFrom, originalMessageId: r.original.messageId,
      finalRecipient: r.recipient, disposition: r.disposition, errorText: r.errorText, from: `postmaster@${this.o.domain}`,
      reportingUa: `mx.${this.o.domain}; ${this.o.nil}`, originalRaw: r.originalRaw,
    });
    if (!mdn) return null;
    return {
      sourceId: r.original.id, target: 'mssante', from: `postmaster@${this.o.domain}`, to: [mdn.to], cc: [],
      subject: 'Disposition notification', originalMessageId: r.original.messageId ?? undefined, priority: 'normal',
      content: { kind: 'notification', notification: 'mdn', originalMessageId: r.original.messageId ?? undefined, text: '', attachments: [] },
      headers: {}, wire: mdn.raw,
    };
  }

  close(): Promise<void> {
    return this.o.transport.close();
  }
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  if (!a) return [];
  const list = Array.isArray(a) ? a : [a];
  return list.flatMap((x) => x.value).map((v) => (v.address ?? '').toLowerCase()).filter(Boolean);
}

function defaultSubject(m: OutboundMessage): string {
  return m.content.kind === 'lab-report' ? 'Compte rendu de biologie' : 'Message';
}

function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c < 256 ? c : 0x3f;
  }
  return out;
}

/** The message's own header fields (less its Content-* ones) followed by a new entity. */
function replaceBody(raw: Uint8Array, entity: Uint8Array): Uint8Array {
  const text = new TextDecoder('latin1').decode(raw.subarray(0, Math.min(raw.length, 256 * 1024)));
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)
    .filter((l) => !/^(content-[a-z-]+|mime-version)\s*:/i.test(l)).join('\r\n') + '\r\n';
  return concatBytes(Uint8Array.from(head, (c) => c.charCodeAt(0) & 0xff), entity);
}

function statusOf(reply: string): string {
  return reply.match(/\b([245]\.\d{1,3}\.\d{1,3})\b/)?.[1] ?? (reply.startsWith('4') ? '4.0.0' : '5.0.0');
}
