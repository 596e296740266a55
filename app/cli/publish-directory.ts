/**
 * `passerelle directory publish`: copies what changed in the gateway's address book to its
 * copy on Workers + D1, through the Worker's publish routes (`app/http/directory-publish-routes.ts`).
 * The copy says which run it last finished publishing; the rows changed by a later run are
 * sent a page at a time (with every run record, for freshness), then the copy is told the
 * publication is complete. An interrupted publication is simply sent again: rows are upserted
 * by id. Only the directory's public professional data leaves the gateway, never messages.
 *
 * @example
 * await publishDirectory(store, { url: 'https://edge.example.workers.dev', token });
 * // { sinceRun: 3, uptoRun: 5, mailboxes: 5312, pages: 3 }
 */
import type { DirectoryStore } from '../../core/ports/directory-store.js';

export interface PublishOptions {
  /** The Worker's base URL (its routes are under `/directory/publish`). */
  url: string;
  /** The `DIRECTORY_PUBLISH_TOKEN` of the Worker. */
  token: string;
  /** Mailbox rows per request (the Worker takes at most 2,000). */
  pageRows?: number;
  /** Publish everything, not only what changed since the copy's last publication. */
  full?: boolean;
  fetch?: typeof fetch;
  onPage?: (sent: number) => void;
}

export interface PublishSummary {
  sinceRun: number;
  uptoRun: number;
  mailboxes: number;
  pages: number;
}

export async function publishDirectory(store: DirectoryStore, o: PublishOptions): Promise<PublishSummary> {
  const f = o.fetch ?? fetch;
  const base = o.url.replace(/\/+$/, '') + '/directory/publish';
  const headers = { authorization: `Bearer ${o.token}`, 'content-type': 'application/json' };
  const call = async (path: string, init?: RequestInit) => {
    const res = await f(base + path, { ...init, headers });
    if (!res.ok) throw new Error(`the Worker answered ${res.status} to ${init?.method ?? 'GET'} /directory/publish${path}: ${(await res.text()).slice(0, 200)}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  const sinceRun = o.full ? 0 : Number((await call('')).publishedRun ?? 0);
  const runs = await store.importRuns();
  const uptoRun = runs.length ? runs[runs.length - 1].id : 0;
  const page = Math.min(o.pageRows ?? 1_000, 2_000);
  let mailboxes = 0;
  let pages = 0;
  for (let after = 0; ; ) {
    const rows = await store.changedMailboxes(sinceRun, after, page);
    if (rows.length === 0 && pages > 0) break;
    await call('', { method: 'POST', body: JSON.stringify({ runs: pages === 0 ? runs : [], mailboxes: rows }) });
    pages++;
    mailboxes += rows.length;
    o.onPage?.(mailboxes);
    if (rows.length < page) break;
    after = rows[rows.length - 1].id;
  }
  await call('/done', { method: 'POST', body: JSON.stringify({ uptoRun, count: mailboxes }) });
  return { sinceRun, uptoRun, mailboxes, pages };
}
