/**
 * A simulator of the legacy network's relay (SPEC §6), for tests. It is a real SMTP server on
 * 127.0.0.1 (ephemeral port) that:
 *
 * - takes submissions with `AUTH PLAIN` (STARTTLS offered when `tls` is given, and then
 *   required before AUTH); the envelope sender must be the authenticated subscriber;
 * - refuses mail carrying `X-LNP-Transit` (a sealed payload is never forwarded as it is);
 * - opens the body with the sender's key, checks the holder is the sender and that the
 *   `#DESTBEGIN#` list names exactly the envelope recipients' LOCAL parts;
 * - re-seals body and containers for each recipient, adds `X-LNP-Transit: relay1`;
 * - keeps network copies in an in-memory inbox; sends `@interop.DOMAIN` copies, sealed for
 *   the gateway's LOCAL, to `opts.gateway` over SMTP, one transaction per interop recipient
 *   (envelope recipient kept), retrying temporary failures a few times;
 * - bounces, after accepting the submission, the copies for suspended subscribers
 *   (`status: 'S'`, SPEC §7) and for `bounceRecipients`: an RFC 3464 report
 *   (`multipart/report; report-type=delivery-status`, the submission's header section as
 *   `text/rfc822-headers`) from the null sender to the submission's envelope sender — over
 *   SMTP to `opts.gateway` when that sender is the gateway (sealed as an LNP/1 mail for the
 *   gateway's LOCAL when `sealBounces`), in the sender's inbox otherwise.
 *
 * @example
 * const relay = await startLegacyRelay({ keys, domain: 'lnp.test', gatewayLocal: 'passerelle',
 *   subscribers: [{ local: 'cab.dupuis', zone: 'medical33', password: 'pw' }], gateway: { host: '127.0.0.1', port } });
 * await submitToRelay(relay, { local: 'cab.dupuis', password: 'pw', zone: 'medical33', to: ['x@interop.lnp.test'], text: 'Bonjour' });
 * await relay.waitForGatewayDeliveries(1, 5000);
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import nodemailer from 'nodemailer';
import { dearmour, armour } from '../../adapters/legacy/armour.js';
import { decodeBody } from '../../adapters/legacy/body.js';
import type { KeyStore } from '../../adapters/legacy/key-store.js';
import { LegacyError } from '../../adapters/legacy/legacy-error.js';
import { sealLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { buildLnpMail, parseLnpMail } from '../../adapters/legacy/lnp-mail.js';
import { openPayload, sealPayload } from '../../adapters/legacy/seal.js';

export const RELAY_ID = 'relay1';

export interface RelaySubscriber {
  local: string;
  zone: string;
  password: string;
  /** SPEC §7: `S` suspended — a submission to them is accepted, then bounced. Default `A`. */
  status?: 'A' | 'S';
}

export interface LegacyRelayOptions {
  /** Holds Master + every subscriber + the gateway's keys. */
  keys: KeyStore;
  domain: string;
  gatewayLocal: string;
  subscribers: RelaySubscriber[];
  gateway?: { host: string; port: number };
  tls?: { key: string; cert: string };
  now?: () => Date;
  /** Attempts per interop delivery on temporary failures (default 4), delay between them (default 100 ms). */
  gatewayAttempts?: number;
  gatewayRetryDelayMs?: number;
  /** Recipients (LOCAL parts or full addresses) whose copies are bounced after acceptance. */
  bounceRecipients?: Iterable<string>;
  /** Send bounces to the gateway sealed for its LOCAL (LNP/1) instead of as plain reports. */
  sealBounces?: boolean;
  /** Delay between accepting a submission and sending its bounce (default 50 ms). */
  bounceDelayMs?: number;
}

export interface GatewayDelivery {
  recipient: string;
  mailFrom: string;
  raw: Uint8Array;
  /** The gateway's final reply line (or the connection error). */
  reply: string;
  attempts: number;
}

export interface Rejection {
  reason: string;
  code: number;
  user?: string;
}

export interface LegacyRelay {
  port: number;
  domain: string;
  keys: KeyStore;
  now: () => Date;
  close(): Promise<void>;
  /** Raw mails delivered to a network subscriber, sealed for them. */
  inbox(local: string): Uint8Array[];
  waitForInbox(local: string, count: number, timeoutMs: number): Promise<Uint8Array[]>;
  gatewayDeliveries: GatewayDelivery[];
  waitForGatewayDeliveries(count: number, timeoutMs: number): Promise<GatewayDelivery[]>;
  rejected: Rejection[];
  /** Fault injection for tests: refuse every submission's DATA with this reply (null: behave). */
  refuseWith: { code: number; message: string } | null;
  /** Recipients (LOCAL parts or full addresses) bounced after acceptance (`5.1.1`); tests may change it. */
  bounceRecipients: Set<string>;
  /** LOCAL parts of suspended subscribers (`statut S`, bounced with `5.2.1`): those given `status: 'S'`; tests may change it. */
  suspended: Set<string>;
  /** Bounces to the gateway are sealed LNP/1 mails (true) or plain RFC 3464 reports (false). */
  sealBounces: boolean;
  /** Every bounce the relay wrote, in order (sent to the gateway or put in a sender's inbox). */
  bounces: RelayBounceSent[];
}

export interface RelayBounceSent {
  /** The envelope sender of the bounced submission (the bounce's recipient). */
  to: string;
  /** Addresses bounced. */
  recipients: string[];
  /** The bounced submission's Message-ID. */
  originalMessageId?: string;
  sealed: boolean;
  raw: Uint8Array;
}

class SmtpReply extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil<T>(read: () => T[], count: number, timeoutMs: number, what: string): Promise<T[]> {
  const end = Date.now() + timeoutMs;
  while (read().length < count) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${count} ${what} (have ${read().length})`);
    await sleep(15);
  }
  return read();
}

/** Start the relay simulator on 127.0.0.1, ephemeral port. */
export async function startLegacyRelay(opts: LegacyRelayOptions): Promise<LegacyRelay> {
  const now = opts.now ?? (() => new Date());
  const domain = opts.domain.toLowerCase();
  const interopDomain = `interop.${domain}`;
  const subscribers = new Map(opts.subscribers.map((s) => [s.local, s]));
  const inboxes = new Map<string, Uint8Array[]>();
  const gatewayDeliveries: GatewayDelivery[] = [];
  const rejected: Rejection[] = [];
  const pending = new Set<Promise<void>>();
  const addressOf = (s: RelaySubscriber) => `${s.local}@${s.zone}.${domain}`;

  const refuse = (code: number, reason: string, session?: SMTPServerSession): SmtpReply => {
    rejected.push({ reason, code, ...(session?.user ? { user: String(session.user) } : {}) });
    return new SmtpReply(code, reason);
  };

  const split = (address: string) => {
    const a = address.toLowerCase();
    const at = a.lastIndexOf('@');
    return { local: a.slice(0, at), domain: a.slice(at + 1) };
  };

  async function deliverToGateway(recipient: string, mailFrom: string, raw: Uint8Array): Promise<void> {
    const attempts = opts.gatewayAttempts ?? 4;
    let reply = 'no gateway configured';
    let n = 0;
    if (opts.gateway) {
      const transport = nodemailer.createTransport({
        host: opts.gateway.host,
        port: opts.gateway.port,
        secure: false,
        tls: { rejectUnauthorized: false },
        connectionTimeout: 5000,
        logger: false,
      });
      try {
        for (n = 1; n <= attempts; n++) {
          try {
            const info = await transport.sendMail({ envelope: { from: mailFrom, to: [recipient] }, raw: Buffer.from(raw) });
            reply = info.response;
            break;
          } catch (err) {
            const e = err as Error & { responseCode?: number; response?: string };
            reply = e.response ?? e.message;
            const temporary = e.responseCode === undefined || (e.responseCode >= 400 && e.responseCode < 500);
            if (!temporary || n === attempts) break;
            await sleep((opts.gatewayRetryDelayMs ?? 100) * n);
          }
        }
      } finally {
        transport.close();
      }
    }
    gatewayDeliveries.push({ recipient, mailFrom, raw, reply, attempts: n });
  }

  async function relay(raw: Uint8Array, session: SMTPServerSession): Promise<void> {
    const user = String(session.user);
    let mail;
    try {
      mail = parseLnpMail(raw);
    } catch (err) {
      throw refuse(550, `5.6.0 not an LNP/1 mail (${(err as LegacyError).code ?? 'error'})`, session);
    }
    if (mail.transit !== undefined || mail.headers['x-lnp-transit'] !== undefined) {
      throw refuse(554, '5.7.1 X-LNP-Transit present: a relayed payload is never forwarded as it is', session);
    }
    const t = now();
    let body;
    try {
      body = await openPayload(opts.keys, dearmour(mail.armour), { now: t, expectedHolder: user });
    } catch (err) {
      const code = err instanceof LegacyError ? err.code : 'error';
      throw refuse(550, `5.7.5 body cannot be opened with the sender's key (${code})`, session);
    }
    let dests: string[];
    try {
      dests = decodeBody(body.plaintext).dests;
    } catch {
      throw refuse(550, '5.6.0 body has no valid #DESTBEGIN# list', session);
    }
    const rcpts = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
    const rcptLocals = rcpts.map((r) => split(r).local);
    const sorted = (xs: string[]) => [...new Set(xs)].sort().join(',');
    if (sorted(dests) !== sorted(rcptLocals) || new Set(dests).size !== dests.length) {
      throw refuse(554, '5.7.1 #DESTBEGIN# list does not name exactly the envelope recipients', session);
    }
    const containers: Uint8Array[] = [];
    for (const a of mail.attachments) {
      try {
        containers.push((await openPayload(opts.keys, a.sealed, { now: t, expectedHolder: user })).plaintext);
      } catch (err) {
        const code = err instanceof LegacyError ? err.code : 'error';
        throw refuse(550, `5.7.5 attachment cannot be opened with the sender's key (${code})`, session);
      }
    }
    const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    const bounced: string[] = [];
    for (const rcpt of rcpts) {
      const r = split(rcpt);
      if (r.domain !== interopDomain && (handle.bounceRecipients.has(r.local) || handle.bounceRecipients.has(rcpt) || handle.suspended.has(r.local))) {
        bounced.push(rcpt);
        continue;
      }
      const holder = r.domain === interopDomain ? opts.gatewayLocal : r.local;
      const sealedBody = await sealPayload(opts.keys, holder, body.year, body.plaintext);
      const attachments = [];
      for (const [i, c] of containers.entries()) {
        attachments.push({ filename: mail.attachments[i]!.filename, sealed: await sealPayload(opts.keys, holder, body.year, c) });
      }
      const copy = buildLnpMail({
        from: mail.headers['from'] ?? mail.from,
        to: mail.to,
        cc: mail.cc,
        ...(mail.date !== undefined ? { date: mail.date } : {}),
        ...(mail.messageId !== undefined ? { messageId: mail.messageId } : {}),
        subject: mail.subject,
        transit: RELAY_ID,
        armour: armour(sealedBody),
        attachments,
      });
      if (r.domain === interopDomain) {
        const p = deliverToGateway(rcpt, mailFrom, copy).finally(() => pending.delete(p));
        pending.add(p);
      } else {
        const box = inboxes.get(r.local) ?? [];
        box.push(copy);
        inboxes.set(r.local, box);
      }
    }
    if (bounced.length && mailFrom) {
      const p = sleep(opts.bounceDelayMs ?? 50).then(() => bounce(mailFrom, bounced, raw, mail.messageId)).finally(() => pending.delete(p));
      pending.add(p);
    }
  }

  /** An RFC 3464 report of `recipients` to `to`, the envelope sender of the submission `original`. */
  async function bounce(to: string, recipients: string[], original: Uint8Array, originalMessageId: string | undefined): Promise<void> {
    const report = deliveryReport(recipients, original);
    const headers = [
      `From: Mail Delivery System <MAILER-DAEMON@relay.${domain}>`,
      `To: ${to}`,
      'Subject: Undelivered Mail Returned to Sender',
      `Date: ${now().toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <${crypto.randomUUID()}@relay.${domain}>`,
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
    ].join('\r\n');
    const toGateway = split(to).local === opts.gatewayLocal;
    const sealed = toGateway && handle.sealBounces;
    let raw: Uint8Array;
    if (sealed) {
      // The sealed form: an LNP/1 mail for the gateway whose text is the report entity.
      raw = (await sealLnpMail(opts.keys, {
        holder: opts.gatewayLocal, year: now().getUTCFullYear(), from: `MAILER-DAEMON@relay.${domain}`, to: [to], cc: [],
        subject: 'Avis de non-remise', messageId: `<${crypto.randomUUID()}@relay.${domain}>`, date: now(), text: report,
        attachments: [], extraHeaders: { 'Auto-Submitted': 'auto-replied' }, transit: RELAY_ID,
      })).raw;
    } else {
      raw = new TextEncoder().encode(`${headers}\r\n${report}`);
    }
    handle.bounces.push({ to, recipients, ...(originalMessageId ? { originalMessageId } : {}), sealed, raw });
    if (toGateway) {
      await deliverToGateway(to, '', raw);
    } else {
      const local = split(to).local;
      inboxes.set(local, [...(inboxes.get(local) ?? []), raw]);
    }
  }

  /** The `multipart/report` entity (its Content-Type header, a blank line, the parts), CRLF line ends. */
  function deliveryReport(recipients: string[], original: Uint8Array): string {
    const boundary = `bounce_${crypto.randomUUID()}`;
    const text = new TextDecoder('latin1').decode(original);
    const end = text.search(/\r?\n\r?\n/);
    const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n/g, '\r\n');
    const reason = (rcpt: string) => handle.suspended.has(split(rcpt).local)
      ? { status: '5.2.1', diagnostic: 'smtp; 550 5.2.1 Subscriber suspended (statut S)' }
      : { status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 Delivery failed inside the network' };
    const blocks = recipients.map((r) => {
      const why = reason(r);
      return `Final-Recipient: rfc822; ${r}\r\nAction: failed\r\nStatus: ${why.status}\r\nDiagnostic-Code: ${why.diagnostic}\r\n`;
    });
    return [
      `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'The LNP/1 relay could not deliver your message to the following recipient(s):',
      ...recipients.map((r) => `  ${r}`),
      '',
      `--${boundary}`,
      'Content-Type: message/delivery-status',
      '',
      `Reporting-MTA: dns; relay.${domain}`,
      `Arrival-Date: ${now().toUTCString().replace('GMT', '+0000')}`,
      '',
      blocks.join('\r\n'),
      `--${boundary}`,
      'Content-Type: text/rfc822-headers',
      '',
      head,
      '',
      `--${boundary}--`,
      '',
    ].join('\r\n');
  }

  const server = new SMTPServer({
    name: 'relay.lnp.test',
    banner: 'LNP/1 relay simulator',
    authMethods: ['PLAIN'],
    authOptional: false,
    allowInsecureAuth: !opts.tls,
    hideSTARTTLS: !opts.tls,
    disabledCommands: opts.tls ? [] : ['STARTTLS'],
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    size: 100 * 1024 * 1024,
    logger: false,
    onAuth(auth: SMTPServerAuthentication, session, cb) {
      const s = auth.username ? subscribers.get(auth.username) : undefined;
      if (auth.method !== 'PLAIN' || !s || s.password !== auth.password) {
        return cb(refuse(535, '5.7.8 Authentication credentials invalid', session));
      }
      cb(null, { user: s.local });
    },
    onMailFrom(address, session, cb) {
      const s = subscribers.get(String(session.user));
      if (!s || address.address.toLowerCase() !== addressOf(s)) {
        return cb(refuse(553, '5.7.1 envelope sender must be the authenticated subscriber', session));
      }
      cb();
    },
    onRcptTo(address, session, cb) {
      const r = split(address.address);
      if (r.domain === interopDomain) return cb();
      const s = subscribers.get(r.local);
      // The relay keys on LOCAL alone (SPEC §1): any zone of the network's domain reaches the subscriber.
      if (!s || !(r.domain === domain || r.domain.endsWith(`.${domain}`))) return cb(refuse(550, '5.1.1 unknown recipient', session));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => cb(err));
      stream.on('end', () => {
        if (handle.refuseWith) return cb(refuse(handle.refuseWith.code, handle.refuseWith.message, session));
        relay(new Uint8Array(Buffer.concat(chunks)), session).then(
          () => cb(null, 'relayed'),
          (err: unknown) => cb(err instanceof SmtpReply ? err : refuse(451, `4.3.0 relay error: ${(err as Error).message}`, session)),
        );
      });
    },
  });
  server.on('error', () => {
    /* connection-level errors are the client's problem in tests */
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  const handle: LegacyRelay = {
    refuseWith: null,
    bounceRecipients: new Set([...(opts.bounceRecipients ?? [])].map((r) => r.toLowerCase())),
    sealBounces: opts.sealBounces ?? false,
    suspended: new Set(opts.subscribers.filter((s) => s.status === 'S').map((s) => s.local)),
    bounces: [],
    port,
    domain,
    keys: opts.keys,
    now,
    gatewayDeliveries,
    rejected,
    inbox: (local) => inboxes.get(local) ?? [],
    waitForInbox: (local, count, timeoutMs) => waitUntil(() => inboxes.get(local) ?? [], count, timeoutMs, `mails for ${local}`),
    waitForGatewayDeliveries: (count, timeoutMs) => waitUntil(() => gatewayDeliveries, count, timeoutMs, 'gateway deliveries'),
    async close() {
      await Promise.allSettled([...pending]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return handle;
}

export interface SubmitOptions {
  local: string;
  password: string;
  zone: string;
  /** Full addresses (network or interop). */
  to: string[];
  cc?: string[];
  text: string;
  attachments?: { name: string; data: Uint8Array; deflate?: boolean }[];
  subject?: string;
  /** Header From (default the subscriber's address). */
  from?: string;
  /** For refusal tests: seal for another holder, override the envelope, add headers. */
  holder?: string;
  mailFrom?: string;
  envelopeTo?: string[];
  extraHeaders?: Record<string, string>;
  requireTls?: boolean;
  /** Message-ID and Date of the submission (default a fresh one, now): the same ones submit the same message again. */
  messageId?: string;
  date?: Date;
}

/**
 * Act as a legacy client: seal as the subscriber and submit to the relay (AUTH PLAIN,
 * STARTTLS when offered). Resolves to the relay's reply; rejects with nodemailer's error
 * (`responseCode`, `response`) when the relay refuses.
 */
export async function submitToRelay(relay: LegacyRelay, o: SubmitOptions): Promise<{ response: string }> {
  const address = `${o.local}@${o.zone}.${relay.domain}`;
  const date = o.date ?? relay.now();
  const { raw } = await sealLnpMail(relay.keys, {
    holder: o.holder ?? o.local,
    year: date.getUTCFullYear(),
    from: o.from ?? address,
    to: o.to,
    cc: o.cc ?? [],
    subject: o.subject ?? 'Message',
    messageId: o.messageId ?? `<${crypto.randomUUID()}@${o.zone}.${relay.domain}>`,
    date,
    text: o.text,
    attachments: o.attachments ?? [],
    ...(o.extraHeaders ? { extraHeaders: o.extraHeaders } : {}),
  });
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: relay.port,
    secure: false,
    requireTLS: o.requireTls ?? false,
    auth: { user: o.local, pass: o.password, method: 'PLAIN' },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
  try {
    const info = await transport.sendMail({
      envelope: { from: o.mailFrom ?? address, to: o.envelopeTo ?? [...o.to, ...(o.cc ?? [])] },
      raw: Buffer.from(raw),
    });
    return { response: info.response };
  } finally {
    transport.close();
  }
}
