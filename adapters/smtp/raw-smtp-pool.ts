/**
 * A small pool of SMTP connections for messages that are already whole (sealed raw bytes).
 * Node edge, shared by the SMTP-speaking adapters (`adapters/mssante/smtp/outbound-client.ts`,
 * `adapters/mssante/static-route-transport.ts`, `adapters/legacy/relay-submitter.ts`).
 *
 * nodemailer's `sendMail({ raw })` builds a MIME tree for the raw message, reads it through a
 * chain of streams (composer, line-end transform, pool) for every message. Here each message
 * goes to nodemailer's `SMTPConnection.send` as one Buffer: one write after the envelope
 * (MAIL, RCPT…, DATA pipelined when the server offers PIPELINING, RFC 2920), and, when the
 * bytes need no dot-stuffing nor line-end repair (`isTransparentData`: sealed messages never
 * do), without the per-byte loop of nodemailer's DataStream. What the caller
 * gets back is the same as from `sendMail`: `info` with `accepted`, `rejected`,
 * `rejectedErrors`, `response`, or an error with `responseCode`, `response`, `code`,
 * `rejectedErrors` — so `smtp-outcome.ts` maps both the same way.
 *
 * Pool rules (nodemailer's pool's, but for one): at most `maxConnections` connections, each
 * reused for up to `maxMessages` messages and `maxAge` ms; a message waiting is sent on the
 * first connection that is free, a busy one or one being opened (nodemailer binds it to a new
 * one, which makes it wait for the greeting and the handshake); a refused message (envelope
 * or data reply other than 421) leaves the connection usable after RSET; any other failure
 * closes it. A message whose send fails on a reused connection before a byte of it was written
 * (the server closed an idle session, or answered 421) is tried once more on a fresh
 * connection. With mutual TLS, the last TLS session of the destination is offered when a new
 * connection is opened (session resumption).
 *
 * @example
 * const pool = new RawSmtpPool({ host: '127.0.0.1', port: 2525, requireTLS: true, tls, name: 'mx.example.fr' });
 * const info = await pool.send({ from: 'a@x', to: ['b@y'] }, raw); // throws on a refusal
 * await pool.close();
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { ConnectionOptions, TLSSocket } from 'node:tls';

export interface RawSmtpPoolOptions {
  host: string;
  port: number;
  /** EHLO name. */
  name?: string;
  requireTLS?: boolean;
  /** Never upgrade with STARTTLS, even when offered (plain routes of tests; default false). */
  ignoreTLS?: boolean;
  /** Options for the STARTTLS upgrade (`tls.connect`). */
  tls?: ConnectionOptions;
  /** AUTH (PLAIN) after STARTTLS, when the server offers AUTH. */
  auth?: { user: string; pass: string };
  /** Default 2. */
  maxConnections?: number;
  /** Messages per connection, then it is retired (default 100). */
  maxMessages?: number;
  /** A connection is retired once it has been ready this long, ms, after its current message (default: no limit). */
  maxAge?: number;
  connectionTimeout?: number;
  greetingTimeout?: number;
  socketTimeout?: number;
  /** Offer the last TLS session again on new connections (default true). */
  reuseTlsSession?: boolean;
}

export interface RawEnvelope {
  from: string;
  to: string[];
}

export interface RawSendInfo {
  accepted: string[];
  rejected: string[];
  rejectedErrors?: (Error & { recipient?: string; responseCode?: number; response?: string })[];
  response: string;
}

type SmtpErr = Error & { code?: string; responseCode?: number };

const transient = (err: SmtpErr) => err.responseCode === 421 || err.code === 'ECONNECTION' || err.code === 'ESOCKET' || err.code === 'ETIMEDOUT';

/** The parts of nodemailer's DataStream (a Transform that dot-stuffs and ends with `.`) used here. */
interface DataStreamLike {
  write(b: Buffer): boolean;
  end(): void;
  push?: (b: Buffer) => boolean;
  lastByte?: number | false;
  inByteCount?: number;
  outByteCount?: number;
}

/**
 * Does `raw` already read as SMTP DATA wants it: CRLF line ends only (no bare CR or LF) and
 * no line starting with a dot? Sealed messages (base64 bodies, header lines) always do. A few
 * hundred native `indexOf` calls for a 26 KB message, where the DataStream's byte loop costs
 * about 0.15 ms.
 */
export function isTransparentData(raw: Buffer): boolean {
  if (raw.length === 0 || raw[0] === 0x2e) return false;
  let lf = 0;
  for (let p = raw.indexOf(0x0a); p >= 0; p = raw.indexOf(0x0a, p + 1)) {
    if (raw[p - 1] !== 0x0d || raw[p + 1] === 0x2e) return false;
    lf++;
  }
  let cr = 0;
  for (let p = raw.indexOf(0x0d); p >= 0; p = raw.indexOf(0x0d, p + 1)) cr++;
  return cr === lf;
}

/**
 * Hands the message to the DataStream. When the bytes need no stuffing, they go straight to
 * its readable side (what its transform would have pushed unchanged) and `end()` lets it add
 * the terminating dot line after the last byte; otherwise they go through its transform.
 */
function writeData(dest: DataStreamLike, raw: Buffer): void {
  if (typeof dest.push === 'function' && 'lastByte' in dest && isTransparentData(raw)) {
    dest.inByteCount = (dest.inByteCount ?? 0) + raw.length;
    dest.outByteCount = (dest.outByteCount ?? 0) + raw.length;
    dest.lastByte = raw[raw.length - 1]!;
    dest.push(raw);
  } else {
    dest.write(raw);
  }
  dest.end();
}

interface Job {
  envelope: RawEnvelope;
  raw: Buffer;
  resolve: (info: RawSendInfo) => void;
  reject: (err: Error) => void;
  /** Already retried once after a reused connection was found closed. */
  retried?: boolean;
}

class Conn {
  readonly smtp: SMTPConnection;
  /** When the session became ready (ms since the epoch). */
  readyAt = 0;
  messages = 0;
  busy = false;
  closed = false;

  constructor(smtp: SMTPConnection) {
    this.smtp = smtp;
  }
}

export class RawSmtpPool {
  private readonly idle: Conn[] = [];
  private readonly queue: Job[] = [];
  private open = 0;
  /** Connections being opened (counted in `open`). */
  private connecting = 0;
  /** No new connection before this time (ms since the epoch): one just failed while others were open. */
  private noNewUntil = 0;
  private closing = false;
  private session: Buffer | undefined;
  /** Sessions opened, and how many of them resumed an earlier TLS session. */
  readonly stats = { connections: 0, tlsResumed: 0 };

  constructor(private readonly o: RawSmtpPoolOptions) {}

  /** Sends one whole message (CRLF line ends; dot-stuffing is done here). */
  send(envelope: RawEnvelope, raw: Uint8Array): Promise<RawSendInfo> {
    const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    return new Promise<RawSendInfo>((resolve, reject) => {
      if (this.closing) return reject(Object.assign(new Error('Connection pool closed'), { code: 'ECONNECTION' }));
      this.queue.push({ envelope, raw: buf, resolve, reject });
      this.pump();
    });
  }

  /** Closes idle connections now, busy ones after their message. */
  async close(): Promise<void> {
    this.closing = true;
    for (const j of this.queue.splice(0)) j.reject(Object.assign(new Error('Connection pool closed'), { code: 'ECONNECTION' }));
    for (const c of this.idle.splice(0)) this.drop(c);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const c = this.idle.pop();
      if (!c) break;
      if (this.expired(c)) {
        this.retire(c);
        continue;
      }
      this.run(c, this.queue.shift()!);
    }
    // Connections for the messages still waiting, beyond those being opened, up to the limit.
    // A new connection takes whatever waits when it is ready: a message is not bound to it, so
    // it goes out on a busy connection that frees first rather than wait for a greeting and a
    // handshake (a server's greeting may be held 100 ms or more).
    const max = this.o.maxConnections ?? 2;
    while (this.queue.length > this.connecting && this.open < max && (this.open === 0 || Date.now() >= this.noNewUntil)) this.connect();
  }

  private connect(): void {
    this.open++;
    this.connecting++;
    const tls: ConnectionOptions = { ...this.o.tls };
    if (this.session && this.o.reuseTlsSession !== false) tls.session = this.session;
    const smtp = new SMTPConnection({
      host: this.o.host,
      port: this.o.port,
      secure: false,
      requireTLS: this.o.requireTLS ?? false,
      ignoreTLS: this.o.ignoreTLS ?? false,
      name: this.o.name,
      tls,
      connectionTimeout: this.o.connectionTimeout ?? 30_000,
      greetingTimeout: this.o.greetingTimeout ?? 30_000,
      socketTimeout: this.o.socketTimeout ?? 300_000,
      logger: false,
      debug: false,
    });
    const c = new Conn(smtp);
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      this.connecting--;
      // With no other connection to take them, the first waiting message fails (the next one
      // tries a new connection); otherwise they wait for the open ones, and no new connection
      // is tried for a second.
      if (this.open > 1) this.noNewUntil = Date.now() + 1000;
      else this.queue.shift()?.reject(err);
      this.drop(c);
    };
    smtp.on('error', (err: Error) => {
      // during a send the send's callback reports the error; before the session is ready, `fail` does
      if (!settled) fail(err);
    });
    smtp.once('end', () => {
      if (!settled) fail(Object.assign(new Error('Connection closed before the session was ready'), { code: 'ECONNECTION' }));
      this.drop(c);
    });
    smtp.connect((err?: Error | null) => {
      if (settled) return;
      if (err) return fail(err);
      const socket = (smtp as unknown as { _socket?: TLSSocket })._socket;
      const ready = () => {
        if (settled) return;
        settled = true;
        // TLS 1.3 tickets come right after the handshake, before the reply to EHLO: the session is resumable by now
        if (socket && typeof socket.getSession === 'function') this.session = socket.getSession() ?? this.session;
        this.connecting--;
        c.readyAt = Date.now();
        this.stats.connections++;
        if (socket && typeof socket.isSessionReused === 'function' && socket.isSessionReused()) this.stats.tlsResumed++;
        this.release(c);
      };
      if (this.o.auth && smtp.allowsAuth) {
        smtp.login({ user: this.o.auth.user, pass: this.o.auth.pass, method: 'PLAIN' } as never, (err) => (err ? fail(err) : ready()));
      } else ready();
    });
  }

  private run(c: Conn, job: Job): void {
    c.busy = true;
    const reused = c.messages > 0;
    let written = false;
    const raw = job.raw;
    // SMTPConnection pipes a message that has `pipe` into its dot-stuffing stream: the whole Buffer at once
    const message = {
      pipe(dest: NodeJS.WritableStream) {
        written = true;
        writeData(dest as unknown as DataStreamLike, raw);
        return dest;
      },
    };
    c.smtp.send({ from: job.envelope.from, to: job.envelope.to }, message as never, (err, info) => {
      c.busy = false;
      c.messages++;
      if (!err) {
        job.resolve(info as unknown as RawSendInfo);
        this.release(c);
        return;
      }
      const e = err as SmtpErr;
      if (reused && !written && transient(e) && !job.retried) {
        // the server closed the session while it was idle: not a byte went, try a new connection
        job.retried = true;
        this.drop(c);
        this.queue.unshift(job);
        this.pump();
        return;
      }
      job.reject(e);
      if ((e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.responseCode !== 421 && !c.closed) {
        c.smtp.reset((resetErr) => (resetErr ? this.drop(c) : this.release(c)));
        return;
      }
      this.drop(c);
    });
  }

  private release(c: Conn): void {
    if (c.closed) return;
    if (this.closing) return this.drop(c);
    if (this.expired(c)) return this.drop(c);
    this.idle.push(c);
    this.pump();
  }

  /** Used for `maxMessages` messages, or ready `maxAge` ago: retired (after its current message). */
  private expired(c: Conn): boolean {
    return c.messages >= (this.o.maxMessages ?? 100) || Date.now() - c.readyAt >= (this.o.maxAge ?? Infinity);
  }

  /** Closes an idle connection without calling `pump` (its caller is pumping). */
  private retire(c: Conn): void {
    c.closed = true;
    this.open--;
    c.smtp.close();
  }

  private drop(c: Conn): void {
    if (c.closed) return;
    c.closed = true;
    this.open--;
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    c.smtp.close();
    this.pump();
  }
}
