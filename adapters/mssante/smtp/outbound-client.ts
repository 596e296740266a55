/**
 * Delivery to MSSanté operators over SMTP with mutual TLS. Node edge.
 *
 * - Only to domains on the trust list; others get a permanent `550 5.7.1 Domain is not on
 *   the trust list` outcome without any connection.
 * - Route: a static route from configuration when one is set for the domain, else MX
 *   look-up (`node:dns`), lowest preference first, the domain itself when it has no MX
 *   (RFC 5321 §5.1). The next MX is tried when one cannot be reached.
 * - STARTTLS required; TLS 1.3, or TLS 1.2 offering only the four suites of the rules (plus
 *   `mssante.tls.extraCiphers` when widened); the server certificate must chain
 *   to the anchors (and pass the CRLs when configured) and match the host name (the MX name,
 *   or a route's `tlsName`); the gateway's certificate is presented.
 * - One connection pool per destination (host, port, TLS name), `adapters/smtp/raw-smtp-pool.ts`:
 *   connections are reused, each sealed message goes as one Buffer (no MIME rebuilding, no
 *   stream chain), the envelope pipelined, the TLS session resumed on new connections.
 * - Outcomes per recipient: `delivered` on 2xx; `permanent` on 5xx; `temporary` on 4xx and
 *   on every failure that is not a reply (DNS trouble, refused connection, TLS failure,
 *   STARTTLS missing, time-outs): those feed the retry queue.
 */
import { promises as dns } from 'node:dns';
import type { SecureContextOptions } from 'node:tls';
import { RawSmtpPool } from '../../smtp/raw-smtp-pool.js';
import type { DeliveryOutcome } from '../../../core/ports/adapter.js';
import type { SealedMessage } from '../../../core/model/message.js';
import { GatewayError } from '../../../core/errors/index.js';
import type { TrustList } from '../trust-list/trust-list.js';

/** A static route: `host:port`, or an object that also names the TLS host name to verify. */
export type StaticRoute = string | { host: string; port: number; tlsName?: string };

export interface OutboundClientOptions {
  /** From `mssanteTlsOptions(...)`: the gateway's key + chain, the anchors, CRLs, suites. */
  tls: SecureContextOptions;
  trustList: () => TrustList;
  /** EHLO name (the gateway's host name in the national space). */
  name: string;
  /** Domain → route; domains without one use MX. */
  routes?: Record<string, StaticRoute>;
  /** Port for MX hosts (default 25). */
  port?: number;
  /** Injected for tests; default `dns.resolveMx`. */
  resolveMx?: (domain: string) => Promise<{ exchange: string; priority: number }[]>;
  /**
   * Connections per destination (default 2); each is retired after `maxMessages` messages
   * (default: no limit) or `maxAge` ms (default 300 s, Postfix's connection reuse time limit):
   * a peer that limits the messages of a session says so (421), and the message is sent again
   * on a new connection.
   */
  maxConnections?: number;
  maxMessages?: number;
  maxAge?: number;
  /** Time-outs, ms (defaults: connect 30 s, greeting 30 s, socket 5 min). */
  connectionTimeout?: number;
  greetingTimeout?: number;
  socketTimeout?: number;
}

interface Destination {
  host: string;
  port: number;
  tlsName: string;
}

type SmtpError = Error & { responseCode?: number; response?: string; code?: string; rejectedErrors?: SmtpError[]; recipient?: string };

/** A reply line for a failure that is not an SMTP reply (safe to show to a sender). */
function localTemporary(why: string): string {
  return new GatewayError('REMOTE_TEMPORARY', { text: `Remote host did not accept the message yet (${why})` }).reply;
}

function describeNetworkError(err: SmtpError): string {
  const msg = err.message ?? '';
  if (/certificate|self.signed|unable to (get|verify)|CERT_|altnames|Hostname\/IP/i.test(msg + (err.code ?? ''))) return 'TLS: server certificate not accepted';
  if (/STARTTLS/i.test(msg)) return 'STARTTLS not offered by the server';
  if (err.code === 'ETIMEDOUT' || /timeout/i.test(msg)) return 'time-out';
  if (/ECONNREFUSED/.test(msg) || (err as { originalCode?: string }).originalCode === 'ECONNREFUSED') return 'connection refused';
  if (err.code === 'ETLS' || /TLS|SSL|handshake/i.test(msg)) return 'TLS handshake failed';
  return 'connection failed';
}

function firstLine(s: string): string {
  return s.split(/\r?\n/)[0].slice(0, 300);
}

/**
 * @example
 * const client = new OutboundClient({
 *   tls: mssanteTlsOptions({ identity, anchors }), trustList: () => loader.current(),
 *   name: 'mx.passerelle.example.fr', routes: { 'medecin.mssante.fr': { host: '127.0.0.1', port: 2526, tlsName: 'mx.medecin.mssante.fr' } },
 * });
 * const outcomes = await client.deliver(sealed); // one DeliveryOutcome per recipient
 * await client.close();
 */
export class OutboundClient {
  private readonly pools = new Map<string, RawSmtpPool>();

  constructor(private readonly opts: OutboundClientOptions) {}

  /** Delivers to every recipient, grouped by domain; never throws for a peer's refusal. */
  async deliver(message: SealedMessage): Promise<DeliveryOutcome[]> {
    const byDomain = new Map<string, string[]>();
    for (const r of message.recipients) {
      const d = r.slice(r.lastIndexOf('@') + 1).toLowerCase();
      byDomain.set(d, [...(byDomain.get(d) ?? []), r]);
    }
    const results = await Promise.all([...byDomain].map(([domain, rcpts]) => this.deliverToDomain(domain, rcpts, message)));
    const flat = results.flat();
    // keep the caller's recipient order
    return message.recipients.map((r) => flat.find((o) => o.recipient === r)!);
  }

  private async deliverToDomain(domain: string, recipients: string[], message: SealedMessage): Promise<DeliveryOutcome[]> {
    const all = (result: DeliveryOutcome['result'], reply: string) => recipients.map((recipient) => ({ recipient, result, reply }));
    let list: TrustList;
    try {
      list = this.opts.trustList();
    } catch {
      return all('temporary', localTemporary('trust list unavailable'));
    }
    if (!list.has(domain)) return all('permanent', new GatewayError('DOMAIN_NOT_TRUSTED').reply);

    let destinations: Destination[];
    try {
      destinations = await this.destinations(domain);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'NXDOMAIN') return all('permanent', new GatewayError('NO_ROUTE').reply);
      return all('temporary', localTemporary('DNS look-up failed'));
    }
    if (destinations.length === 0) return all('permanent', new GatewayError('NO_ROUTE').reply);

    let lastNetworkError: SmtpError | null = null;
    for (const dest of destinations) {
      try {
        const info = await this.pool(dest).send({ from: message.mailFrom, to: recipients }, message.raw);
        const rejected = new Map<string, SmtpError>();
        for (const e of ((info as unknown as { rejectedErrors?: SmtpError[] }).rejectedErrors ?? [])) if (e.recipient) rejected.set(e.recipient, e);
        const okReply = firstLine(String(info.response ?? '250 OK'));
        return recipients.map((recipient) => {
          const e = rejected.get(recipient);
          if (!e) return { recipient, result: 'delivered', reply: okReply };
          return { recipient, result: (e.responseCode ?? 0) >= 500 ? 'permanent' : 'temporary', reply: firstLine(e.response ?? localTemporary('recipient refused')) };
        });
      } catch (raw) {
        const err = raw as SmtpError;
        if (err.responseCode) {
          // A reply from the server: per recipient when RCPT said so, else for the whole transaction.
          const per = new Map<string, SmtpError>();
          for (const e of err.rejectedErrors ?? []) if (e.recipient) per.set(e.recipient, e);
          return recipients.map((recipient) => {
            const e = per.get(recipient) ?? err;
            const code = e.responseCode ?? err.responseCode!;
            return { recipient, result: code >= 500 ? 'permanent' : 'temporary', reply: firstLine(e.response ?? `${code}`) };
          });
        }
        lastNetworkError = err;
        // not a reply: try the next MX
      }
    }
    return all('temporary', localTemporary(describeNetworkError(lastNetworkError!)));
  }

  private async destinations(domain: string): Promise<Destination[]> {
    const route = this.opts.routes?.[domain];
    if (route !== undefined) {
      if (typeof route === 'string') {
        const i = route.lastIndexOf(':');
        const host = route.slice(0, i);
        return [{ host, port: Number(route.slice(i + 1)), tlsName: host }];
      }
      return [{ host: route.host, port: route.port, tlsName: route.tlsName ?? route.host }];
    }
    const resolve = this.opts.resolveMx ?? ((d: string) => dns.resolveMx(d));
    let mx: { exchange: string; priority: number }[];
    try {
      mx = await resolve(domain);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENODATA') mx = [];
      else throw err;
    }
    const port = this.opts.port ?? 25;
    if (mx.length === 0) return [{ host: domain, port, tlsName: domain }];
    // RFC 7505 null MX: the domain accepts no mail
    if (mx.length === 1 && (mx[0].exchange === '' || mx[0].exchange === '.')) return [];
    return [...mx].sort((a, b) => a.priority - b.priority).map((m) => ({ host: m.exchange.replace(/\.$/, ''), port, tlsName: m.exchange.replace(/\.$/, '') }));
  }

  private pool(dest: Destination): RawSmtpPool {
    const key = `${dest.host}|${dest.port}|${dest.tlsName}`;
    let t = this.pools.get(key);
    if (!t) {
      t = new RawSmtpPool({
        host: dest.host,
        port: dest.port,
        requireTLS: true,
        name: this.opts.name,
        maxConnections: this.opts.maxConnections ?? 2,
        maxMessages: this.opts.maxMessages ?? Infinity,
        maxAge: this.opts.maxAge ?? 300_000,
        connectionTimeout: this.opts.connectionTimeout ?? 30_000,
        greetingTimeout: this.opts.greetingTimeout ?? 30_000,
        socketTimeout: this.opts.socketTimeout ?? 300_000,
        tls: { ...this.opts.tls, servername: dest.tlsName, rejectUnauthorized: true },
      });
      this.pools.set(key, t);
    }
    return t;
  }

  /** Same as `deliver`: makes the client a `NationalTransport` (see `mssante-adapter.ts`). */
  send(message: SealedMessage): Promise<DeliveryOutcome[]> {
    return this.deliver(message);
  }

  /** Closes every pooled connection. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((t) => t.close()));
  }
}
