/**
 * The gateway's HTTP interface (Hono): health and queue figures for monitoring. Runtime
 * agnostic; `app/node/` serves it on Node.
 *
 * `/health` answers 200 with the queue's figures, or 503 when the node cannot work: its
 * database is away (`{"status":"unavailable","reason":"database unreachable since …"}`, from
 * the store's `availability`, without waiting for it), or the store fails to answer.
 *
 * @example
 * const app = healthApp({ store, startedAt: Date.now(), listeners: () => ({ legacy: 2525 }) });
 * await app.request('/health'); // 200 {"status":"ok",…}
 */
import { Hono } from 'hono';
import type { Store } from '../../core/ports/message-store.js';

export interface HealthAppOptions {
  store: Store;
  startedAt: number;
  version?: string;
  /** Ports the gateway listens on, by name. */
  listeners: () => Record<string, number>;
  /** Sub-apps to mount, by path (e.g. the directory API). */
  mounts?: Record<string, Hono>;
}

export function healthApp(o: HealthAppOptions): Hono {
  const app = new Hono();
  app.get('/health', async (c) => {
    const a = o.store.availability?.();
    if (a && !a.available) {
      return c.json({
        status: 'unavailable',
        reason: `database unreachable since ${new Date(a.since).toISOString()} (${a.reason})`,
        since: new Date(a.since).toISOString(),
        version: o.version ?? '0.1.0',
        uptimeSeconds: Math.round((Date.now() - o.startedAt) / 1000),
        listeners: o.listeners(),
      }, 503);
    }
    try {
      const s = await o.store.summary();
      return c.json({
        status: 'ok',
        version: o.version ?? '0.1.0',
        uptimeSeconds: Math.round((Date.now() - o.startedAt) / 1000),
        listeners: o.listeners(),
        queue: s.deliveries,
        messages: s.messages,
        nextDue: s.nextDue ? new Date(s.nextDue).toISOString() : null,
      });
    } catch (err) {
      return c.json({ status: 'error', error: (err as Error).message }, 503);
    }
  });
  app.get('/', (c) => c.html('<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Passerelle</title></head><body><p>Passerelle gateway. See <a href="/health">/health</a>; admins: <a href="/console">console</a>.</p></body></html>\n'));
  for (const [path, sub] of Object.entries(o.mounts ?? {})) app.route(path, sub);
  return app;
}
