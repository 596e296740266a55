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
 *   (envelope recipient kept), retrying temporary failures a few times.
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
    for (const rcpt of rcpts) {
      const r = split(rcpt);
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
}

/**
 * Act as a legacy client: seal as the subscriber and submit to the relay (AUTH PLAIN,
 * STARTTLS when offered). Resolves to the relay's reply; rejects with nodemailer's error
 * (`responseCode`, `response`) when the relay refuses.
 */
export async function submitToRelay(relay: LegacyRelay, o: SubmitOptions): Promise<{ response: string }> {
  const address = `${o.local}@${o.zone}.${relay.domain}`;
  const date = relay.now();
  const { raw } = await sealLnpMail(relay.keys, {
    holder: o.holder ?? o.local,
    year: date.getUTCFullYear(),
    from: o.from ?? address,
    to: o.to,
    cc: o.cc ?? [],
    subject: o.subject ?? 'Message',
    messageId: `<${crypto.randomUUID()}@${o.zone}.${relay.domain}>`,
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
