/**
 * The legacy network adapter (LNP/1): opens mail the relay forwards to the gateway, seals
 * mail the gateway submits to the relay. Core code: Web APIs only; the SMTP edges are
 * `inbound-listener.ts` and `relay-submitter.ts`.
 *
 * @example
 * const adapter = new LegacyAdapter({ keys, domain: 'lnp.test', gatewayLocal: 'passerelle',
 *   gatewayZone: 'gateway', submitter });
 * const opened = await adapter.open(raw, envelope);   // text, dests, attachments
 * const sealed = await adapter.seal(outbound);        // sealed for 'passerelle'
 * await adapter.deliver(sealed);                      // submitted to the relay
 */
import type { DeliveryOutcome, FailureNotice, NetworkAdapter } from '../../core/ports/adapter.js';
import type { Attachment, Content } from '../../core/model/content.js';
import type { Envelope } from '../../core/model/envelope.js';
import type { OpenedMessage, OutboundMessage, SealedMessage } from '../../core/model/message.js';
import { mediaTypeOf } from '../../core/model/media-type.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import { LegacyError, LEGACY_ERROR_KINDS } from './legacy-error.js';
import type { KeyStore } from './key-store.js';
import { openLnpMail, sealLnpMail, type LnpOpener, type LnpSealer } from './lnp-codec.js';
import { neutralSubject } from './neutral-subject.js';
import { failureNoticeText } from './failure-notice-text.js';
import type { DeflateRaw, InflateRaw } from '../../lib/deflate.js';
import { isDeliveryReport, parseRelayBounce, type RelayBounce } from './relay-bounce.js';
import { decodeEncodedWords, parseAddressList } from './lnp-mail.js';
import { headerBag } from '../../core/pipeline/header-peek.js';

/** Hands a sealed mail to the relay (Node edge: `RelaySubmitter`). */
export interface LegacySubmitter {
  submit(message: SealedMessage): Promise<DeliveryOutcome[]>;
  close(): Promise<void>;
}

export interface LegacyAdapterOptions {
  keys: KeyStore;
  /** The network's domain, e.g. `lnp.test`. */
  domain: string;
  gatewayLocal: string;
  gatewayZone: string;
  submitter: LegacySubmitter;
  now?: () => Date;
  /** The compressor for attachment containers (default pure JS; the Node runtime gives native zlib). */
  deflateRaw?: DeflateRaw;
  /** The bounded inflater for received containers (default pure JS; the Node runtime gives native zlib). */
  inflateRaw?: InflateRaw;
  /**
   * Opens received mail (default: `openLnpMail` on this thread, over `keys` and `inflateRaw`).
   * The Node runtime runs it on its pipeline threads, which hold a copy of `keys`.
   */
  opener?: LnpOpener;
  /** Seals mail for the network (default: `sealLnpMail` on this thread, over `keys` and `deflateRaw`); as `opener`. */
  sealer?: LnpSealer;
}

const LOCAL = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export class LegacyAdapter implements NetworkAdapter {
  readonly network = 'legacy' as const;
  private readonly now: () => Date;
  private readonly openMail: LnpOpener;
  private readonly sealMail: LnpSealer;

  constructor(private readonly o: LegacyAdapterOptions) {
    this.now = o.now ?? (() => new Date());
    this.openMail = o.opener ?? ((raw, opts) => openLnpMail(o.keys, raw, { ...opts, inflateRaw: o.inflateRaw }));
    this.sealMail = o.sealer ?? ((input) => sealLnpMail(o.keys, { ...input, deflateRaw: o.deflateRaw }));
  }

  /** The gateway's own address on the network (envelope sender of what it submits). */
  get ownAddress(): string {
    return `${this.o.gatewayLocal}@${this.o.gatewayZone}.${this.o.domain}`;
  }

  isNetworkAddress(address: string): boolean {
    const [local, domain] = address.toLowerCase().split('@');
    if (!local || !domain || !LOCAL.test(local)) return false;
    return domain === this.o.domain || domain.endsWith(`.${this.o.domain}`);
  }

  /** Is this an `interop` address (a national mailbox as the legacy network sees it)? */
  isInteropAddress(address: string): boolean {
    const [local, domain] = address.toLowerCase().split('@');
    return !!local && LOCAL.test(local) && domain === `interop.${this.o.domain}`;
  }

  async open(raw: Uint8Array, envelope: Envelope): Promise<OpenedMessage> {
    if (this.isBounceEnvelope(envelope)) return this.openBounce(raw, envelope);
    let r: Awaited<ReturnType<typeof openLnpMail>>;
    try {
      r = await this.openMail(raw, { now: this.now(), holder: this.o.gatewayLocal });
    } catch (err) {
      throw toGatewayError(err, 'CANNOT_OPEN');
    }
    const dests = new Set(r.dests);
    for (const rcpt of envelope.recipients) {
      const local = rcpt.split('@')[0];
      if (!dests.has(local)) {
        throw new GatewayError('CANNOT_OPEN', { detail: `recipient ${rcpt} is not in the sealed destination block` });
      }
    }
    const attachments: Attachment[] = r.attachments.map((a) => ({ filename: a.name, contentType: mediaTypeOf(a.name), data: a.data }));
    return {
      envelope,
      from: r.mail.from,
      to: r.mail.to,
      cc: r.mail.cc,
      subject: r.mail.subject,
      date: r.mail.date,
      inReplyTo: r.mail.headers['in-reply-to'],
      dispositionNotificationTo: r.mail.headers['disposition-notification-to'],
      content: contentOf(r.text, attachments),
      meta: { dests: r.dests, holder: r.holder, year: String(r.year), ...(r.mail.transit ? { transit: r.mail.transit } : {}) },
    };
  }

  /** From the null sender to the gateway's own address: a bounce the relay sent after a hand-over. */
  isBounceEnvelope(envelope: Envelope): boolean {
    const own = this.ownAddress.toLowerCase();
    return envelope.mailFrom === '' && envelope.recipients.some((r) => r.toLowerCase() === own);
  }

  /**
   * A relay bounce (RFC 3464 report), plain or sealed for the gateway's LOCAL (`relay-bounce.ts`):
   * a `dsn` notification whose `meta.deliveryStatus` holds the recipient blocks (JSON of
   * `BouncedRecipient[]`) and `content.originalMessageId` the bounced message's Message-ID.
   */
  private async openBounce(raw: Uint8Array, envelope: Envelope): Promise<OpenedMessage> {
    let text: string;
    let from: string;
    let subject: string;
    let date: string | undefined;
    let form: 'plain' | 'sealed';
    if (isDeliveryReport(raw)) {
      const h = headerBag(raw);
      text = new TextDecoder('latin1').decode(raw);
      from = parseAddressList(h['from'] ?? '')[0] ?? '';
      subject = decodeEncodedWords(h['subject'] ?? '');
      date = h['date'];
      form = 'plain';
    } else {
      let r: Awaited<ReturnType<typeof openLnpMail>>;
      try {
        r = await this.openMail(raw, { now: this.now(), holder: this.o.gatewayLocal });
      } catch (err) {
        throw toGatewayError(err, 'CANNOT_OPEN');
      }
      if (!r.dests.includes(this.o.gatewayLocal)) {
        throw new GatewayError('CANNOT_OPEN', { detail: `a sealed bounce must name ${this.o.gatewayLocal} in its destination block` });
      }
      text = r.text;
      from = r.mail.from;
      subject = r.mail.subject;
      date = r.mail.date;
      form = 'sealed';
    }
    let bounce: RelayBounce;
    try {
      bounce = parseRelayBounce(text);
    } catch (err) {
      throw toGatewayError(err, 'CANNOT_OPEN');
    }
    return {
      envelope,
      from,
      to: [this.ownAddress],
      cc: [],
      subject,
      ...(date !== undefined ? { date } : {}),
      ...(bounce.originalMessageId ? { inReplyTo: bounce.originalMessageId } : {}),
      content: {
        kind: 'notification',
        notification: 'dsn',
        ...(bounce.originalMessageId ? { originalMessageId: bounce.originalMessageId } : {}),
        text: bounce.text,
        attachments: [],
      },
      meta: {
        bounce: form,
        deliveryStatus: JSON.stringify(bounce.recipients),
        ...(bounce.reportingMta ? { reportingMta: bounce.reportingMta } : {}),
      },
    };
  }

  async seal(m: OutboundMessage): Promise<SealedMessage> {
    const now = this.now();
    const year = this.sealingYear(now);
    const recipients = (m.recipients ?? [...m.to, ...m.cc]).map((a) => a.toLowerCase());
    for (const a of recipients) {
      if (!this.isNetworkAddress(a) || this.isInteropAddress(a)) {
        throw new GatewayError('NO_ROUTE', { detail: `${a} is not a subscriber address of the legacy network` });
      }
    }
    // To and Cc are display: subscribers and interop addresses a reader can reply to. Anything
    // else has no place in a legacy header and is left out (the recipients stand in To if nothing is left).
    const shown = (list: string[]) => list.map((a) => a.toLowerCase()).filter((a) => this.isNetworkAddress(a));
    const cc = shown(m.cc);
    const shownTo = shown(m.to);
    const to = shownTo.length ? shownTo : recipients.filter((r) => !cc.includes(r));
    const left = m.to.length + m.cc.length - shownTo.length - cc.length;
    const { raw, changes } = await this.sealMail({
      holder: this.o.gatewayLocal,
      year,
      from: m.from,
      to: to.length ? to : recipients,
      cc,
      dests: recipients,
      subject: neutralSubject(m),
      messageId: m.headers['Message-ID'] ?? `<${m.sourceId}.legacy@${this.o.gatewayZone}.${this.o.domain}>`,
      date: now,
      text: textOf(m.content),
      attachments: m.content.attachments.map((a) => ({ name: a.filename, data: a.data, deflate: isCompressible(a) })),
      extraHeaders: {
        ...(m.priority === 'urgent' ? { Importance: 'high', 'X-Priority': '1 (Highest)' } : {}),
        ...(m.content.kind === 'notification' ? { 'Auto-Submitted': 'auto-replied' } : {}),
        ...(m.inReplyTo ? { 'In-Reply-To': m.inReplyTo } : {}),
      },
    }).catch((err: unknown) => {
      throw toGatewayError(err, 'CANNOT_SEAL');
    });
    const notes = changes.length
      ? [`text changed for ISO-8859-1: ${changes.map((c) => `${JSON.stringify(c.from)}→${JSON.stringify(c.to)} ×${c.count}`).join(', ')}`]
      : [];
    if (left > 0) notes.push(`${left} To/Cc address(es) not of the legacy network left out of the headers`);
    return { target: 'legacy', mailFrom: this.ownAddress, recipients, raw, notes };
  }

  deliver(message: SealedMessage): Promise<DeliveryOutcome[]> {
    return this.o.submitter.submit(message);
  }

  async failureNotice(n: FailureNotice): Promise<OutboundMessage> {
    return {
      sourceId: n.original.id,
      target: 'legacy',
      from: this.ownAddress,
      to: [n.to],
      cc: [],
      subject: 'Avis de non-remise',
      originalMessageId: n.originalMessageId ?? undefined,
      inReplyTo: n.originalMessageId ?? undefined,
      priority: 'normal',
      content: {
        kind: 'notification',
        notification: 'notice',
        originalMessageId: n.originalMessageId ?? undefined,
        text: failureNoticeText(n),
        attachments: [],
      },
      headers: {},
    };
  }

  close(): Promise<void> {
    return this.o.submitter.close();
  }

  /** Seal with this year's keys; early in a year, the previous year's when this year's are not installed yet. */
  private sealingYear(now: Date): number {
    const y = now.getUTCFullYear();
    if (this.o.keys.has(this.o.gatewayLocal, y) && this.o.keys.has('Master', y)) return y;
    try {
      this.o.keys.assertCanOpen(y - 1, now);
      if (this.o.keys.has(this.o.gatewayLocal, y - 1) && this.o.keys.has('Master', y - 1)) return y - 1;
    } catch {
      /* fall through */
    }
    throw new GatewayError('CANNOT_SEAL', { detail: `no key for ${this.o.gatewayLocal} and Master for ${y}` });
  }
}

/** HPRIM text is recognised by its end marker; anything else is a letter. */
function contentOf(text: string, attachments: Attachment[]): Content {
  if (/^\*{4}FINFICHIER\*{4}\s*$/m.test(text) || /^\*{4}LAB\*{4}\s*$/m.test(text)) {
    return { kind: 'lab-report', hprim: text, text, attachments };
  }
  return { kind: 'letter', text, attachments };
}

function textOf(c: Content): string {
  if (c.kind === 'lab-report') return c.hprim ?? c.text;
  return c.text;
}

function isCompressible(a: Attachment): boolean {
  return !/^(image\/(jpeg|png|gif)|application\/(zip|gzip))/.test(a.contentType);
}

function toGatewayError(err: unknown, fallback: 'CANNOT_OPEN' | 'CANNOT_SEAL'): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof LegacyError) {
    return new GatewayError(LEGACY_ERROR_KINDS[err.code] ?? fallback, { detail: err.message, cause: err });
  }
  return new GatewayError(fallback, { detail: err instanceof Error ? err.message : String(err), cause: err });
}
