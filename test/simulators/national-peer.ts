/**
 * A national operator's SMTP server on loopback, as the gateway's tests see it: it accepts
 * mail for its domains, records each delivery (envelope and raw), and can be told to refuse
 * (4xx or 5xx), to be slow, or to go away, so tests can exercise retries and failures.
 *
 * @example
 * const peer = await startNationalPeer({ domains: ['medecin.mssante.fr'] });
 * // route medecin.mssante.fr to 127.0.0.1:peer.port …
 * await peer.waitFor(1);
 * peer.received[0].recipients; // ['jean.dupont@medecin.mssante.fr']
 */
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface NationalDelivery {
  mailFrom: string;
  recipients: string[];
  raw: Buffer;
  at: number;
}

export interface NationalPeer {
  port: number;
  received: NationalDelivery[];
  /** Reply for the next DATA commands: null to accept. */
  refuseWith: { code: number; message: string } | null;
  /** Delay before answering DATA, ms. */
  delayMs: number;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startNationalPeer(o: { domains: string[]; port?: number }): Promise<NationalPeer> {
  const domains = new Set(o.domains.map((d) => d.toLowerCase()));
  const waiters: { count: number; resolve: () => void }[] = [];
  const peer: NationalPeer = {
    port: 0,
    received: [],
    refuseWith: null,
    delayMs: 0,
    waitFor(count, timeoutMs = 15_000) {
      if (peer.received.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { count, resolve };
        waiters.push(w);
        setTimeout(() => reject(new Error(`national peer: ${peer.received.length}/${count} messages after ${timeoutMs} ms`)), timeoutMs).unref();
      });
    },
    close: async () => {},
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _s, cb) {
      const d = address.address.split('@')[1]?.toLowerCase() ?? '';
      if (!domains.has(d)) {
        const e = new Error('5.1.1 Mailbox unknown') as Error & { responseCode: number };
        e.responseCode = 550;
        return cb(e);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const finish = () => {
          if (peer.refuseWith) {
            const e = new Error(peer.refuseWith.message) as Error & { responseCode: number };
            e.responseCode = peer.refuseWith.code;
            return cb(e);
          }
          peer.received.push({
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            recipients: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            raw: Buffer.concat(chunks),
            at: Date.now(),
          });
          for (const w of [...waiters]) {
            if (peer.received.length >= w.count) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve();
            }
          }
          cb(null, 'Ok: delivered');
        };
        if (peer.delayMs) setTimeout(finish, peer.delayMs);
        else finish();
      });
    },
  });
  server.on('error', () => { /* a client cut the connection (e.g. a gateway killed in a test) */ });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', () => resolve()));
  peer.port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  peer.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return peer;
}
