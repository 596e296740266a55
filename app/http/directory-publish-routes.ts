/**
 * The routes a copy of the address book is fed by (Hono, Web APIs only): the gateway's
 * `passerelle directory publish` sends what changed since the copy's last finished
 * publication, a page at a time, then says it has finished.
 *
 * - `GET  /publish` → `{ publishedRun }`: the last run whose publication finished (0: none)
 * - `POST /publish` body `{ runs, mailboxes }` (JSON, at most `MAX_ROWS` mailboxes) → counts applied
 * - `POST /publish/done` body `{ uptoRun, count }` → the publication is complete up to that run
 *
 * Mount it behind its own token: readers of the copy must not be able to write to it.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { DirectoryReplica } from '../../core/ports/directory-store.js';

/** Mailbox rows per request (a page of the publisher). */
export const MAX_ROWS = 2_000;

const nullableText = z.string().nullable();
const publication = z.object({
  runs: z.array(z.object({
    id: z.number().int().positive(), source: z.string(), fileName: nullableText, fileDate: nullableText,
    startedAt: z.number().int(), finishedAt: z.number().int().nullable(), counts: nullableText,
  })).max(10_000),
  mailboxes: z.array(z.object({
    id: z.number().int().positive(), network: z.enum(['mssante', 'legacy']), address: z.string().min(3).max(320), kind: z.string().max(8),
    status: z.enum(['active', 'suspended', 'removed']), alias: nullableText, displayName: nullableText, partyKey: nullableText, linkState: nullableText,
    linkNote: nullableText, record: z.string().max(8192), lineHash: z.number().int(), firstRun: z.number().int(), changeRun: z.number().int(),
  })).max(MAX_ROWS),
});
const done = z.object({ uptoRun: z.number().int().nonnegative(), count: z.number().int().nonnegative() });

export function directoryPublishRoutes(replica: (c: Context) => DirectoryReplica): Hono {
  const app = new Hono();
  app.get('/publish', async (c) => c.json({ publishedRun: await replica(c).publishedRun() }));
  app.post('/publish', async (c) => {
    const parsed = publication.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: 'body must be a publication page: { runs, mailboxes }', issues: parsed.error.issues.slice(0, 5) }, 400);
    return c.json(await replica(c).applyPublication(parsed.data));
  });
  app.post('/publish/done', async (c) => {
    const parsed = done.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: 'body must be { uptoRun, count }' }, 400);
    await replica(c).markPublished(parsed.data.uptoRun, parsed.data.count);
    return c.json({ publishedRun: parsed.data.uptoRun });
  });
  return app;
}
