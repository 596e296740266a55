/**
 * `/metrics` (Prometheus text exposition) and `/ready` (readiness with its reasons) as Hono
 * sub-apps, mounted by `healthApp` beside `/health`. Runtime agnostic: what they read is
 * given by `app/node/observability.ts`.
 *
 * @example
 * healthApp({ …, mounts: { '/metrics': metricsRoutes(metrics), '/ready': readyRoutes(() => checkReadiness(sources)) } });
 */
import { Hono } from 'hono';
import type { Readiness } from '../node/readiness.js';

export function metricsRoutes(m: { text(): Promise<string>; contentType: string }): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    try {
      return c.body(await m.text(), 200, { 'content-type': m.contentType });
    } catch (err) {
      // A collector failed (the store did not answer): say so, so that the scrape shows as failed.
      return c.text(`# metrics unavailable: ${(err as Error).message}\n`, 503);
    }
  });
  return app;
}

export function readyRoutes(check: () => Promise<Readiness>): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    const r = await check();
    return c.json({ status: r.ready ? 'ready' : 'not ready', ...r }, r.ready ? 200 : 503);
  });
  return app;
}
