/**
 * What the PostgreSQL address book promises beyond the contract suite, on a private server:
 *
 * - on the same synthetic directories (homonyms, accents, links, a re-import with changes,
 *   rejected and skipped lines), it ends with the same aliases, statuses, links, feeds (byte
 *   for byte), searches, issues and report counters as the SQLite engine;
 * - two nodes importing at once take turns (advisory lock): both runs complete, one after the
 *   other, and no alias is given twice;
 * - an import whose lock connection is lost stops before its next write;
 * - the database itself refuses a second holder of an alias (unique index).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDirectoryStore } from '../../storage/postgres/directory-store.js';
import { SqliteDirectoryStore } from '../../storage/sqlite/directory-store.js';
import { syntheticLegacyLines, syntheticNationalLines } from '../../directory/synthetic/generate.js';
import { chunksOf } from '../../directory/line-reader.js';
import { encodeLatin1 } from '../../directory/latin1.js';
import { CONFIG } from '../directory/helpers.js';
import type { DirectoryStore, ImportReport } from '../../core/ports/directory-store.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../support/postgres-server.js';

const why = postgresUnavailable();
if (why) console.warn(`[PostgreSQL directory tests skipped] ${why}`);

const N = 3000;
const L = 600;
const national = (o: { changeRate?: number; changeSeed?: number } = {}) =>
  [...syntheticNationalLines({ seed: 11, lines: N, ...o })].join('\n') + '\nPER|broken|\n' + [...syntheticNationalLines({ seed: 11, lines: 3 })].slice(1).join('\n') + '\n';
const legacy = () => encodeLatin1([...syntheticLegacyLines({ seed: 11, lines: L, nationalLines: N })].join('\r\n') + '\r\n');

/** A report without what depends on the engine or the clock. */
const comparable = (r: ImportReport) => ({ ...r, elapsedMs: 0 });

async function feed(store: DirectoryStore, f: 'interop' | 'operator', mode: 'full' | 'diff'): Promise<string> {
  const parts: Uint8Array[] = [];
  const s = await store.exportFeed(f, mode, (c) => void parts.push(c));
  await store.commitExport(s);
  return Buffer.concat(parts).toString('latin1').replace(/"timestamp":"[^"]*"/, '');
}

describe.skipIf(why !== null)('PostgresDirectoryStore', () => {
  let server: PostgresServer;
  let url: string;
  let n = 0;
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('directory_engine');
  });
  afterAll(async () => {
    await server?.stop();
  });

  const rows = async (schema: string, sql: string) => {
    const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };

  /** An answer with the import times (`lastSeen.importedAt`) zeroed: each engine has its own. */
  const timeless = <T>(v: T): T => JSON.parse(JSON.stringify(v), (k, x) => (k === 'importedAt' ? 0 : x));

  it('answers as the SQLite engine on the same files: aliases, statuses, links, feeds, searches, issues, counters', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'passerelle-dir-cmp-'));
    const sqlite = SqliteDirectoryStore.open(join(folder, 'db.sqlite'), CONFIG);
    const schema = `cmp_${++n}`;
    const pgs = await PostgresDirectoryStore.open(url, CONFIG, { schema });
    try {
      const steps: Array<(s: DirectoryStore) => Promise<unknown>> = [
        async (s) => comparable(await s.importNational(chunksOf(national()), { fileName: 'Extraction_Correspondance_MSSante_202611010300.txt', batchLines: 700 })),
        async (s) => comparable(await s.importLegacy(chunksOf(legacy()), { fileName: 'annuaire-20261101.csv', batchLines: 250 })),
        (s) => feed(s, 'interop', 'full'),
        (s) => feed(s, 'operator', 'full'),
        async (s) => comparable(await s.importNational(chunksOf(national({ changeRate: 0.05, changeSeed: 4 })), { fileName: 'Extraction_Correspondance_MSSante_202611020300.txt' })),
        (s) => feed(s, 'interop', 'diff'),
        (s) => feed(s, 'operator', 'diff'),
        (s) => s.issues(undefined, 5000),
        (s) => s.issues(1, 5000),
        // Searches (prefixes too) and their confidence; the import times are each engine's own.
        async (s) => timeless(await s.search('martin')),
        async (s) => timeless(await s.search('bordeaux dr', 50)),
        async (s) => timeless(await s.search('hélène')),
        async (s) => timeless(await s.search('mar bord', 50)),
        async (s) => timeless(await s.search('zzzz')),
        async (s) => {
          const st = await s.stats();
          return { ...st, imports: st.imports.map((i) => ({ ...(i as object), startedAt: 0, finishedAt: 0 })), exports: st.exports.map((e) => ({ ...(e as object), exportedAt: 0 })) };
        },
      ];
      for (const [k, step] of steps.entries()) {
        const [a, b] = [await step(sqlite), await step(pgs)];
        expect(b, `step ${k}`).toEqual(a);
      }
      const pgAliases = await rows(schema, `SELECT address, alias, status, party_key, link_state, change_run FROM directory_mailboxes ORDER BY address`);
      const sqliteAliases = sqlite.directory.sqlite
        .prepare(`SELECT address, alias, status, party_key, link_state, change_run FROM directory_mailboxes ORDER BY address`)
        .all();
      expect(pgAliases.length).toBeGreaterThan(N);
      expect(pgAliases).toEqual(sqliteAliases);
      for (const probe of pgAliases.slice(0, 200) as Array<{ alias: string; address: string }>) {
        const full = (await pgs.aliasFor(probe.address, probe.address.endsWith('lnp.test') ? 'mssante' : 'legacy'))!;
        expect(await pgs.resolve(full)).toEqual(await sqlite.resolve(full));
        expect(timeless(await pgs.lookup(full))).toEqual(timeless(await sqlite.lookup(full)));
      }
    } finally {
      await pgs.close();
      await sqlite.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('runs one import at a time across nodes: both complete, one after the other, no alias given twice', async () => {
    const schema = `nodes_${++n}`;
    const [a, b] = [await PostgresDirectoryStore.open(url, CONFIG, { schema }), await PostgresDirectoryStore.open(url, CONFIG, { schema })];
    try {
      const [na, lb, nb] = await Promise.all([
        a.importNational(chunksOf(national()), { fileName: 'Extraction_Correspondance_MSSante_202611010300.txt', batchLines: 500 }),
        b.importLegacy(chunksOf(legacy()), { fileName: 'annuaire-20261101.csv', batchLines: 100 }),
        b.importNational(chunksOf(national({ changeRate: 0.05, changeSeed: 9 })), { fileName: 'Extraction_Correspondance_MSSante_202611010300.txt', batchLines: 500 }),
      ]);
      expect(na.rejected).toBeGreaterThanOrEqual(3); // the broken line and two repeated ones at least
      expect(nb.lines).toBe(na.lines);
      expect(lb.rejected).toBe(0);
      const runs = (await rows(schema, `SELECT id, started_at, finished_at FROM directory_imports ORDER BY started_at, id`)) as Array<{ started_at: string; finished_at: string }>;
      expect(runs).toHaveLength(3);
      for (let k = 1; k < runs.length; k++) expect(Number(runs[k].started_at)).toBeGreaterThanOrEqual(Number(runs[k - 1].finished_at));
      const dup = await rows(schema, `SELECT alias FROM directory_mailboxes WHERE alias IS NOT NULL GROUP BY alias HAVING count(*) > 1`);
      expect(dup).toEqual([]);
      const count = await rows(schema, `SELECT count(*)::int AS n FROM directory_mailboxes WHERE alias IS NULL`);
      expect(count).toEqual([{ n: 0 }]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('stops an import whose lock connection is lost, before its next write', async () => {
    const schema = `lost_${++n}`;
    const s = await PostgresDirectoryStore.open(url, CONFIG, { schema });
    try {
      const text = national();
      let cut = false;
      async function* slow(): AsyncGenerator<Uint8Array> {
        const bytes = new TextEncoder().encode(text);
        for (let o = 0; o < bytes.length; o += 16384) {
          if (o > bytes.length / 2 && !cut) {
            cut = true;
            await rows(schema, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'passerelle-directory-import'`);
            await new Promise((r) => setTimeout(r, 200));
          }
          yield bytes.subarray(o, o + 16384);
        }
      }
      await expect(s.importNational(slow(), { batchLines: 200 })).rejects.toThrow(/lock was lost/);
      expect(cut).toBe(true);
      // The run stays unfinished; the next import completes the file.
      const r = await s.importNational(chunksOf(text));
      expect(r.inserted + r.unchanged).toBeGreaterThanOrEqual(N);
      expect(await rows(schema, `SELECT count(*)::int AS n FROM directory_imports WHERE finished_at IS NULL`)).toEqual([{ n: 1 }]);
    } finally {
      await s.close();
    }
  });

  it('has the database refuse a second holder of an alias', async () => {
    const schema = `uniq_${++n}`;
    const s = await PostgresDirectoryStore.open(url, CONFIG, { schema });
    try {
      await s.importNational(chunksOf([...syntheticNationalLines({ seed: 3, lines: 3 })].join('\n') + '\n'));
      const [{ alias }] = (await rows(schema, `SELECT alias FROM directory_mailboxes ORDER BY id LIMIT 1`)) as Array<{ alias: string }>;
      await expect(
        rows(
          schema,
          `INSERT INTO directory_mailboxes (network, address, kind, status, alias, record, line_hash, first_run, change_run) VALUES ('legacy', 'x@y.lnp.test', 'PER', 'active', '${alias}', '', 0, 1, 1)`,
        ),
      ).rejects.toThrow(/directory_mailboxes_alias_idx/);
    } finally {
      await s.close();
    }
  });
});
