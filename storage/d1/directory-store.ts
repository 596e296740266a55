/**
 * `DirectoryStore` on Cloudflare D1 (SQLite at the edge, reached through the Worker's binding):
 * the federated address book's public professional data served from Workers, never messages.
 * Same tables and search index as the SQLite engine (migrations `drizzle-directory/`, which
 * `wrangler d1 migrations apply` takes as they are); what an import decides line by line, the
 * link of each subscriber, search entries and feeds are the shared plans of
 * `directory/import-plan.ts`, and this file runs their SQL through D1's asynchronous API.
 *
 * - **Writes** go in `batch()`es (one transaction each; at most `BATCH_STATEMENTS`
 *   statements), a statement per row: D1 binds at most 100 parameters per statement.
 * - **One writer**: D1 serialises writes, but an import reads what it must know (addresses,
 *   aliases) before it writes; two imports at once could give one alias twice if the unique
 *   index did not refuse the second. The Worker never imports a file itself: the gateway
 *   publishes its own address book here (`applyPublication`, `passerelle directory publish`),
 *   one publisher at a time. `importNational`/`importLegacy` exist for the contract (and a
 *   copy built on D1 alone).
 * - **Publication**: rows keep the gateway's ids (the search index's rowids follow), upserted
 *   by id; the run published last is kept in `directory_exports` as feed `published`.
 *
 * @example
 * const dir = new D1DirectoryStore(env.DIRECTORY, { legacyDomain: 'lnp.test', nationalDomain: 'passerelle.mssante.fr' });
 * await dir.lookup('jean.dupont.med@interop.lnp.test'); // route, party, confidence
 */
import type { D1Database, D1PreparedStatement } from './d1-types.js';
import type { NetworkId } from '../../core/model/network.js';
import type { Route } from '../../core/ports/route-resolver.js';
import type {
  AddressLookup, DirectoryConfig, DirectoryIssue, DirectoryPublication, DirectoryReplica, DirectoryStats, DirectoryStore, ExportSummary, Feed, ImportOptions, ImportReport, LinkReport, PublishedMailbox,
  PublishedRun, SearchEntry,
} from '../../core/ports/directory-store.js';
import {
  aliasAddress, aliasLookup, eachLine, emptyCounts, emptyLinkReport, FEED_NETWORK, FeedWriter, importFile, importReport, IssueLog, LegacyImportPlan, legacyLinkKeys,
  linkCounts, LINK_PARTY_LIMIT, mailboxCounts, NationalImportPlan, pickEntries, planLink, readBatches, routeOf, runCounts, searchEntry, searchTerms, SOURCES,
  FINISHED_RUNS, MEMBER_COLUMNS, lookupOf, PUBLISHED_MAILBOX_COLUMNS, PUBLISHED_RUN_COLUMNS,
  type RunRow, type KnownRow, type LegacyLinkRow, type MailboxWrite, type MemberRow,
} from '../../directory/import-plan.js';
import { HashedSet } from '../../directory/hashed-set.js';
import { searchText, searchWords, containsTerms, searchIndexQuery } from '../../directory/search-text.js';

/** Rows read per query when loading, linking or exporting. */
const PAGE = 5_000;
/** Statements per `batch()`. */
const BATCH_STATEMENTS = 1_000;
/** Ids or keys bound in one `IN (…)` (D1: at most 100 parameters a statement). */
const IN_CHUNK = 90;
/** The `directory_exports` feed that keeps the run published last. */
const PUBLISHED_FEED = 'published';

const RESOLVE = `SELECT network, address, status, display_name AS displayName FROM directory_mailboxes WHERE alias = ?`;
const INSERT_MAILBOX = `INSERT INTO directory_mailboxes (network, address, kind, status, alias, display_name, party_key, record, line_hash, first_run, change_run)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_NATIONAL = `UPDATE directory_mailboxes SET kind = ?, status = ?, display_name = ?, party_key = ?, record = ?, line_hash = ?, change_run = ? WHERE id = ?`;
const UPDATE_LEGACY = `UPDATE directory_mailboxes SET kind = ?, status = ?, display_name = ?, record = ?, line_hash = ?, change_run = ? WHERE id = ?`;
const INSERT_ISSUE = `INSERT INTO directory_issues (run, kind, line, address, detail) VALUES (?, ?, ?, ?, ?)`;
const UPSERT_MAILBOX = `INSERT INTO directory_mailboxes (id, network, address, kind, status, alias, display_name, party_key, link_state, link_note, record, line_hash, first_run, change_run)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET network = excluded.network, address = excluded.address, kind = excluded.kind, status = excluded.status, alias = excluded.alias,
    display_name = excluded.display_name, party_key = excluded.party_key, link_state = excluded.link_state, link_note = excluded.link_note, record = excluded.record,
    line_hash = excluded.line_hash, first_run = excluded.first_run, change_run = excluded.change_run`;
const UPSERT_RUN = `INSERT INTO directory_imports (id, source, file_name, file_date, started_at, finished_at, counts) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET source = excluded.source, file_name = excluded.file_name, file_date = excluded.file_date, started_at = excluded.started_at,
    finished_at = excluded.finished_at, counts = excluded.counts`;
const COMMIT_EXPORT = `INSERT INTO directory_exports (feed, last_run, exported_at, count) VALUES (?, ?, ?, ?)
  ON CONFLICT (feed) DO UPDATE SET last_run = excluded.last_run, exported_at = excluded.exported_at, count = excluded.count`;

// ---- the search index (`directory_search`, migration drizzle-directory/0001): its words come from
// `searchWords`; an alias is lower-case ASCII, never folded, so `words(record) || alias` equals `searchWords(record, alias)`.
const SEARCH_INSERT_NEW = `INSERT INTO directory_search (rowid, words) SELECT id, ? FROM directory_mailboxes WHERE address = ?`;
const SEARCH_DELETE = `DELETE FROM directory_search WHERE rowid = ?`;
const SEARCH_INSERT_OF = `INSERT INTO directory_search (rowid, words) SELECT id, ? || coalesce(alias, '') FROM directory_mailboxes WHERE id = ?`;
const SEARCH = `SELECT m.id, m.party_key, m.network, m.record, m.alias FROM directory_search s JOIN directory_mailboxes m ON m.id = s.rowid
  WHERE directory_search MATCH ? ORDER BY s.rowid LIMIT ?`;

export class D1DirectoryStore implements DirectoryStore, DirectoryReplica {
  readonly interopDomain: string;
  readonly nationalDomain: string;
  private readonly now: () => number;

  constructor(
    private readonly db: D1Database,
    readonly config: DirectoryConfig,
  ) {
    this.now = config.clock ? () => config.clock!.now() : () => Date.now();
    this.interopDomain = `interop.${config.legacyDomain.toLowerCase()}`;
    this.nationalDomain = config.nationalDomain.toLowerCase();
  }

  async close(): Promise<void> {
    // The binding belongs to the Worker's environment: nothing to close.
  }

  private async all<T>(sql: string, ...args: unknown[]): Promise<T[]> {
    return (await this.db.prepare(sql).bind(...args).all<T>()).results;
  }

  private async first<T>(sql: string, ...args: unknown[]): Promise<T | null> {
    return this.db.prepare(sql).bind(...args).first<T>();
  }

  /** Runs statements in batches (each one transaction). */
  private async batch(stmts: D1PreparedStatement[]): Promise<void> {
    for (let k = 0; k < stmts.length; k += BATCH_STATEMENTS) await this.db.batch(stmts.slice(k, k + BATCH_STATEMENTS));
  }

  // ---------------------------------------------------------------- resolve

  async resolve(address: string): Promise<Route | null> {
    const q = aliasLookup(address, this);
    if (!q) return null;
    const row = await this.first<{ network: string; address: string; status: Route['status']; displayName: string | null }>(RESOLVE, q.local);
    return routeOf(q.network, row ?? undefined);
  }

  async aliasFor(address: string, target: NetworkId): Promise<string | null> {
    const network: NetworkId = target === 'legacy' ? 'mssante' : 'legacy';
    const row = await this.first<{ alias: string | null }>(`SELECT alias FROM directory_mailboxes WHERE address = ? AND network = ?`, address.trim().toLowerCase(), network);
    return row?.alias ? aliasAddress(row.alias, network, this) : null;
  }

  // ---------------------------------------------------------------- imports

  /** Loads what an import must know: its network's rows, every other address, every alias. */
  private async load(network: NetworkId, know: (r: KnownRow) => void, other: (address: string) => void, aliases: HashedSet): Promise<void> {
    for (let after = 0; ; ) {
      const rows = await this.all<{ id: number; network: string; address: string; hash: number; status: string; alias: string | null }>(
        `SELECT id, network, address, line_hash AS hash, status, alias FROM directory_mailboxes WHERE id > ? ORDER BY id LIMIT ${PAGE}`, after);
      for (const r of rows) {
        if (r.alias) aliases.add(r.alias);
        if (r.network === network) know([r.id, r.address, r.hash, r.status]);
        else other(r.address);
      }
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].id;
    }
  }

  private async runImport(source: 'national' | 'legacy', input: AsyncIterable<Uint8Array>, opts: ImportOptions, plan: NationalImportPlan | LegacyImportPlan): Promise<ImportReport> {
    const t0 = performance.now();
    const last = await this.first<{ d: string | null }>(`SELECT max(file_date) AS d FROM directory_imports WHERE source = ? AND finished_at IS NOT NULL`, source);
    const lastDate = last?.d ?? null;
    const file = importFile(source, opts, lastDate);
    const network = SOURCES[source].network;
    const db = this.db;
    const run = (await this.first<{ id: number }>(
      `INSERT INTO directory_imports (source, file_name, file_date, started_at) VALUES (?, ?, ?, ?) RETURNING id`, source, file.fileName, file.fileDate, this.now()))!.id;
    let pending: D1PreparedStatement[] = [];
    const issues = new IssueLog((i) => void pending.push(db.prepare(INSERT_ISSUE).bind(run, i.kind, i.line ?? null, i.address ?? null, i.detail)));
    const counts = emptyCounts();
    const updateSql = source === 'national' ? UPDATE_NATIONAL : UPDATE_LEGACY;
    await readBatches(input, opts, source, lastDate, file, async (lines, first) => {
      // FTS5 writes a segment whenever a rowid comes lower than the one before: the changed
      // rows (scattered ids) go first in id order, then the new ones (ids above them all).
      const updates: Array<{ id: number; stmts: D1PreparedStatement[] }> = [];
      const inserts: D1PreparedStatement[] = [];
      eachLine(lines, first, counts, (line, n) => {
        const w: MailboxWrite | null = plan.line(line, n, counts, issues.add);
        if (w?.op === 'insert') {
          inserts.push(
            db.prepare(INSERT_MAILBOX).bind(network, w.address, w.kind, w.status, w.alias, w.displayName, w.partyKey, w.record, w.hash, run, run),
            db.prepare(SEARCH_INSERT_NEW).bind(searchWords(network, w.record, w.alias), w.address),
          );
        } else if (w) {
          const args = source === 'national'
            ? [w.kind, w.status, w.displayName, w.partyKey ?? null, w.record, w.hash, run, w.id]
            : [w.kind, w.status, w.displayName, w.record, w.hash, run, w.id];
          updates.push({
            id: w.id,
            stmts: [db.prepare(updateSql).bind(...args), db.prepare(SEARCH_DELETE).bind(w.id), db.prepare(SEARCH_INSERT_OF).bind(searchWords(network, w.record, null), w.id)],
          });
        }
      });
      updates.sort((a, b) => a.id - b.id);
      const stmts = [...pending, ...updates.flatMap((u) => u.stmts), ...inserts];
      pending = [];
      await this.batch(stmts);
    });
    const gone = [...plan.gone()];
    counts.removed = gone.length;
    plan.release();
    for (let k = 0; k < gone.length; k += IN_CHUNK) {
      const ids = gone.slice(k, k + IN_CHUNK);
      pending.push(db.prepare(`UPDATE directory_mailboxes SET status = 'removed', change_run = ? WHERE id IN (${ids.map(() => '?').join(',')})`).bind(run, ...ids));
    }
    const stmts = pending;
    pending = [];
    await this.batch(stmts);
    const link = await this.linkLegacy(run, issues.add, () => {
      const s = pending;
      pending = [];
      return s;
    });
    await db.prepare(`UPDATE directory_imports SET file_name = ?, file_date = ?, finished_at = ?, counts = ? WHERE id = ?`)
      .bind(file.fileName, file.fileDate, this.now(), JSON.stringify(runCounts(counts, plan, link, issues)), run).run();
    return importReport(run, source, file, counts, plan, link, issues, performance.now() - t0);
  }

  private aliasSpace(aliases: HashedSet): HashedSet {
    for (const l of this.config.reservedLocals ?? []) aliases.add(l);
    return aliases;
  }

  async importNational(input: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<ImportReport> {
    const total = (await this.first<{ n: number }>(`SELECT count(*) AS n FROM directory_mailboxes WHERE network = 'mssante'`))!.n;
    const aliases = new HashedSet();
    const plan = new NationalImportPlan(total, [], this.aliasSpace(aliases), 'memory');
    await this.load('mssante', (r) => plan.know(r), (a) => plan.registerAddress(a), aliases);
    return this.runImport('national', input, opts, plan);
  }

  async importLegacy(input: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<ImportReport> {
    const aliases = new HashedSet();
    const plan = new LegacyImportPlan([], this.aliasSpace(aliases), 'memory', this.interopDomain);
    await this.load('legacy', (r) => plan.know(r), (a) => plan.registerAddress(a), aliases);
    return this.runImport('legacy', input, opts, plan);
  }

  // ---------------------------------------------------------------- linking

  /** Links every legacy subscriber (a page at a time: its subscribers, their keys' national lines, the changed links and the issues in one batch). */
  private async linkLegacy(run: number, issue: (i: DirectoryIssue) => void, takeIssues: () => D1PreparedStatement[]): Promise<LinkReport> {
    const rep = emptyLinkReport();
    for (let after = 0; ; ) {
      const rows = await this.all<LegacyLinkRow>(
        `SELECT id, address, record, party_key AS partyKey, link_state AS linkState, link_note AS linkNote FROM directory_mailboxes
          WHERE network = 'legacy' AND id > ? ORDER BY id LIMIT ${PAGE}`, after);
      const keys = [...new Set(rows.flatMap((r) => legacyLinkKeys(r.record)))];
      const national = new Map<string, string[]>();
      for (let k = 0; k < keys.length; k += IN_CHUNK) {
        const chunk = keys.slice(k, k + IN_CHUNK);
        const found = await this.all<{ k: string; record: string }>(
          `SELECT party_key AS k, record FROM directory_mailboxes WHERE network = 'mssante' AND party_key IN (${chunk.map(() => '?').join(',')}) ORDER BY party_key, id`, ...chunk);
        for (const n of found) {
          let list = national.get(n.k);
          if (!list) national.set(n.k, (list = []));
          if (list.length < LINK_PARTY_LIMIT) list.push(n.record);
        }
      }
      const stmts: D1PreparedStatement[] = [];
      for (const r of rows) {
        const d = planLink(r, (key) => national.get(key) ?? [], rep, issue);
        if (d) stmts.push(this.db.prepare(`UPDATE directory_mailboxes SET party_key = ?, link_state = ?, link_note = ?, change_run = ? WHERE id = ?`).bind(d.partyKey, d.state, d.note, run, r.id));
      }
      await this.batch([...stmts, ...takeIssues()]);
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1].id;
    }
    await this.batch(takeIssues());
    return rep;
  }

  // ---------------------------------------------------------------- search and stats

  async search(query: string, limit = 20): Promise<SearchEntry[]> {
    const terms = searchTerms(query);
    if (terms.length === 0) return [];
    const found = await this.all<{ id: number; party_key: string | null; network: string; record: string; alias: string | null }>(SEARCH, searchIndexQuery(terms), limit * 4);
    const hits = found.filter((h) => containsTerms(searchText(h.network, h.record, h.alias), terms));
    if (hits.length === 0) return [];
    const runs = await this.runs();
    const out: SearchEntry[] = [];
    for (const e of pickEntries(hits, limit)) {
      const rows = e.partyKey
        ? await this.all<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM directory_mailboxes WHERE party_key = ? ORDER BY network DESC, address LIMIT 50`, e.partyKey)
        : await this.all<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM directory_mailboxes WHERE id = ?`, e.id);
      out.push(searchEntry(e.partyKey, rows, this, runs));
    }
    return out;
  }

  private runs(): Promise<RunRow[]> {
    return this.all<RunRow>(FINISHED_RUNS);
  }

  async lookup(address: string): Promise<AddressLookup | null> {
    const route = await this.resolve(address);
    if (!route) return null;
    const target = await this.first<MemberRow & { party_key: string | null }>(`SELECT ${MEMBER_COLUMNS}, party_key FROM directory_mailboxes WHERE address = ?`, route.address);
    if (!target) return null;
    const party = target.party_key
      ? await this.all<MemberRow>(`SELECT ${MEMBER_COLUMNS} FROM directory_mailboxes WHERE party_key = ? ORDER BY network DESC, address LIMIT 50`, target.party_key)
      : [];
    return lookupOf(route, target, party, await this.runs());
  }

  async lastImports(): Promise<Record<string, number>> {
    const rows = await this.all<{ source: string; at: number }>(`SELECT source, max(finished_at) AS at FROM directory_imports WHERE finished_at IS NOT NULL GROUP BY source`);
    return Object.fromEntries(rows.map((r) => [r.source, r.at]));
  }

  async stats(): Promise<DirectoryStats> {
    const [mailboxes, links, imports, exports] = await Promise.all([
      this.all<{ network: string; kind: string; status: string; n: number }>(`SELECT network, kind, status, count(*) AS n FROM directory_mailboxes GROUP BY network, kind, status`),
      this.all<{ link_state: string | null; n: number }>(`SELECT link_state, count(*) AS n FROM directory_mailboxes WHERE network = 'legacy' GROUP BY link_state`),
      this.all<{ counts: string | null }>(
        `SELECT id, source, file_name AS fileName, file_date AS fileDate, started_at AS startedAt, finished_at AS finishedAt, counts FROM directory_imports ORDER BY id DESC LIMIT 5`),
      this.all(`SELECT feed, last_run AS lastRun, exported_at AS exportedAt, count FROM directory_exports WHERE feed <> '${PUBLISHED_FEED}' ORDER BY feed`),
    ]);
    return {
      mailboxes: mailboxCounts(mailboxes),
      links: linkCounts(links),
      imports: imports.map((r) => ({ ...r, counts: r.counts ? JSON.parse(r.counts) : null })),
      exports,
    };
  }

  async issues(run?: number, limit = 100): Promise<Array<DirectoryIssue & { run: number }>> {
    const r = run ?? (await this.first<{ n: number | null }>(`SELECT max(id) AS n FROM directory_imports`))?.n;
    if (r == null) return [];
    return this.all<DirectoryIssue & { run: number }>(`SELECT run, kind, line, address, detail FROM directory_issues WHERE run = ? ORDER BY id LIMIT ?`, r, limit);
  }

  // ---------------------------------------------------------------- exports

  async exportFeed(feed: Feed, mode: 'full' | 'diff', sink: (chunk: Uint8Array) => void | Promise<void>): Promise<ExportSummary> {
    const upto = (await this.first<{ n: number }>(`SELECT coalesce(max(id), 0) AS n FROM directory_imports`))!.n;
    const since = mode === 'full' ? 0 : ((await this.first<{ n: number }>(`SELECT last_run AS n FROM directory_exports WHERE feed = ?`, feed))?.n ?? 0);
    const out = new FeedWriter(feed, mode, since, upto, this);
    const put = async (c: Uint8Array | null) => {
      if (c) await sink(c);
    };
    await put(out.open(new Date(this.now()).toISOString()));
    for (let after = ''; ; ) {
      const rows = await this.all<{ alias: string; status: string; record: string }>(
        `SELECT alias, status, record FROM directory_mailboxes WHERE network = ? AND alias IS NOT NULL AND alias > ? AND change_run > ? AND change_run <= ?
          ORDER BY alias LIMIT ${PAGE}`, FEED_NETWORK[feed], after, since, upto);
      for (const r of rows) await put(out.row(r.alias, r.status, r.record));
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1].alias;
    }
    await put(out.end());
    return out.summary();
  }

  async commitExport(s: ExportSummary): Promise<void> {
    await this.db.prepare(COMMIT_EXPORT).bind(s.feed, s.uptoRun, this.now(), s.count).run();
  }

  async changedMailboxes(sinceRun: number, afterId: number, limit: number): Promise<PublishedMailbox[]> {
    return this.all<PublishedMailbox>(`SELECT ${PUBLISHED_MAILBOX_COLUMNS} FROM directory_mailboxes WHERE change_run > ? AND id > ? ORDER BY id LIMIT ?`, sinceRun, afterId, limit);
  }

  async importRuns(): Promise<PublishedRun[]> {
    return this.all<PublishedRun>(`SELECT ${PUBLISHED_RUN_COLUMNS} FROM directory_imports ORDER BY id`);
  }

  // ---------------------------------------------------------------- publication (the gateway's copy)

  /**
   * Applies a page of a publication: runs and mailbox rows upserted by id (the gateway's ids),
   * each mailbox's search words replaced; one batch per `BATCH_STATEMENTS` statements.
   */
  async applyPublication(p: DirectoryPublication): Promise<{ runs: number; mailboxes: number }> {
    const db = this.db;
    const stmts: D1PreparedStatement[] = p.runs.map((r) => db.prepare(UPSERT_RUN).bind(r.id, r.source, r.fileName, r.fileDate, r.startedAt, r.finishedAt, r.counts));
    for (const m of p.mailboxes) {
      stmts.push(
        db.prepare(UPSERT_MAILBOX).bind(m.id, m.network, m.address, m.kind, m.status, m.alias, m.displayName, m.partyKey, m.linkState, m.linkNote, m.record, m.lineHash, m.firstRun, m.changeRun),
        db.prepare(SEARCH_DELETE).bind(m.id),
        db.prepare(`INSERT INTO directory_search (rowid, words) VALUES (?, ?)`).bind(m.id, searchWords(m.network, m.record, m.alias)),
      );
    }
    await this.batch(stmts);
    return { runs: p.runs.length, mailboxes: p.mailboxes.length };
  }

  /** The last run whose publication finished (0: none). */
  async publishedRun(): Promise<number> {
    return (await this.first<{ n: number }>(`SELECT last_run AS n FROM directory_exports WHERE feed = ?`, PUBLISHED_FEED))?.n ?? 0;
  }

  /** Records that the publication up to run `uptoRun` finished (`count` rows). */
  async markPublished(uptoRun: number, count: number): Promise<void> {
    await this.db.prepare(COMMIT_EXPORT).bind(PUBLISHED_FEED, uptoRun, this.now(), count).run();
  }
}
