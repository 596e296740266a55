/**
 * Search latency of the address book (issue 15, item 2: a miss in ≤ 5 ms on 1,000,000 lines),
 * on SQLite (FTS5) and PostgreSQL (tsvector + GIN, on a private server from
 * `test/support/postgres-server.ts`), over the same synthetic national extraction. On SQLite
 * twice: the index written by the import's own thread, and the one a first load builds beside
 * it on a worker thread (`threaded-search-side.ts`), as the CLI and the gateway load; the two
 * indexes hold the same words in segments of other sizes, which a miss feels. Queries:
 * - hit: a surname and the city of a mailbox drawn at random (two words);
 * - prefix: the first three letters of a random surname (many hits, the first 20 entries);
 * - identifier: a random RPPS/ADELI;
 * - miss: a word no line holds.
 * Each kind is timed per query (p50, p99) over `SEARCH_BENCH_QUERIES` (default 200) queries,
 * through the `DirectoryStore` port (entries with their mailboxes and confidence).
 * `BENCH_LINES` sizes the directory (default: the directory bench's line count).
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { median, percentile } from './harness.js';
import { writeSyntheticNational } from '../directory/synthetic/write-file.js';
import type { DirectoryStore } from '../core/ports/directory-store.js';
import { SqliteDirectoryStore } from '../storage/sqlite/directory-store.js';
import { threadedSearchSide } from '../app/node/threaded-search-side.js';
import { PostgresDirectoryStore } from '../storage/postgres/directory-store.js';
import { postgresUnavailable, startPostgres } from '../test/support/postgres-server.js';

const CONFIG = { legacyDomain: 'lnp.test', nationalDomain: 'passerelle.mssante.test' };

interface Queries {
  hit: string[];
  prefix: string[];
  identifier: string[];
  miss: string[];
}

/** Queries drawn from the file's own lines (every `step`-th line). */
async function drawQueries(file: string, lines: number, n: number): Promise<Queries> {
  const q: Queries = { hit: [], prefix: [], identifier: [], miss: [] };
  const step = Math.max(1, Math.floor(lines / n));
  let k = 0;
  let next = 1;
  let buf = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf-8' })) {
    buf += chunk;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const line of parts) {
      if (k++ < next || q.hit.length >= n) continue;
      const c = line.split('|');
      // A person's surname and RPPS/ADELI, or an organisation's first word and FINESS.
      const last = c[9] || (c[18] ?? '').split(' ')[0];
      const id = c[3] || c[6];
      const city = (c[27] ?? '').split(' ').slice(1).join(' ');
      if (!last || !id || last.length < 3) continue;
      next = k + step;
      q.hit.push(city ? `${last} ${city}` : last);
      q.prefix.push(last.slice(0, 3));
      q.identifier.push(id);
      q.miss.push(`zq${q.miss.length}xw`);
    }
  }
  return q;
}

async function time(store: DirectoryStore, queries: string[], expectHits: boolean): Promise<{ p50: number; p99: number }> {
  const ms: number[] = [];
  for (const q of queries) {
    const s = performance.now();
    const r = await store.search(q, 20);
    ms.push(performance.now() - s);
    if (expectHits && r.length === 0) throw new Error(`no entry for a query drawn from the file`);
    if (!expectHits && r.length > 0) throw new Error(`a miss query found entries`);
  }
  return { p50: median(ms), p99: percentile(ms, 99) };
}

async function measureStore(engine: string, store: DirectoryStore, file: string, q: Queries): Promise<void> {
  const t0 = performance.now();
  const r = await store.importNational(createReadStream(file, { highWaterMark: 1 << 20 }), { fileName: 'Extraction_Correspondance_MSSante_202611010300.txt', force: true });
  process.stdout.write(`  ${engine}: import of ${r.inserted} lines (search index included) ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  await store.search(q.hit[0]); // warm the statements
  for (const kind of ['hit', 'prefix', 'identifier', 'miss'] as const) {
    const t = await time(store, q[kind], kind !== 'miss');
    process.stdout.write(`  ${engine} search ${kind.padEnd(10)} p50 ${t.p50.toFixed(2)} ms  p99 ${t.p99.toFixed(2)} ms  (${q[kind].length} queries, e.g. "${q[kind][0]}")\n`);
  }
}

export async function searchBench(work: string, defaultLines: number): Promise<void> {
  const lines = Number(process.env.BENCH_LINES ?? defaultLines);
  const n = Number(process.env.SEARCH_BENCH_QUERIES ?? 200);
  const file = join(work, 'search-Extraction_Correspondance_MSSante_202611010300.txt');
  await writeSyntheticNational(file, { seed: 7, lines });
  const q = await drawQueries(file, lines, n);
  process.stdout.write(`  search bench: ${lines} national lines\n`);
  for (const [engine, dbName, opts] of [['SQLite FTS5', 'search.db', {}], ['SQLite FTS5, side-built', 'search-side-built.db', { searchSide: threadedSearchSide }]] as const) {
    const sqlite = SqliteDirectoryStore.open(join(work, dbName), CONFIG, opts);
    try {
      await measureStore(engine, sqlite, file, q);
    } finally {
      await sqlite.close();
    }
  }
  const why = process.env.SEARCH_BENCH_ENGINES === 'sqlite' ? 'SEARCH_BENCH_ENGINES=sqlite' : postgresUnavailable();
  if (why) {
    process.stdout.write(`  PostgreSQL skipped: ${why}\n`);
    return;
  }
  const server = await startPostgres();
  try {
    const pg = await PostgresDirectoryStore.open(server.url, CONFIG);
    try {
      await measureStore('PostgreSQL GIN', pg, file, q);
    } finally {
      await pg.close();
    }
  } finally {
    await server.stop();
  }
}
