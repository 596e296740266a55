/**
 * `DirectoryStore` on PostgreSQL: the federated address book shared by every gateway node.
 * Same tables and behaviour as the SQLite engine; what an import decides line by line, the
 * link of each subscriber, search entries, stats and feeds are the shared plans of
 * `directory/import-plan.ts`, and this file runs their SQL.
 *
 * - **One import at a time**, across nodes: an import holds a session advisory lock (per
 *   schema) from its first read to its last write, so a second one waits for it. Under the
 *   lock the import knows every address and every alias (loaded once, compactly), decides
 *   each line in memory and writes each batch of lines in one transaction (multi-row
 *   statements over arrays). The unique indexes on address and alias are the last word: a
 *   writer that ignored the lock would fail its batch, never share an alias.
 * - **Resolve** (the routing hot path) is one named statement on the alias index.
 * - A run is recorded as on SQLite: `directory_imports` row first, counters at the end; an
 *   import that fails keeps the batches it committed (a later run completes them), its run
 *   unfinished (not counted for the file-date check).
 *
 * @example
 * const dir = await PostgresDirectoryStore.open('postgres://passerelle@db.example/passerelle', config, { schema: 'passerelle' });
 * await dir.importNational(createReadStream(path), { fileName: basename(path) });
 * await dir.resolve('jean.dupont.med@interop.lnp.test');
 */
import pg from 'pg';
import { migratePostgres } from './database.js';
import { nodePostgresClient } from './node-postgres-client.js';
import { checkSchemaName, type SqlClient, type SqlSession } from './sql-client.js';
import type { NetworkId } from '../../core/model/network.js';
import type { Route } from '../../core/ports/route-resolver.js';
import type {
  PublishedMailbox, PublishedRun, AddressLookup, DirectoryConfig, DirectoryIssue, DirectoryStats, DirectoryStore, ExportSummary, Feed, ImportOptions, ImportReport, LinkReport, SearchEntry,
} from '../../core/ports/directory-store.js';
import {
  aliasAddress, aliasLookup, eachLine, emptyCounts, emptyLinkReport, FEED_NETWORK, FeedWriter, importFile, importReport, IssueLog, LegacyImportPlan, legacyLinkKeys,
  linkCounts, LINK_PARTY_LIMIT, mailboxCounts, NationalImportPlan, pickEntries, planLink, readBatches, routeOf, runCounts, searchEntry, searchTerms, tsQuery, SOURCES, FINISHED_RUNS, MEMBER_COLUMNS, lookupOf, PUBLISHED_MAILBOX_COLUMNS, PUBLISHED_RUN_COLUMNS, type RunRow,
  type AliasSpace, type KnownRow, type LegacyLinkRow, type MailboxInsert, type MailboxUpdate, type MailboxWrite, type MemberRow,
} from '../../directory/import-plan.js';
import { HashedSet } from '../../directory/hashed-set.js';

export interface PostgresDirectoryOptions {
  /** The schema the tables live in (created if missing); default: the server's `search_path`. */
  schema?: string;
  /** Pool connections (default 4; an import holds one more for its lock). */
  max?: number;
  /** `application_name` of the connections (default `passerelle-directory`). */
  applicationName?: string;
}

/** Rows read per round trip when loading or exporting. */
const PAGE = 10_000;
/** Ids or keys per statement in the sweep and the link pass. */
const CHUNK = 10_000;

// ---- statements (one text each: prepared once per connection) ----

const RESOLVE = `SELECT network, address, status, display_name AS "displayName" FROM directory_mailboxes WHERE alias = $1`;
const ALIAS_OF = `SELECT alias FROM directory_mailboxes WHERE address = $1 AND network = $2`;
const LAST_FILE_DATE = `SELECT max(file_date) AS d FROM directory_imports WHERE source = $1 AND finished_at IS NOT NULL`;
const NEW_RUN = `INSERT INTO directory_imports (source, file_name, file_date, started_at) VALUES ($1, $2, $3, $4) RETURNING id`;
const END_RUN = `UPDATE directory_imports SET file_name = $1, file_date = $2, finished_at = $3, counts = $4 WHERE id = $5`;
const COUNT_NETWORK = `SELECT count(*) AS n FROM directory_mailboxes WHERE network = $1`;
/** Keyset pages over every mailbox, in id order. */
const PAGE_ALL = `SELECT id, network, address, line_hash AS hash, status, alias FROM directory_mailboxes WHERE id > $1 ORDER BY id LIMIT ${PAGE}`;
const INSERT_ISSUES = `INSERT INTO directory_issues (run, kind, line, address, detail)
  SELECT $1, u.k, u.l, u.a, u.d FROM unnest($2::text[], $3::int[], $4::text[], $5::text[]) WITH ORDINALITY AS u(k, l, a, d, i) ORDER BY u.i`;
/** New mailboxes of one network, in file order (ids follow it). */
const INSERT_MAILBOXES = `INSERT INTO directory_mailboxes (network, address, kind, status, alias, display_name, party_key, record, line_hash, first_run, change_run)
  SELECT $1, u.address, u.kind, u.status, u.alias, u.dn, u.pk, u.rec, u.h, $2, $2
  FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[]) WITH ORDINALITY AS u(address, kind, status, alias, dn, pk, rec, h, i)
  ORDER BY u.i`;
/** Changed mailboxes; the party key is written for national rows only (`$3`). */
const UPDATE_MAILBOXES = `UPDATE directory_mailboxes d SET kind = u.kind, status = u.status, display_name = u.dn,
    party_key = CASE WHEN $2::boolean THEN u.pk ELSE d.party_key END, record = u.rec, line_hash = u.h, change_run = $1
  FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[]) AS u(id, kind, status, dn, pk, rec, h)
  WHERE d.id = u.id`;
const MARK_REMOVED = `UPDATE directory_mailboxes SET status = 'removed', change_run = $1 WHERE id = ANY($2::bigint[])`;
const LEGACY_PAGE = `SELECT id, address, record, party_key AS "partyKey", link_state AS "linkState", link_note AS "linkNote"
  FROM directory_mailboxes WHERE network = 'legacy' AND id > $1 ORDER BY id LIMIT ${PAGE}`;
const NATIONAL_OF_KEYS = `SELECT party_key AS k, record FROM directory_mailboxes WHERE network = 'mssante' AND party_key = ANY($1::text[]) ORDER BY party_key, id`;
const SET_LINKS = `UPDATE directory_mailboxes d SET party_key = u.pk, link_state = u.st, link_note = u.note, change_run = $1
  FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS u(id, pk, st, note) WHERE d.id = u.id`;
const MEMBERS = `SELECT ${MEMBER_COLUMNS} FROM directory_mailboxes WHERE party_key = $1
  ORDER BY network DESC, address COLLATE "C" LIMIT 50`;
const ONE = `SELECT ${MEMBER_COLUMNS} FROM directory_mailboxes WHERE id = $1`;
const LAST_RUN = `SELECT coalesce(max(id), 0) AS n FROM directory_imports`;
const EXPORTED = `SELECT last_run AS n FROM directory_exports WHERE feed = $1`;
const FEED_CURSOR = `DECLARE feed_rows NO SCROLL CURSOR FOR SELECT alias, status, record FROM directory_mailboxes
  WHERE network = $1 AND alias IS NOT NULL AND change_run > $2 AND change_run <= $3 ORDER BY alias COLLATE "C"`;
const FEED_FETCH = `FETCH ${PAGE} FROM feed_rows`;
const COMMIT_EXPORT = `INSERT INTO directory_exports (feed, last_run, exported_at, count) VALUES ($1, $2, $3, $4)
  ON CONFLICT (feed) DO UPDATE SET last_run = excluded.last_run, exported_at = excluded.exported_at, count = excluded.count`;

/**
 * A search: the stored `search_doc` (migration 0002: the line and alias folded as `foldText`,
 * cut into letters-and-digits words) against a prefix `tsquery`, in id order. The planner
 * chooses with the table's statistics (kept by `ANALYZE` after each import): a rare word
 * through the GIN index then a sort, a common prefix by walking the primary key in order
 * and stopping at the limit.
 */
const SEARCH = `SELECT id, party_key FROM directory_mailboxes WHERE search_doc @@ to_tsquery('simple', $1) ORDER BY id LIMIT $2`;
const RUNS = FINISHED_RUNS;
const SEARCH_INDEX_FLUSH = `SELECT gin_clean_pending_list('directory_mailboxes_search_idx'::regclass)`;
const TARGET = `SELECT ${MEMBER_COLUMNS}, party_key FROM directory_mailboxes WHERE address = $1`;

type Plan = NationalImportPlan | LegacyImportPlan;

export class PostgresDirectoryStore implements DirectoryStore {
  readonly interopDomain: string;
  readonly nationalDomain: string;
  private readonly now: () => number;

  private constructor(
    private readonly db: SqlClient,
    private readonly url: string,
    readonly config: DirectoryConfig,
    private readonly schema: string | undefined,
  ) {
    this.now = config.clock ? () => config.clock!.now() : () => Date.now();
    this.interopDomain = `interop.${config.legacyDomain.toLowerCase()}`;
    this.nationalDomain = config.nationalDomain.toLowerCase();
  }

  /** Connects, applies the migrations (once across nodes), and opens the address book. */
  static async open(url: string, config: DirectoryConfig, opts: PostgresDirectoryOptions = {}): Promise<PostgresDirectoryStore> {
    if (opts.schema) checkSchemaName(opts.schema);
    await migratePostgres(url, opts.schema);
    const db = nodePostgresClient(url, { max: opts.max ?? 4, schema: opts.schema, applicationName: opts.applicationName ?? 'passerelle-directory' });
    return new PostgresDirectoryStore(db, url, config, opts.schema);
  }

  async close(): Promise<void> {
    await this.db.end();
  }

  // ---------------------------------------------------------------- resolve

  async resolve(address: string): Promise<Route | null> {
    const q = aliasLookup(address, this);
    if (!q) return null;
    const { rows } = await this.db.query<{ network: string; address: string; status: Route['status']; displayName: string | null }>(RESOLVE, [q.local]);
    return routeOf(q.network, rows[0]);
  }

  /** `target` is the network the alias is for (the other one than the mailbox's). */
  async aliasFor(address: string, target: NetworkId): Promise<string | null> {
    const network: NetworkId = target === 'legacy' ? 'mssante' : 'legacy';
    const { rows } = await this.db.query<{ alias: string | null }>(ALIAS_OF, [address.trim().toLowerCase(), network]);
    const local = rows[0]?.alias;
    return local ? aliasAddress(local, network, this) : null;
  }

  // ---------------------------------------------------------------- imports

  /**
   * Runs `fn` holding the import lock of this schema (a session advisory lock on a connection
   * of its own). `fn` is given a check that throws once that connection is lost (the lock
   * with it): the import then stops before its next write.
   */
  private async withImportLock<T>(fn: (held: () => void) => Promise<T>): Promise<T> {
    const c = new pg.Client({
      connectionString: this.url,
      application_name: 'passerelle-directory-import',
      ...(this.schema ? { options: `-c search_path=${this.schema}` } : {}),
    });
    let lost: Error | null = null;
    c.on('error', (e) => void (lost ??= e));
    c.on('end', () => void (lost ??= new Error('the connection holding the directory import lock closed')));
    await c.connect();
    try {
      await c.query(`SELECT pg_advisory_lock(hashtext('passerelle: directory import ' || current_schema()))`);
      return await fn(() => {
        if (lost) throw new Error(`directory import stopped: its lock was lost (${lost.message})`);
      });
    } finally {
      await c.end(); // ends the session, and with it the lock
    }
  }

  /** Every mailbox, a page at a time (id order). */
  private async *allMailboxes(): AsyncGenerator<{ id: number; network: string; address: string; hash: number; status: string; alias: string | null }> {
    let after = 0;
    for (;;) {
      const { rows } = await this.db.query<{ id: number; network: string; address: string; hash: number; status: string; alias: string | null }>(PAGE_ALL, [after]);
      yield* rows;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].id;
    }
  }

  /**
   * Loads what an import must know: the rows of its own network (`know`), every other
   * address (`other`: duplicates are found in memory) and every alias (into `aliases`).
   */
  private async load(network: NetworkId, know: (r: KnownRow) => void, other: (address: string) => void, aliases: HashedSet): Promise<void> {
    for await (const r of this.allMailboxes()) {
      if (r.alias) aliases.add(r.alias);
      if (r.network === network) know([r.id, r.address, r.hash, r.status]);
      else other(r.address);
    }
  }

  private async runImport(
    source: 'national' | 'legacy',
    input: AsyncIterable<Uint8Array>,
    opts: ImportOptions,
    makePlan: () => Promise<Plan>,
  ): Promise<ImportReport> {
    return this.withImportLock(async (held) => {
      const t0 = performance.now();
      const db = this.db;
      const lastDate = (await db.query<{ d: string | null }>(LAST_FILE_DATE, [source])).rows[0]?.d ?? null;
      const file = importFile(source, opts, lastDate);
      const plan = await makePlan();
      const network = SOURCES[source].network;
      const run = (await db.query<{ id: number }>(NEW_RUN, [source, file.fileName, file.fileDate, this.now()])).rows[0].id;
      let pending: DirectoryIssue[] = [];
      const issues = new IssueLog((i) => void pending.push(i));
      const writeIssues = async (tx: SqlSession) => {
        if (!pending.length) return;
        const p = pending;
        pending = [];
        await tx.query(INSERT_ISSUES, [run, p.map((i) => i.kind), p.map((i) => i.line ?? null), p.map((i) => i.address ?? null), p.map((i) => i.detail)]);
      };
      const counts = emptyCounts();
      await readBatches(input, opts, source, lastDate, file, async (lines, first) => {
        const inserts: MailboxInsert[] = [];
        const updates: MailboxUpdate[] = [];
        eachLine(lines, first, counts, (line, n) => {
          const w: MailboxWrite | null = plan.line(line, n, counts, issues.add);
          if (w?.op === 'insert') inserts.push(w);
          else if (w) updates.push(w);
        });
        held();
        await db.transaction(async (tx) => {
          await writeIssues(tx);
          if (inserts.length) {
            await tx.query(INSERT_MAILBOXES, [
              network, run, inserts.map((w) => w.address), inserts.map((w) => w.kind), inserts.map((w) => w.status), inserts.map((w) => w.alias),
              inserts.map((w) => w.displayName), inserts.map((w) => w.partyKey), inserts.map((w) => w.record), inserts.map((w) => w.hash),
            ]);
          }
          if (updates.length) {
            await tx.query(UPDATE_MAILBOXES, [
              run, source === 'national', updates.map((w) => w.id), updates.map((w) => w.kind), updates.map((w) => w.status), updates.map((w) => w.displayName),
              updates.map((w) => w.partyKey ?? null), updates.map((w) => w.record), updates.map((w) => w.hash),
            ]);
          }
        });
      }, undefined, this.config.decodeUtf8);
      const gone = [...plan.gone()];
      counts.removed = gone.length;
      plan.release();
      held();
      await db.transaction(async (tx) => {
        for (let k = 0; k < gone.length; k += CHUNK) await tx.query(MARK_REMOVED, [run, gone.slice(k, k + CHUNK)]);
        await writeIssues(tx);
      });
      held();
      const link = await this.linkLegacy(run, issues.add, writeIssues);
      await db.query(END_RUN, [file.fileName, file.fileDate, this.now(), JSON.stringify(runCounts(counts, plan, link, issues)), run]);
      // The rows this import wrote sit in the search index's pending list (GIN fast update),
      // which every search reads in full: move them into the index now, and give the planner
      // the table's new statistics (otherwise it scans the table rather than use the index).
      await db.query(SEARCH_INDEX_FLUSH);
      await db.query(`ANALYZE directory_mailboxes`);
      return importReport(run, source, file, counts, plan, link, issues, performance.now() - t0);
    });
  }

  /** The alias namespace of an import: every alias known (loaded), the reserved LOCALs, this run's. */
  private aliasSpace(aliases: HashedSet): AliasSpace {
    for (const l of this.config.reservedLocals ?? []) aliases.add(l);
    return aliases;
  }

  /**
   * Imports a national extraction (text or ZIP), streaming: new mailboxes inserted with their
   * `interop` alias, changed ones updated, absent ones marked removed (alias kept), then the
   * legacy subscribers re-linked. As `Directory.importNational` (SQLite).
   */
  async importNational(input: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<ImportReport> {
    return this.runImport('national', input, opts, async () => {
      const total = (await this.db.query<{ n: number }>(COUNT_NETWORK, ['mssante'])).rows[0].n;
      const aliases = new HashedSet();
      const plan = new NationalImportPlan(total, [], this.aliasSpace(aliases), 'memory');
      await this.load('mssante', (r) => plan.know(r), (a) => plan.registerAddress(a), aliases);
      return plan;
    });
  }

  /**
   * Imports a legacy annuaire (ISO-8859-1 CSV or ZIP), streaming: each new subscriber's LOCAL
   * is its alias on the gateway's national domain (a taken one is reported and suffixed), the
   * gateway's own `interop` entries skipped, absent subscribers marked removed, then every
   * subscriber (re-)linked. As `Directory.importLegacy` (SQLite).
   */
  async importLegacy(input: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<ImportReport> {
    return this.runImport('legacy', input, opts, async () => {
      const aliases = new HashedSet();
      const plan = new LegacyImportPlan([], this.aliasSpace(aliases), 'memory', this.interopDomain);
      await this.load('legacy', (r) => plan.know(r), (a) => plan.registerAddress(a), aliases);
      return plan;
    });
  }

  // ---------------------------------------------------------------- linking

  /**
   * Links every legacy subscriber to the national party its identifiers designate (one
   * transaction): subscribers read a page at a time, the national lines of their keys in one
   * statement per page, the changed links written in one.
   */
  private async linkLegacy(run: number, issue: (i: DirectoryIssue) => void, writeIssues: (tx: SqlSession) => Promise<void>): Promise<LinkReport> {
    const rep = emptyLinkReport();
    await this.db.transaction(async (tx) => {
      let after = 0;
      for (;;) {
        const { rows } = await tx.query<LegacyLinkRow>(LEGACY_PAGE, [after]);
        const keys = new Set<string>();
        for (const r of rows) for (const k of legacyLinkKeys(r.record)) keys.add(k);
        const national = new Map<string, string[]>();
        const all = [...keys];
        for (let k = 0; k < all.length; k += CHUNK) {
          for (const n of (await tx.query<{ k: string; record: string }>(NATIONAL_OF_KEYS, [all.slice(k, k + CHUNK)])).rows) {
            let list = national.get(n.k);
            if (!list) national.set(n.k, (list = []));
            if (list.length < LINK_PARTY_LIMIT) list.push(n.record);
          }
        }
        const set: Array<{ id: number; partyKey: string | null; state: string; note: string | null }> = [];
        for (const r of rows) {
          const d = planLink(r, (key) => national.get(key) ?? [], rep, issue);
          if (d) set.push({ id: r.id, ...d });
        }
        if (set.length) await tx.query(SET_LINKS, [run, set.map((s) => s.id), set.map((s) => s.partyKey), set.map((s) => s.state), set.map((s) => s.note)]);
        await writeIssues(tx);
        if (rows.length < PAGE) break;
        after = rows[rows.length - 1].id;
      }
    });
    return rep;
  }

  // ---------------------------------------------------------------- search and stats

  /**
   * Entries where every word of `query` starts a word of a mailbox's line or alias (accents
   * and case ignored), from the GIN index; as `Directory.search` (SQLite).
   */
  async search(query: string, limit = 20): Promise<SearchEntry[]> {
    const terms = searchTerms(query);
    if (terms.length === 0) return [];
    const hits = (await this.db.query<{ id: number; party_key: string | null }>(SEARCH, [tsQuery(terms), limit * 4])).rows;
    if (hits.length === 0) return [];
    const runs = await this.runs();
    const out: SearchEntry[] = [];
    for (const e of pickEntries(hits, limit)) {
      const rows = e.partyKey ? (await this.db.query<MemberRow>(MEMBERS, [e.partyKey])).rows : (await this.db.query<MemberRow>(ONE, [e.id])).rows;
      out.push(searchEntry(e.partyKey, rows, this, runs));
    }
    return out;
  }

  private async runs(): Promise<RunRow[]> {
    return (await this.db.query<RunRow>(RUNS)).rows;
  }

  /** `resolve`, with the target mailbox's confidence among its party's mailboxes. */
  async lookup(address: string): Promise<AddressLookup | null> {
    const route = await this.resolve(address);
    if (!route) return null;
    const target = (await this.db.query<MemberRow & { party_key: string | null }>(TARGET, [route.address])).rows[0];
    if (!target) return null;
    const party = target.party_key ? (await this.db.query<MemberRow>(MEMBERS, [target.party_key])).rows : [];
    return lookupOf(route, target, party, await this.runs());
  }

  async lastImports(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ source: string; at: number }>(
      `SELECT source, max(finished_at) AS at FROM directory_imports WHERE finished_at IS NOT NULL GROUP BY source`);
    return Object.fromEntries(rows.map((r) => [r.source, Number(r.at)]));
  }

  async stats(): Promise<DirectoryStats> {
    const db = this.db;
    const [mailboxes, links, imports, exports] = await Promise.all([
      db.query<{ network: string; kind: string; status: string; n: number }>(`SELECT network, kind, status, count(*) AS n FROM directory_mailboxes GROUP BY network, kind, status`),
      db.query<{ link_state: string | null; n: number }>(`SELECT link_state, count(*) AS n FROM directory_mailboxes WHERE network = 'legacy' GROUP BY link_state`),
      db.query<{ counts: string | null }>(
        `SELECT id, source, file_name AS "fileName", file_date AS "fileDate", started_at AS "startedAt", finished_at AS "finishedAt", counts FROM directory_imports ORDER BY id DESC LIMIT 5`,
      ),
      db.query(`SELECT feed, last_run AS "lastRun", exported_at AS "exportedAt", count FROM directory_exports ORDER BY feed COLLATE "C"`),
    ]);
    return {
      mailboxes: mailboxCounts(mailboxes.rows),
      links: linkCounts(links.rows),
      imports: imports.rows.map((r) => ({ ...r, counts: r.counts ? JSON.parse(r.counts) : null })),
      exports: exports.rows,
    };
  }

  async issues(run?: number, limit = 100): Promise<Array<DirectoryIssue & { run: number }>> {
    const r = run ?? (await this.db.query<{ n: number }>(LAST_RUN)).rows[0].n;
    if (!r) return [];
    return (await this.db.query<DirectoryIssue & { run: number }>(`SELECT run, kind, line, address, detail FROM directory_issues WHERE run = $1 ORDER BY id LIMIT $2`, [r, limit]))
      .rows;
  }

  // ---------------------------------------------------------------- exports

  /**
   * Writes a feed to `sink` (full, or what changed since the last committed export), read
   * through a cursor in one transaction; each chunk is awaited before the next is read.
   */
  async exportFeed(feed: Feed, mode: 'full' | 'diff', sink: (chunk: Uint8Array) => void | Promise<void>): Promise<ExportSummary> {
    return this.db.transaction(async (tx) => {
      const upto = (await tx.query<{ n: number }>(LAST_RUN)).rows[0].n;
      const since = mode === 'full' ? 0 : ((await tx.query<{ n: number }>(EXPORTED, [feed])).rows[0]?.n ?? 0);
      const out = new FeedWriter(feed, mode, since, upto, this);
      const put = async (c: Uint8Array | null) => {
        if (c) await sink(c);
      };
      await put(out.open(new Date(this.now()).toISOString()));
      await tx.query(FEED_CURSOR, [FEED_NETWORK[feed], since, upto]);
      for (;;) {
        const { rows } = await tx.query<{ alias: string; status: string; record: string }>(FEED_FETCH);
        for (const r of rows) await put(out.row(r.alias, r.status, r.record));
        if (rows.length < PAGE) break;
      }
      await put(out.end());
      return out.summary();
    });
  }

  async changedMailboxes(sinceRun: number, afterId: number, limit: number): Promise<PublishedMailbox[]> {
    const { rows } = await this.db.query<PublishedMailbox>(
      `SELECT ${PUBLISHED_MAILBOX_COLUMNS} FROM directory_mailboxes WHERE change_run > $1 AND id > $2 ORDER BY id LIMIT $3`, [sinceRun, afterId, limit]);
    return rows.map((r) => ({ ...r, id: Number(r.id), lineHash: Number(r.lineHash) }));
  }

  async importRuns(): Promise<PublishedRun[]> {
    const { rows } = await this.db.query<PublishedRun>(`SELECT ${PUBLISHED_RUN_COLUMNS} FROM directory_imports ORDER BY id`);
    return rows.map((r) => ({ ...r, startedAt: Number(r.startedAt), finishedAt: r.finishedAt == null ? null : Number(r.finishedAt) }));
  }

  async commitExport(s: ExportSummary): Promise<void> {
    await this.db.query(COMMIT_EXPORT, [s.feed, s.uptoRun, this.now(), s.count]);
  }
}
