/**
 * A national transport over plain SMTP to static routes (domain → host:port), pooled per
 * destination. For development and tests before the mutual-TLS transport is configured:
 * it never sends to a domain without a route, and never upgrades with STARTTLS. The same
 * client for sealed raw messages as the mutual-TLS transport (`RawSmtpPool`), without TLS.
 *
 * @example
 * const t = new StaticRouteTransport({ 'medecin.mssante.fr': '127.0.0.1:2600' });
 */
import { RawSmtpPool } from '../smtp/raw-smtp-pool.js';
import type { DeliveryOutcome } from '../../core/ports/adapter.js';
import type { SealedMessage } from '../../core/model/message.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import { outcomesFromError, outcomesFromInfo } from '../smtp/smtp-outcome.js';
import type { NationalTransport } from './mssante-adapter.js';

export class StaticRouteTransport implements NationalTransport {
  private readonly pools = new Map<string, RawSmtpPool>();

  constructor(private readonly routes: Record<string, string | { host: string; port: number }>) {}

  async send(m: SealedMessage): Promise<DeliveryOutcome[]> {
    const byDomain = new Map<string, string[]>();
    for (const r of m.recipients) {
      const d = r.split('@')[1]?.toLowerCase() ?? '';
      byDomain.set(d, [...(byDomain.get(d) ?? []), r]);
    }
    const out: DeliveryOutcome[] = [];
    for (const [domain, rcpts] of byDomain) {
      const route = this.routes[domain];
      if (!route) {
        const e = new GatewayError('NO_ROUTE', { detail: `no route to ${domain}` });
        out.push(...rcpts.map((r) => ({ recipient: r, result: 'permanent' as const, reply: e.reply })));
        continue;
      }
      const t = this.pool(typeof route === 'string' ? route : `${route.host}:${route.port}`);
      try {
        out.push(...outcomesFromInfo(rcpts, await t.send({ from: m.mailFrom, to: rcpts }, m.raw)));
      } catch (err) {
        out.push(...outcomesFromError(rcpts, err as Error));
      }
    }
    return out;
  }

  private pool(route: string): RawSmtpPool {
    let t = this.pools.get(route);
    if (!t) {
      const [host, port] = route.split(':');
      t = new RawSmtpPool({
        host: host!, port: Number(port), ignoreTLS: true, maxConnections: 4, maxMessages: Infinity,
        connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000,
      });
      this.pools.set(route, t);
    }
    return t;
  }

  async close(): Promise<void> {
    for (const t of this.pools.values()) await t.close();
    this.pools.clear();
  }
}
