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
import { MDN_POLICY, mdnErrorFor, type MdnPolicy } from './mdn-guide.js';
import type { ReportFile } from './report.js';
import type { Attachment, Content } from '../../core/model/content.js';
import type { Envelope } from '../../core/model/envelope.js';
import type { OpenedMessage, OutboundMessage, SealedMessage } from '../../core/model/message.js';
import { asGatewayError, GatewayError } from '../../core/errors/gateway-error.js';
import { bodyPart, headerBlock, writeMime } from '../../lib/mime/mime-writer.js';
import type * as pkijs from 'pkijs';
import type { SmimeSigner } from './smime/sign.js';
import type { SmimeDecryptor } from './smime/decrypt.js';
import type { SignatureEngine } from './smime/verify.js';
import { protectEntity, unprotectEntity } from './smime/protect.js';
import { readSmimeEntity } from './smime/mime.js';
import { rfc5322Date } from '../../lib/mime/date.js';
import { smimeRecipient, type AesCbcEncrypt, type RsaOaepEncrypt } from './smime/encrypt.js';
import { parseCertificates } from './tls/anchors.js';
import { readCertificateFile, recipientCertificateProblem, SKIP_REASON_TEXT, type RecipientCertificateSource, type SkipReason } from './smime/recipient-certificates.js';
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
    /** AES-256-CBC by another engine than WebCrypto (the Node runtime: `node:crypto`, synchronous). */
    aesCbc?: AesCbcEncrypt;
    /** The content key's RSA-OAEP encryption by another engine than WebCrypto (the same). */
    rsaOaep?: RsaOaepEncrypt;
    /** Inbound signatures' digests and RSA verification by another engine than WebCrypto (the same). */
    signatures?: SignatureEngine;
    /**
     * Recipients' encryption certificates (the configured folder), looked up at seal time:
     * by exact address first, then the directory's (`OutboundMessage.recipientCertificates`),
     * then by domain. See docs/smime.md.
     */
    recipientCertificates?: RecipientCertificateSource;
  };
  /** How MDNs are written (defaults: `MDN_POLICY` in `mdn-guide.ts`, the national guide's form). */
  mdn?: Partial<MdnPolicy>;
  now?: () => Date;
}

/**
 * What `seal` returns when only some recipients publish a certificate: one copy per wire
 * form (`copies`, each for its own recipients); `raw` is the encrypted copy. `deliver`
 * hands over each copy.
 */
export interface NationalSealedMessage extends SealedMessage {
  copies?: SealedMessage[];
}

/** The certificate chosen for one recipient, and how; `skipped` when a directory certificate was refused. */
interface Choice {
  pem?: string;
  via?: 'address' | 'directory' | 'domain';
  skipped?: SkipReason;
}

/** Trace notes for refused directory certificates (counts and rules only, no address). */
function certificateNotes(chosen: Choice[]): string[] {
  const counts = new Map<SkipReason, number>();
  for (const c of chosen) if (c.skipped) counts.set(c.skipped, (counts.get(c.skipped) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `S/MIME: ${n} directory certificate(s) not used: ${SKIP_REASON_TEXT[reason]}`);
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
    let outer: ReturnType<typeof readSmimeEntity> = { kind: 'plain' };
    try {
      outer = readSmimeEntity(raw);
    } catch {
      /* not S/MIME: read as it is */
    }
    if (outer.kind !== 'plain') {
      // Decrypt and verify after acceptance only: the SMTP reply never depends on it.
      const u = await unprotectEntity(raw, { outer, decryptor: this.o.smime?.decryptor, anchors: this.o.smime?.anchors ?? [], crls: this.o.smime?.crls?.(), signatures: this.o.smime?.signatures });
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
    // Envelope: the recipients of this copy; To and Cc are the original's, for display.
    const recipients = m.recipients ?? [...m.to, ...m.cc];
    if (m.wire) return { target: 'mssante', mailFrom: '', recipients, raw: m.wire };
    const headers: Record<string, string> = {
      From: m.from,
      To: (m.to.length ? m.to : recipients).join(', '),
      ...(m.cc.length ? { Cc: m.cc.join(', ') } : {}),
      Subject: m.subject || defaultSubject(m),
      Date: rfc5322Date(this.now()),
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
    const mailFrom = m.content.kind === 'notification' ? '' : m.from;
    const at = this.now();
    const chosen = recipients.map((r) => this.certificateFor(r, m.recipientCertificates, at));
    const encrypted = recipients.filter((_, i) => chosen[i].pem);
    const clear = recipients.filter((_, i) => !chosen[i].pem);
    if (!this.o.smime?.signer && encrypted.length === 0) {
      return { target: 'mssante', mailFrom, recipients, raw: writeMime({ headers, ...body }), notes: certificateNotes(chosen) };
    }
    const head = new TextEncoder().encode(headerBlock(headers) + 'MIME-Version: 1.0\r\n');
    const entity = new TextEncoder().encode(bodyPart(body));
    // Sign once; the signed entity is what travels in clear and what is encrypted.
    const signed = await protectEntity(entity, { signer: this.o.smime?.signer, signature: this.o.smime?.signature });
    const signedNote = this.o.smime?.signer ? 'signed' : 'not signed';
    const clearRaw = () => (this.o.smime?.signer ? concatBytes(head, signed) : writeMime({ headers, ...body }));
    if (encrypted.length === 0) {
      return { target: 'mssante', mailFrom, recipients, raw: clearRaw(), notes: [`S/MIME: ${signedNote}, not encrypted (no recipient certificate)`, ...certificateNotes(chosen)] };
    }
    const pems = [...new Set(chosen.map((c) => c.pem).filter((p): p is string => !!p))];
    const encryptedRaw = concatBytes(head, await protectEntity(signed, {
      recipients: await Promise.all(pems.map((pem) => this.recipientFor(pem))),
      cipher: this.o.smime?.cipher,
      aesCbc: this.o.smime?.aesCbc,
      rsaOaep: this.o.smime?.rsaOaep,
    }));
    const by = (via: Choice['via']) => chosen.filter((c) => c.via === via).length;
    const how = `certificates: ${by('address')} by address, ${by('directory')} from the directory, ${by('domain')} by domain`;
    if (clear.length === 0) {
      return { target: 'mssante', mailFrom, recipients, raw: encryptedRaw, notes: [`S/MIME: ${signedNote}, encrypted for ${recipients.length} recipient(s) (${how})`, ...certificateNotes(chosen)] };
    }
    // Some recipients publish a certificate, others do not: each gets one copy, encrypted
    // when it can be read by them, in clear (signed) otherwise. `raw` is the encrypted copy,
    // so a transport handed this message as a whole never sends the clear copy to everyone.
    const sealed: NationalSealedMessage = {
      target: 'mssante', mailFrom, recipients, raw: encryptedRaw,
      copies: [
        { target: 'mssante', mailFrom, recipients: encrypted, raw: encryptedRaw },
        { target: 'mssante', mailFrom, recipients: clear, raw: clearRaw() },
      ],
      notes: [
        `S/MIME: ${signedNote}; split in two copies: encrypted for the ${encrypted.length} recipient(s) with a certificate (${how}), not encrypted for the ${clear.length} without`,
        ...certificateNotes(chosen),
      ],
    };
    return sealed;
  }

  /**
   * The certificate to encrypt for `recipient`: the folder's certificate for that exact
   * address, else the directory's (when usable now), else the folder's for its domain.
   */
  private certificateFor(recipient: string, fromDirectory: Record<string, string> | undefined, at: Date): Choice {
    const address = recipient.trim().toLowerCase();
    const source = this.o.smime?.recipientCertificates;
    const exact = source?.forAddress(address, at);
    if (exact) return { pem: exact.pem, via: 'address' };
    let skipped: SkipReason | undefined;
    const dirPem = fromDirectory?.[address];
    if (dirPem) {
      const problem = this.directoryCertificateProblem(dirPem, at);
      if (!problem) return { pem: dirPem, via: 'directory' };
      skipped = problem;
    }
    const domain = source?.forDomain(address.slice(address.lastIndexOf('@') + 1), at);
    if (domain) return { pem: domain.pem, via: 'domain', skipped };
    return { skipped };
  }

  /** Directory certificates are checked like the folder's (dates, RSA key, usage); parsed once per PEM. */
  private readonly directoryCertificates = new Map<string, pkijs.Certificate | null>();

  private directoryCertificateProblem(pem: string, at: Date): SkipReason | null {
    let cert = this.directoryCertificates.get(pem);
    if (cert === undefined) {
      cert = readCertificateFile(new TextEncoder().encode(pem))?.certificate ?? null;
      if (this.directoryCertificates.size > 10_000) this.directoryCertificates.delete(this.directoryCertificates.keys().next().value as string);
      this.directoryCertificates.set(pem, cert);
    }
    return cert ? recipientCertificateProblem(cert, at) : 'not-a-certificate';
  }

  /** Hands the message over; a message sealed in several copies goes as each copy, to its recipients. */
  async deliver(message: SealedMessage): Promise<DeliveryOutcome[]> {
    const copies = (message as NationalSealedMessage).copies;
    if (!copies?.length) return this.o.transport.send(message);
    // A copy whose hand-over throws fails for its own recipients only (the other copy may be delivered).
    const settled = await Promise.allSettled(copies.map((c) => this.o.transport.send(c)));
    return settled.flatMap((r, i) => (r.status === 'fulfilled'
      ? r.value
      : copies[i].recipients.map((recipient) => {
        const ge = asGatewayError(r.reason, 'REMOTE_TEMPORARY');
        return { recipient, result: ge.permanent ? 'permanent' as const : 'temporary' as const, reply: ge.reply };
      })));
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

  /**
   * An RFC 8098 MDN in the national guide's form when the original asked for one (never
   * about a notification): `processed`, or `processed/Error: CODE^LABEL` with the guide's
   * code for the failure (`mdn-guide.ts`), the original and its files given back.
   */
  async dispositionNotice(r: DispositionRequest): Promise<OutboundMessage | null> {
    const policy = { ...MDN_POLICY, ...this.o.mdn };
    const failed = r.disposition === 'processed/error';
    const full = policy.original === 'full' && r.originalRaw.byteLength <= policy.fullOriginalMaxBytes;
    const mdn = buildMdn({
      originalHeaders: headerBag(r.originalRaw), originalSender: r.original.mailFrom, originalMessageId: r.original.messageId,
      finalRecipient: r.recipient, disposition: r.disposition, from: `postmaster@${this.o.domain}`,
      ...(failed ? { error: mdnErrorFor(r.errorText), errorText: r.errorText } : {}),
      reportingUa: `mx.${this.o.domain}; ${this.o.nil}`, originalRaw: r.originalRaw,
      include: full ? 'full' : 'headers', requireSenderMatch: policy.requireSenderMatch,
      files: full && policy.returnFiles ? await originalFiles(r.originalRaw) : undefined,
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

/**
 * The files an MDN gives back (the national guide): the original's IHE_XDM.ZIP and PDF
 * attachments as they were sent. Nothing from an encrypted or opaque-signed original (its
 * files are inside the CMS: the gateway never gives back what it decrypted), nothing when
 * the original cannot be parsed.
 */
async function originalFiles(raw: Uint8Array): Promise<ReportFile[]> {
  try {
    const parsed = await simpleParser(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
    return parsed.attachments
      .filter((a) => /^ihe_xdm\.zip$/i.test(a.filename ?? '') || a.contentType.toLowerCase() === 'application/pdf')
      .map((a) => ({ filename: a.filename ?? (a.contentType.toLowerCase() === 'application/pdf' ? 'document.pdf' : 'IHE_XDM.ZIP'), contentType: a.contentType, data: new Uint8Array(a.content) }));
  } catch {
    return [];
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
