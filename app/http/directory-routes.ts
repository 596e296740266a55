/**
 * HTTP API of the address book (Hono, runtime agnostic), every route behind a bearer token:
 *
 * - `GET  /search?q=WORDS[&limit=N]` → `{ entries: SearchEntry[] }`
 * - `GET  /resolve?address=ADDR` → the `Route` with the target's `partyKey` and `confidence`
 *   (freshness, source, conflicts: `AddressLookup`), or 404
 * - search entries carry each mailbox's `confidence` too
 * - `POST /sync/national[?fileName=NAME][&force=1]` body: the extraction (`.txt` or `.zip`)
 * - `POST /sync/legacy[?fileName=NAME][&force=1]` body: the annuaire (ISO-8859-1 CSV or `.zip`)
 *   → the `ImportReport`; 400 for a malformed file, 409 for a file older than the last one
 * - `GET  /stats`
 * - `GET  /export/interop|operator[?mode=full|diff]` → the file; header `X-Export-Upto-Run`
 * - `POST /export/interop|operator/ack` body `{"uptoRun":N,"mode":"diff","count":C}`: the
 *   client stored the export, the next `diff` starts after it
 *
 * @example
 * const app = new Hono();
 * app.route('/directory', directoryRoutes(directory, process.env.PASSERELLE_DIRECTORY_TOKEN!));
 * // curl -H 'Authorization: Bearer …' 'http://127.0.0.1:8025/directory/resolve?address=jean.dupont.med@interop.lnp.test'
 */
import { Hono, type Context } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import type { ExportSummary, Feed } from '../../core/ports/directory-store.js';
import type { DirectoryStore } from '../../core/ports/directory-store.js';
import { DirectoryFormatError, StaleDirectoryFileError } from '../../directory/errors.js';

export interface DirectoryRoutesOptions {
  /** Only `GET /search` and `GET /resolve` (the Workers copy: read-only, public professional data). */
  lookupOnly?: boolean;
}

/** What the routes need of the address book: the port, never an engine. */
export type DirectoryService = Pick<DirectoryStore, 'search' | 'resolve' | 'lookup' | 'importNational' | 'importLegacy' | 'stats' | 'exportFeed' | 'commitExport'>;

async function* streamChunks(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function isFeed(x: string): x is Feed {
  return x === 'interop' || x === 'operator';
}

/**
 * The sub-app; mount it where the gateway wants it.
 *
 * @example
 * app.route('/directory', directoryRoutes(dir, token));
 * // under the admin API (`/api/directory`), behind its tokens: reader may GET, operator may sync
 * adminApi({ …, mounts: { '/directory': directoryRoutes(dir, { mountedBehindAuth: true }) } });
 */
export function directoryRoutes(
  service: DirectoryService | ((c: Context) => DirectoryService),
  auth: string | { mountedBehindAuth: true },
  opts: DirectoryRoutesOptions = {},
): Hono {
  const app = new Hono();
  // One address book, or one per request (on Workers, the store over the request's D1 binding).
  const of = (c: Context): DirectoryService => (typeof service === 'function' ? service(c) : service);
  if (typeof auth === 'string') {
    // Standalone: one bearer token. Under the admin API, its tokens and roles guard the routes.
    if (!auth) throw new Error('directoryRoutes: a bearer token is required');
    app.use('*', bearerAuth({ token: auth }));
  }

  app.onError((err, c) => {
    if (err instanceof DirectoryFormatError) return c.json({ error: err.message }, 400);
    if (err instanceof StaleDirectoryFileError) return c.json({ error: err.message }, 409);
    if ('getResponse' in err && typeof (err as { getResponse?: unknown }).getResponse === 'function') {
      return (err as unknown as { getResponse(): Response }).getResponse();
    }
    return c.json({ error: 'directory error' }, 500);
  });

  app.get('/search', async (c) => {
    const q = c.req.query('q') ?? '';
    const limit = Math.min(100, Math.max(1, Number(c.req.query('limit') ?? 20) || 20));
    if (!q.trim()) return c.json({ error: 'query parameter q is required' }, 400);
    return c.json({ entries: await of(c).search(q, limit) });
  });

  app.get('/resolve', async (c) => {
    const address = c.req.query('address') ?? '';
    if (!address.includes('@')) return c.json({ error: 'query parameter address must be an address' }, 400);
    const route = await of(c).lookup(address);
    return route ? c.json(route) : c.json({ error: 'address not served by the gateway' }, 404);
  });
  if (opts.lookupOnly) return app;

  app.post('/sync/:source', async (c) => {
    const source = c.req.param('source');
    if (source !== 'national' && source !== 'legacy') return c.json({ error: 'source must be national or legacy' }, 404);
    const options = { fileName: c.req.query('fileName') || undefined, force: c.req.query('force') === '1' };
    const input = streamChunks(c.req.raw.body);
    const report = source === 'national' ? await of(c).importNational(input, options) : await of(c).importLegacy(input, options);
    return c.json(report);
  });

  app.get('/stats', async (c) => c.json(await of(c).stats()));

  app.get('/export/:feed', async (c) => {
    const feed = c.req.param('feed');
    const mode = c.req.query('mode') === 'diff' ? 'diff' : 'full';
    if (!isFeed(feed)) return c.json({ error: 'feed must be interop or operator' }, 404);
    const chunks: Uint8Array[] = [];
    const s = await of(c).exportFeed(feed, mode, (b) => void chunks.push(b));
    const body = new Blob(chunks as BlobPart[]);
    return new Response(body, {
      headers: {
        'Content-Type': feed === 'interop' ? 'text/csv; charset=ISO-8859-1' : 'application/fhir+json',
        'X-Export-Upto-Run': String(s.uptoRun),
        'X-Export-Since-Run': String(s.sinceRun),
        'X-Export-Count': String(s.count),
      },
    });
  });

  app.post('/export/:feed/ack', async (c) => {
    const feed = c.req.param('feed');
    if (!isFeed(feed)) return c.json({ error: 'feed must be interop or operator' }, 404);
    const body = (await c.req.json().catch(() => null)) as { uptoRun?: unknown; count?: unknown; mode?: unknown } | null;
    if (!body || typeof body.uptoRun !== 'number' || !Number.isInteger(body.uptoRun) || body.uptoRun < 0) {
      return c.json({ error: 'body must be JSON with an integer uptoRun' }, 400);
    }
    const s: ExportSummary = { feed, mode: body.mode === 'full' ? 'full' : 'diff', count: typeof body.count === 'number' ? body.count : 0, sinceRun: 0, uptoRun: body.uptoRun };
    await of(c).commitExport(s);
    return c.json({ ok: true, feed, uptoRun: s.uptoRun });
  });

  return app;
}
