/**
 * The SMTP listener that receives what the legacy relay forwards to the gateway (Node edge):
 * mail for `@interop.DOMAIN` recipients, sealed for the gateway.
 *
 * - RCPT: only `interop` addresses the directory knows (550 5.1.1 otherwise; 550 5.2.1 for a
 *   suspended or removed one) — never an open relay; the gateway's own address only from the
 *   null sender (a relay bounce, `relay-bounce.ts`), alone in its transaction (452 4.5.3);
 * - SIZE advertised, 552 above the limit;
 * - DATA: a mail without an `X-LNP-Transit` header field in its header block did not come
 *   through the relay (SPEC §5: only the relay sets it) and is refused with `550 5.7.1`
 *   (`NOT_RELAYED`), nothing committed; the one exception is a relay bounce, from the null
 *   sender to the gateway's own address alone (a plain RFC 3464 report carries no such field);
 * - optional STARTTLS, optional allow-list of relay addresses;
 * - `250` only once the message and its recipients are committed. A mail that cannot be
 *   opened is still accepted: the pipeline quarantines it and tells its sender.
 *
 * @example
 * const l = await startLegacyListener({ host: '127.0.0.1', port: 2525, maxSize: 25e6,
 *   allowedRelays: [], domain: 'lnp.test', sink: gateway, resolver, log });
 * l.port; await l.close();
 */
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../../core/errors/gateway-error.js';
import type { RouteResolver } from '../../core/ports/route-resolver.js';
import type { Logger } from '../../core/log/logger.js';
import { acceptData, groupReplies, smtpError, type AcceptSink } from '../smtp/smtp-listener.js';
import { peekHeader } from '../../core/pipeline/header-peek.js';

export interface LegacyListenerOptions {
  host: string;
  port: number;
  maxSize: number;
  /** Relay IP addresses allowed to connect; empty: any. */
  allowedRelays: string[];
  /** The network's domain: recipients must be `LOCAL@interop.<domain>`. */
  domain: string;
  /**
   * The gateway's own subscriber address (`passerelle@gateway.<domain>`): accepted as a
   * recipient only from the null sender `<>` (a relay bounce), alone in its transaction.
   * Unset: refused like any other non-interop address.
   */
  ownAddress?: string;
  tls?: { key: string | Buffer; cert: string | Buffer };
  sink: AcceptSink;
  resolver: RouteResolver;
  log: Logger;
  banner?: string;
}

export interface RunningListener {
  port: number;
  /** The socket is bound and accepting connections (readiness). */
  listening(): boolean;
  close(): Promise<void>;
}

const LOCAL = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export async function startLegacyListener(o: LegacyListenerOptions): Promise<RunningListener> {
  const allowed = new Set(o.allowedRelays.map(normaliseIp));
  const interop = `interop.${o.domain}`;
  const own = o.ownAddress?.toLowerCase();
  const server = new SMTPServer({
    name: `passerelle.${o.domain}`,
    banner: o.banner ?? 'Passerelle legacy inbound',
    size: o.maxSize,
    authOptional: true,
    disabledCommands: o.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(o.tls ? { key: o.tls.key, cert: o.tls.cert, minVersion: 'TLSv1.2' } : {}),
    logger: false,
    onConnect(session, cb) {
      if (allowed.size && !allowed.has(normaliseIp(session.remoteAddress))) {
        o.log.warn('connection refused: not an allowed relay', { remote: session.remoteAddress });
        return cb(smtpError(new GatewayError('CLIENT_NOT_ALLOWED')));
      }
      cb();
    },
    onMailFrom(address, session, cb) {
      const args = address.args as unknown as Record<string, string> | false | undefined;
      const size = Number((args && args.SIZE) || 0);
      if (size > o.maxSize) return cb(smtpError(new GatewayError('MESSAGE_TOO_BIG')));
      cb();
    },
    onRcptTo(address, session, cb) {
      const rcpt = address.address.toLowerCase();
      const nullSender = !session.envelope.mailFrom || session.envelope.mailFrom.address === '';
      const others = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
      if (own && rcpt === own) {
        // Only a bounce (null sender) reaches the gateway itself; anything else to it stays refused.
        if (!nullSender) return cb(smtpError(new GatewayError('RELAY_DENIED')));
        if (others.some((r) => r !== own)) return cb(smtpError(new GatewayError('TOO_MANY_RECIPIENTS')));
        return cb();
      }
      if (own && others.includes(own)) return cb(smtpError(new GatewayError('TOO_MANY_RECIPIENTS')));
      const [local, domain] = rcpt.split('@');
      if (domain !== interop || !LOCAL.test(local ?? '')) return cb(smtpError(new GatewayError('RELAY_DENIED')));
      o.resolver.resolve(rcpt).then(
        (route) => {
          if (!route) return cb(smtpError(new GatewayError('UNKNOWN_RECIPIENT')));
          if (route.status !== 'active') return cb(smtpError(new GatewayError('RECIPIENT_SUSPENDED')));
          cb();
        },
        () => cb(smtpError(new GatewayError('STORE_UNAVAILABLE'))),
      );
    },
    onData: acceptData('legacy', o.sink, o.log, undefined, (raw, session) => transitRule(raw, session, own)),
  });
  groupReplies(server);
  server.on('error', (err) => o.log.warn('legacy listener error', { error: err }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  return {
    port,
    listening: () => server.server.listening,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * SPEC §5: mail the relay delivered carries `X-LNP-Transit: RELAYID` in its header block (in
 * clear, outside the sealed body). Without it (absent or empty) the mail did not come through
 * the relay: refused. Exception: a relay bounce, from the null sender to the gateway's own
 * address alone (the listener's RCPT rules already keep that address alone and for `<>`).
 */
export function transitRule(raw: Uint8Array, session: SMTPServerSession, own: string | undefined): GatewayError | null {
  const nullSender = !session.envelope.mailFrom || session.envelope.mailFrom.address === '';
  const rcpts = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
  if (own && nullSender && rcpts.length > 0 && rcpts.every((r) => r === own)) return null;
  if (peekHeader(raw, 'x-lnp-transit')) return null;
  return new GatewayError('NOT_RELAYED', { detail: 'no X-LNP-Transit header field' });
}

function normaliseIp(ip: string): string {
  return ip.replace(/^::ffff:/, '');
}
