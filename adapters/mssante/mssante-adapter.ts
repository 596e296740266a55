/**
 * The national (MSSanté) adapter: opens mail from operators and seals mail for them.
 *
 * This first version writes plain MIME with the `X-MSS-*` headers and hands it to a
 * `NationalTransport`; the mutual-TLS transport, S/MIME and XDM packaging of the national
 * rules plug in through the same contract.
 *
 * @example
 * const a = new MssanteAdapter({ domain: 'passerelle.mssante.test', nil: 'Passerelle/0.1', transport });
 * const sealed = await a.seal(outbound);
 * await a.deliver(sealed);
 */
import { simpleParser, type AddressObject } from 'mailparser';
import type { DeliveryOutcome, FailureNotice, NetworkAdapter } from '../../src/model/adapter.js';
import type { Attachment, Content } from '../../src/model/content.js';
import type { Envelope } from '../../src/model/envelope.js';
import type { OpenedMessage, OutboundMessage, SealedMessage } from '../../src/model/message.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { writeMime } from '../../src/mime/mime-writer.js';

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
    let parsed;
    try {
      parsed = await simpleParser(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), { skipImageLinks: true, skipTextToHtml: true });
    } catch (err) {
      throw new GatewayError('CANNOT_OPEN', { detail: `MIME could not be parsed: ${(err as Error).message}` });
    }
    const attachments: Attachment[] = parsed.attachments.map((a) => ({
      filename: a.filename ?? 'piece-jointe', contentType: a.contentType, data: new Uint8Array(a.content),
    }));
    const ct = String(parsed.headers.get('content-type') && (parsed.headers.get('content-type') as { value?: string }).value || '');
    const content: Content = ct === 'multipart/report'
      ? { kind: 'notification', notification: 'dsn', text: parsed.text ?? '', attachments }
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
      meta: {},
    };
  }

  async seal(m: OutboundMessage): Promise<SealedMessage> {
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
      'X-MSS-NIL': this.o.nil,
      'X-MSS-INS': 'N',
    };
    for (const [k, v] of Object.entries(m.headers)) if (k !== 'Message-ID') headers[k] = v;
    const attachments = [...m.content.attachments];
    if (m.content.kind === 'lab-report' && m.content.hprim) {
      // Lossless rule: the original HPRIM always travels too.
      attachments.push({ filename: 'compte-rendu-original.hpr', contentType: 'text/plain; charset=iso-8859-1', data: latin1(m.content.hprim) });
    }
    const raw = writeMime({ headers, text: m.content.text, ...(m.content.kind === 'letter' && m.content.html ? { html: m.content.html } : {}), attachments });
    return { target: 'mssante', mailFrom: m.content.kind === 'notification' ? '' : m.from, recipients: [...m.to, ...m.cc], raw };
  }

  deliver(message: SealedMessage): Promise<DeliveryOutcome[]> {
    return this.o.transport.send(message);
  }

  async failureNotice(n: FailureNotice): Promise<OutboundMessage> {
    const text = [
      'This is the Passerelle gateway. Your message could not be delivered to the legacy network:',
      '',
      ...n.failures.map((f) => `  ${f.recipient}: ${f.reply}`),
      '',
      `Reason: ${n.reason}`,
      '',
    ].join('\r\n');
    return {
      sourceId: n.original.id, target: 'mssante', from: `mailer-daemon@${this.o.domain}`, to: [n.to], cc: [],
      subject: 'Undelivered message / Message non remis', originalMessageId: n.originalMessageId ?? undefined,
      inReplyTo: n.originalMessageId ?? undefined, priority: 'normal',
      content: { kind: 'notification', notification: 'dsn', originalMessageId: n.originalMessageId ?? undefined, text, attachments: [] },
      headers: {},
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
