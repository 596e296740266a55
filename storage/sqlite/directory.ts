/**
 * The federated address book over SQLite (Node edge: better-sqlite3). Imports both
 * directories by streaming, links people and organisations across networks, keeps the alias
 * namespace, resolves addresses for the pipeline, and produces the exports.
 *
 * Parsing, alias and link decisions live in Web-only modules (`national-format`,
 * `legacy-format`, `alias`, `linking`, `interop-list`, `operator-feed`, `line-reader`), and
 * what an import decides line by line in `import-plan` (shared with the PostgreSQL engine);
 * this file holds the SQL. Each mailbox row keeps its source line
 * (`record`) and the few columns SQL needs (address, alias, status, party key).
 *
 * @example
 * const dir = Directory.open('./var/passerelle.db', { legacyDomain: 'lnp.test', nationalDomain: 'passerelle.mssante.test' });
 * await dir.importNational(createReadStream(zipPath), { fileName: basename(zipPath) });
 * await dir.resolve('jean.dupont.med@interop.lnp.test');
 * // → { network: 'mssante', address: 'jean.dupont@medecin.mssante.fr', status: 'active', displayName: 'Dr Jean DUPONT' }
 */
import type Database from 'better-sqlite3';
import { openDirectoryDatabase, type OpenDirectoryOptions } from './directory-database.js';
import { searchText, searchWords, containsTerms, searchIndexQuery } from '../../directory/search-text.js';
import { HashedSet } from '../../directory/hashed-set.js';
import { readSavedRows, SavedRowsWriter, savedRowsFile } from './saved-known-rows.js';
import { adoptSearchSideFile, searchTableDefinition, SIDE_SCHEMA, type SearchSideBuilder } from './search-side-file.js';
import { rmSync } from 'node:fs';
import type { Route, RouteResolver } from '../../core/ports/route-resolver.js';
import type { NetworkId } from '../../core/model/network.js';
import {
  aliasAddress, aliasLookup, eachLine, emptyCounts, emptyLinkReport, FEED_NETWORK, FeedWriter, importFile, importReport, IssueLog, LegacyImportPlan, linkCounts, LINK_PARTY_LIMIT, mailboxCounts,
  NationalImportPlan, pickEntries, SAVED_ROW_NUMBERS, keptLink, planLink, readBatches, routeOf, runCounts, searchEntry, searchTerms, FINISHED_RUNS, MEMBER_COLUMNS, lookupOf, PUBLISHED_MAILBOX_COLUMNS, PUBLISHED_RUN_COLUMNS,
  type RunRow, type KnownRow, type LegacyLinkRow, type MailboxWrite, type MemberRow,
} from '../../directory/import-plan.js';

export type {
  DirectoryConfig, DirectoryIssue, DirectoryStats, ExportSummary, Feed, ImportOptions, ImportReport, LinkReport, SearchEntry,
} from '../../core/ports/directory-store.js';
import type {
  PublishedMailbox, PublishedRun, AddressLookup, DirectoryConfig, DirectoryIssue, DirectoryStats, ExportSummary, Feed, ImportOptions, ImportReport, LinkReport, SearchEntry,
} from '../../core/ports/directory-store.js';

/** Same definitions as the migration; built in one sort after a bulk first import. */
const RECREATE_INDEXES = `CREATE UNIQUE INDEX IF NOT EXISTS directory_mailboxes_address_idx ON directory_mailboxes (address);
  CREATE UNIQUE INDEX IF NOT EXISTS directory_mailboxes_alias_idx ON directory_mailboxes (alias);
  CREATE INDEX IF NOT EXISTS directory_mailboxes_party_idx ON directory_mailboxes (party_key);`;
const DROP_BULK_INDEXES = `DROP INDEX IF EXISTS directory_mailboxes_address_idx; DROP INDEX IF EXISTS directory_mailboxes_alias_idx;
  DROP INDEX IF EXISTS directory_mailboxes_party_idx;`;

/**
 * A bulk load's indexes, sorted in at its end with one helper thread for SQLite's sorter
 * (`PRAGMA threads`: 1,000,000 rows' three indexes 2.5 → 2.1 s) and a small page cache,
 * which also bounds the sorter's runs in memory: with 2 MB the three sorts took 1.27–1.33 s
 * against 1.47–1.71 s with the load's 8 MB and 2.5–2.7 s with 64 MB (alternating runs).
 */
function sortIndexesIn(db: Database.Database): void {
  const threads = db.pragma('threads', { simple: true }) as number;
  const cache = db.pragma('cache_size', { simple: true }) as number;
  db.pragma('threads = 1');
  db.pragma('cache_size = -2048');
  try {
    db.exec(RECREATE_INDEXES);
  } finally {
    db.pragma(`threads = ${threads}`);
    db.pragma(`cache_size = ${cache}`);
  }
}

/**
 * Rows handed to a side search build at a time. Small hands, several in flight
 * (`threaded-search-side.ts`), keep both threads busy: with a hand per 20,000-line batch and
 * two in flight the import waited for the builder (1,000,000 lines: 14.4–14.9 s; 2,500 rows,
 * eight in flight: 12.4–13.7 s), and the lines in flight stay a few MB.
 */
const SIDE_HAND_ROWS = 2500;

/** The memory map of the address book's file for reads (virtual: pages are the OS's page cache). */
const READ_MMAP_BYTES = 1 << 30;

/** Search words of an import's mailbox writes (`Directory.searchWriter`). */
interface SearchWriter {
  insert(id: number, network: string, record: string, alias: string | null): void;
  replace(id: number, network: string, record: string, alias: string | null): void;
  /** Writes what is held when it is over `SEARCH_HOLD_ROWS` (after each batch). */
  batchEnd(): void;
  /** Writes what is held (before the import's commit). */
  flush(): void;
  /**
   * A side build (`search-side-file.ts`): its file, attached before the import's transaction
   * begins; `complete` waits for it and adopts it (after `flush`, in the transaction). Ended
   * and its file removed by whoever made the writer, once the import is over.
   */
  side?: { path: string; ready(): Promise<void>; complete(): Promise<void>; abort(): Promise<void> };
}

/**
 * At most this many search rows held, in memory, until the end of an import: a re-import's
 * changed rows are scattered, and FTS5 writes them fastest all at once in rowid order
 * (10,000 of them: 0.6 s in one go, 2.1 s in the fifty batches of a 1,000,000-line file).
 */
const SEARCH_HOLD_ROWS = 50_000;

/** The address book. Implements the pipeline's `RouteResolver`. */
export class Directory implements RouteResolver {
  readonly interopDomain: string;
  readonly nationalDomain: string;
  /** Time comes from the clock port (the configuration's, else the system's). */
  private readonly now: () => number;
  private readonly byAlias: Database.Statement;
  private readonly aliasOf: Database.Statement;

  constructor(
    readonly sqlite: Database.Database,
    readonly config: DirectoryConfig,
    /** Builds a first load's search index beside the import (`search-side-file.ts`); absent: in the import. */
    private readonly searchSide?: SearchSideBuilder,
    /** An import's log is folded by the connection's owner (`OpenDirectoryOptions.deferCheckpoint`). */
    private readonly deferCheckpoint = false,
  ) {
    this.now = config.clock ? () => config.clock!.now() : () => Date.now();
    this.interopDomain = `interop.${config.legacyDomain.toLowerCase()}`;
    this.nationalDomain = config.nationalDomain.toLowerCase();
    // A bulk import drops these and builds them at its end; make sure a crash in between
    // never leaves them missing.
    sqlite.exec(RECREATE_INDEXES);
    // Reads through a memory map (the resolve of a million-row address book: ~95,000/s
    // against ~68,000/s through the page cache). An import turns it off on its connection
    // for good: its scan of every known row would otherwise map the whole file into the
    // process (a 1% re-import of a million lines: RSS 724 MB instead of 370); the gateway
    // imports on a connection of its own (its thread's).
    sqlite.pragma(`mmap_size = ${READ_MMAP_BYTES}`);
    // The row found through the alias index (unique), the route read from it.
    this.byAlias = sqlite.prepare(`SELECT network, address, status, display_name FROM directory_mailboxes WHERE alias = ?`).raw();
    this.aliasOf = sqlite.prepare(`SELECT alias FROM directory_mailboxes WHERE address = ? AND network = ?`).pluck();
  }

  /**
   * Opens (and migrates) the address book's file at `path` (`directoryFileFor(database)` beside
   * the message store's); `adoptFrom` names a message database that held the directory before
   * the split (its rows are taken once).
   */
  static open(path: string, config: DirectoryConfig, opts: OpenDirectoryOptions = {}): Directory {
    return new Directory(openDirectoryDatabase(path, opts), config, opts.searchSide, opts.deferCheckpoint);
  }

  close(): void {
    this.sqlite.close();
  }

  /**
   * Folds the write-ahead log into the file (a passive checkpoint: readers are not waited
   * for, nor blocked). After an import, by whoever deferred it (`deferCheckpoint`).
   */
  checkpoint(): void {
    if (!this.sqlite.memory) this.sqlite.pragma('wal_checkpoint(PASSIVE)');
  }

  // ---------------------------------------------------------------- resolve

  /**
   * The route of an address the gateway serves: an `interop` alias (→ national mailbox) or
   * an address on the gateway's national domain (→ legacy subscriber). Null otherwise.
   * A suspended or removed recipient comes back with that status: the pipeline refuses it.
   *
   * @example
   * dir.resolveSync('dr.alice.martin@passerelle.mssante.test');
   * // { network: 'legacy', address: 'dr.alice.martin@medical33.lnp.test', status: 'active', displayName: 'Alice MARTIN' }
   */
  resolveSync(address: string): Route | null {
    const q = aliasLookup(address, this);
    if (!q) return null;
    const row = this.byAlias.get(q.local) as [string, string, Route['status'], string | null] | undefined;
    return routeOf(q.network, row && { network: row[0], address: row[1], status: row[2], displayName: row[3] });
  }

  async resolve(address: string): Promise<Route | null> {
    return this.resolveSync(address);
  }

  /**
   * The alias that a mailbox of `network` has on the other network.
   *
   * @example
   * dir.aliasForSync('jean.dupont@medecin.mssante.fr', 'mssante'); // 'jean.dupont.med@interop.lnp.test'
   */
  aliasForSync(address: string, network: NetworkId): string | null {
    const local = this.aliasOf.get(address.trim().toLowerCase(), network) as string | null | undefined;
    return local ? aliasAddress(local, network, this) : null;
  }

  /** `RouteResolver.aliasFor`: `target` is the network the alias is for (the other one than the mailbox's). */
  async aliasFor(address: string, target: NetworkId): Promise<string | null> {
    return this.aliasForSync(address, target === 'legacy' ? 'mssante' : 'legacy');
  }

  // ---------------------------------------------------------------- imports

  private lastFileDate(source: 'national' | 'legacy'): string | null {
    return this.sqlite
      .prepare(`SELECT max(file_date) FROM directory_imports WHERE source = ? AND finished_at IS NOT NULL`)
      .pluck()
      .get(source) as string | null;
  }

  /**
   * The common frame of an import: run bookkeeping, staleness check, batched transactions,
   * relaxed fsync during the bulk work, removal marking and the link pass. The decisions are
   * the plan's (`directory/import-plan.ts`); this runs its writes.
   */
  private async runImport(
    source: 'national' | 'legacy',
    input: AsyncIterable<Uint8Array>,
    opts: ImportOptions,
    spec: {
      /** When the import began (`performance.now()`), what it must know read included. */
      startedAt: number;
      plan: NationalImportPlan | LegacyImportPlan;
      /** Runs one write of the plan (an insert reports whether the address was free). */
      write: (w: MailboxWrite, run: number) => boolean;
      /** The search words of the writes, in rowid order by the end of each batch. */
      words: SearchWriter;
      /** Drop the mailbox indexes during the load, build them at the end. */
      bulk?: boolean;
      /** Frees what only the load needed, before the indexes are sorted in. */
      release?: () => void;
      /**
       * The party keys of the national mailboxes the import wrote (before and after), when it
       * knows them: only the legacy subscribers with one of them are linked again. Else all are.
       */
      touchedParties?: () => ReadonlySet<string>;
      /** A saved copy of what the next import must know, written meanwhile (`saved-known-rows.ts`). */
      saved?: { finish(run: number): void; commit(): void };
    },
  ): Promise<ImportReport> {
    const t0 = spec.startedAt;
    const lastDate = this.lastFileDate(source);
    const file = importFile(source, opts, lastDate);
    const db = this.sqlite;
    const plan = spec.plan;
    const run = Number(
      db.prepare(`INSERT INTO directory_imports (source, file_name, file_date, started_at) VALUES (?, ?, ?, ?)`).run(source, file.fileName, file.fileDate, this.now())
        .lastInsertRowid,
    );
    const insIssue = db.prepare(`INSERT INTO directory_issues (run, kind, line, address, detail) VALUES (?, ?, ?, ?, ?)`);
    const issues = new IssueLog((i) => insIssue.run(run, i.kind, i.line ?? null, i.address ?? null, i.detail));
    const counts = emptyCounts();
    const markRemoved = db.prepare(`UPDATE directory_mailboxes SET status = 'removed', change_run = ? WHERE id = ?`);
    // A batch is a unit of work inside the import's one transaction, not a savepoint of its
    // own: nothing rolls a batch back alone (a failure rolls the whole import back), and under
    // a savepoint every page the page cache spilled to the log was first copied to a
    // statement journal (a first load: 0.3 s of the import's CPU, in the kernel).
    const flush = (lines: string[], firstLineNo: number) => {
      eachLine(lines, firstLineNo, counts, (line, n) => {
        const w = plan.line(line, n, counts, issues.add);
        if (!w) return;
        const fresh = spec.write(w, run);
        if (w.op === 'insert' && plan.dedupe === 'engine') plan.confirm(w, fresh, counts, issues.add);
      });
      spec.words.batchEnd();
    };
    const sync = db.pragma('synchronous', { simple: true }) as number;
    const cache = db.pragma('cache_size', { simple: true }) as number;
    const autoCheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
    db.pragma('synchronous = NORMAL');
    // Random index inserts of an incremental import want a big page cache; a bulk load
    // does not (its indexes are sorted in at the end) and keeps its memory low: 8 MB against
    // 16, a 1,000,000-line first load ran the same (13.4–14.4 s against 13.9–14.7, alternating;
    // 4 MB no different) with a little less RSS.
    db.pragma(spec.bulk ? 'cache_size = -8192' : 'cache_size = -32768');
    // An import is one transaction, its batches units of work inside (`flush`): resolvers on other
    // connections (the gateway's, while the import runs on its thread) keep reading the last
    // committed state (for a bulk load, through its indexes, never a half-loaded table
    // without them); a crash leaves the last import whole; and the search words of a
    // re-import's scattered changes are written once, in rowid order.
    // A side build's file is attached before the transaction (SQLite attaches none inside one).
    const side = spec.words.side;
    let attached = false;
    let link: LinkReport;
    try {
      if (side) {
        db.prepare(`ATTACH DATABASE ? AS ${SIDE_SCHEMA}`).run(side.path);
        attached = true;
      }
      // With a side file attached, a deferred BEGIN: an immediate one would lock every attached
      // file, the side file too, which its builder writes meanwhile. The bulk load's first
      // statement writes, which takes the address book's lock then (waiting as BEGIN IMMEDIATE would).
      db.exec(side ? 'BEGIN' : 'BEGIN IMMEDIATE');
      if (spec.bulk) db.exec(DROP_BULK_INDEXES);
      // A re-import's unchanged lines are recognised on their keys, never decoded; the keys are
      // taken on another thread when the runtime gives one (`DirectoryConfig.lineKeyer`).
      const keyed = plan instanceof NationalImportPlan && plan.knownCount > 0
        ? { take: (keys: Float64Array, at: number) => plan.unchangedKeys(keys, at, counts), ...(this.config.lineKeyer && { keyer: this.config.lineKeyer }) }
        : undefined;
      // A side build paces the batches: the lines handed over wait there, in memory.
      await readBatches(input, opts, source, lastDate, file, side ? (lines, first) => (flush(lines, first), side.ready()) : (lines, first) => flush(lines, first), keyed, this.config.decodeUtf8);
      spec.words.flush();
      for (const id of plan.gone()) {
        markRemoved.run(run, id);
        counts.removed++;
      }
      spec.saved?.finish(run);
      plan.release();
      spec.release?.();
      if (spec.bulk) sortIndexesIn(db);
      // A side build writes its last batches while the indexes are sorted in (the machine's
      // other core is free then); its index is adopted after.
      await side?.complete();
      link = this.linkLegacy(run, issues.add, spec.touchedParties?.());
      db.prepare(`UPDATE directory_imports SET file_name = ?, file_date = ?, finished_at = ?, counts = ? WHERE id = ?`).run(
        file.fileName,
        file.fileDate,
        this.now(),
        JSON.stringify(runCounts(counts, plan, link, issues)),
        run,
      );
      // The commit leaves the write-ahead log as it is: folding a first load's 600 MB into the
      // file (read back, written again, both files synced) took 1.8–2.0 s of the import's
      // 10–12, which its report need not wait for: readers see the rows through the log
      // meanwhile. It is folded right after the report (`checkpoint`, below or by the
      // connection's owner), still on the import's connection, never by the next write of
      // another one (the gateway's event loop).
      db.pragma('wal_autocheckpoint = 0');
      db.exec('COMMIT');
      spec.saved?.commit();
    } finally {
      if (db.inTransaction) db.exec('ROLLBACK');
      if (attached) db.exec(`DETACH DATABASE ${SIDE_SCHEMA}`); // the build itself is ended by its owner (`importNational`)
      if (spec.bulk) db.exec(RECREATE_INDEXES);
      db.pragma(`synchronous = ${sync}`);
      db.pragma(`cache_size = ${cache}`);
      db.pragma(`wal_autocheckpoint = ${autoCheckpoint}`);
    }
    const report = importReport(run, source, file, counts, plan, link, issues, performance.now() - t0);
    if (!this.deferCheckpoint) this.checkpoint();
    return report;
  }

  /**
   * Imports a national extraction (plain `.txt` or the published `.zip`), streaming. New
   * mailboxes are inserted with their `interop` alias; changed ones updated; mailboxes absent
   * from this file are marked `removed` (never deleted, alias kept); then legacy subscribers
   * are re-linked.
   *
   * @example
   * const report = await dir.importNational(createReadStream(path), { fileName: basename(path) });
   * report.inserted; // 535000 on a first import
   */
  async importNational(input: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<ImportReport> {
    const startedAt = performance.now();
    const db = this.sqlite;
    db.pragma('mmap_size = 0'); // see the constructor: before the scan of what the import must know
    // What the import must know of every national mailbox: from the copy the last import
    // saved (`saved-known-rows.ts`), else read from the table.
    const savedFile = db.memory ? null : savedRowsFile(db.name);
    const lastRun = db.prepare(`SELECT max(id) FROM directory_imports WHERE source = 'national' AND finished_at IS NOT NULL`).pluck().get() as number | null;
    const saved = savedFile && lastRun !== null ? readSavedRows(savedFile, lastRun) : null;
    const total = saved ? saved.length / SAVED_ROW_NUMBERS : (db.prepare(`SELECT count(*) FROM directory_mailboxes WHERE network = 'mssante'`).pluck().get() as number);
    // Bulk mode: the first national import (nothing national yet) loads without indexes
    // (address duplicates, against this file and any legacy rows already there, are caught in
    // memory) and sorts the indexes in at the end; it checks alias freedom in memory. Later
    // ones ask the alias index (and remember what this run gave).
    const bulk = total === 0;
    const aliasUsed = db.prepare(`SELECT 1 FROM directory_mailboxes WHERE alias = ?`).pluck();
    const reserved = new Set(this.config.reservedLocals ?? []);
    const runAliases = new HashedSet();
    if (bulk) for (const l of reserved) runAliases.add(l);
    const taken = bulk
      ? runAliases
      : { has: (l: string) => runAliases.has(l) || reserved.has(l) || aliasUsed.get(l) !== undefined, add: (l: string) => runAliases.add(l), delete: (l: string) => runAliases.delete(l) };
    const dedupe = bulk ? 'memory' : 'engine';
    const plan = saved && total > 0
      ? NationalImportPlan.fromSaved(saved, taken, dedupe)
      : new NationalImportPlan(total, db.prepare(`SELECT id, address, line_hash, status FROM directory_mailboxes WHERE network = 'mssante'`).raw().iterate() as IterableIterator<KnownRow>, taken, dedupe);
    const saving = savedFile ? new SavedRowsWriter(savedFile) : null;
    if (bulk) {
      for (const [address, alias] of db.prepare(`SELECT address, alias FROM directory_mailboxes`).raw().iterate() as IterableIterator<[string, string | null]>) {
        plan.registerAddress(address);
        if (alias) runAliases.add(alias);
      }
    }
    const insertBulk = db.prepare(
      `INSERT INTO directory_mailboxes (network, address, kind, status, alias, display_name, party_key, record, line_hash, first_run, change_run)
       VALUES ('mssante', ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insert = db.prepare(
      `INSERT INTO directory_mailboxes (network, address, kind, status, alias, display_name, party_key, record, line_hash, first_run, change_run)
       VALUES ('mssante', ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address) DO NOTHING`,
    );
    const update = db.prepare(
      `UPDATE directory_mailboxes SET kind = ?, status = 'active', display_name = ?, party_key = ?, record = ?, line_hash = ?, change_run = ? WHERE id = ? RETURNING alias`,
    ).pluck();
    // Most changes leave the party key as it was: then only the row is written, not its party
    // index entry (no other index holds a column an update sets).
    const partyOf = db.prepare(`SELECT party_key FROM directory_mailboxes WHERE id = ?`).pluck();
    const updateRow = db.prepare(
      `UPDATE directory_mailboxes SET kind = ?, status = 'active', display_name = ?, record = ?, line_hash = ?, change_run = ? WHERE id = ? RETURNING alias`,
    ).pluck();
    // The party keys this import writes (the links of the legacy subscribers of other keys stand).
    const touched = new Set<string>();
    // Into an empty address book, on a runtime that gives a side builder: the search index is
    // built beside the import (`search-side-file.ts`).
    const sideBuild = bulk && this.searchSide && !db.memory && db.prepare(`SELECT 1 FROM directory_mailboxes LIMIT 1`).get() === undefined;
    const words = sideBuild ? this.searchSideWriter(this.searchSide!) : this.searchWriter();

    try {
      return await this.runImport('national', input, opts, {
        startedAt,
        bulk,
        plan,
        words,
        write: (w, run) => {
          if (w.op === 'update') {
            const was = partyOf.get(w.id) as string | null | undefined;
            if (was) touched.add(was);
            if (w.partyKey) touched.add(w.partyKey);
            const alias = (was === (w.partyKey ?? null)
              ? updateRow.get(w.kind, w.displayName, w.record, w.hash, run, w.id)
              : update.get(w.kind, w.displayName, w.partyKey ?? null, w.record, w.hash, run, w.id)) as string | null;
            words.replace(w.id, 'mssante', w.record, alias);
            return true;
          }
          const args = [w.address, w.kind, w.alias, w.displayName, w.partyKey, w.record, w.hash, run, run];
          const r = (bulk ? insertBulk : insert).run(...args);
          if (r.changes === 0) return false;
          const id = Number(r.lastInsertRowid);
          if (w.partyKey && !bulk) touched.add(w.partyKey); // a first load links every subscriber
          words.insert(id, 'mssante', w.record, w.alias);
          if (saving) NationalImportPlan.saveInsert(saving.sink, w, id);
          return true;
        },
        release: () => runAliases.clear(),
        // A first load (every key new) links every subscriber.
        ...(!bulk && { touchedParties: () => touched }),
        ...(saving && {
          saved: {
            finish: (run: number) => {
              plan.save(saving.sink);
              saving.finish(run);
            },
            commit: () => saving.commit(),
          },
        }),
      });
    } finally {
      saving?.abort(); // failed, or refused before it began (an older file): nothing of it stays; after a commit, nothing to do
      if (words.side) {
        // Loaded, failed or refused before it began (an older file): the build ends (a thread
        // told to, not terminated), its scratch file goes.
        await words.side.abort();
        rmSync(words.side.path, { force: true });
      }
    }
  }

  /**
   * Imports a legacy `annuaire-YYYYMMDD.csv` (ISO-8859-1, `;`), streaming. Each new
   * subscriber's `LOCAL` is reserved in the alias namespace and is its alias on the gateway's
   * national domain (a `LOCAL` already taken is reported and the subscriber gets a suffixed
   * alias); the gateway's own `interop` entries are skipped; subscribers absent from this file
   * are marked removed; then every subscriber is (re-)linked.
   *
   * @example
   * const report = await dir.importLegacy(createReadStream('annuaire-20261123.csv'), { fileName: 'annuaire-20261123.csv' });
   */
  async importLegacy(input: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<ImportReport> {
    const startedAt = performance.now();
    const db = this.sqlite;
    db.pragma('mmap_size = 0'); // see the constructor
    const insert = db.prepare(
      `INSERT INTO directory_mailboxes (network, address, kind, status, alias, display_name, party_key, record, line_hash, first_run, change_run)
       VALUES ('legacy', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address) DO NOTHING`,
    );
    const update = db.prepare(`UPDATE directory_mailboxes SET kind = ?, status = ?, display_name = ?, record = ?, line_hash = ?, change_run = ? WHERE id = ? RETURNING alias`).pluck();
    const words = this.searchWriter();
    const reserved = new Set(this.config.reservedLocals ?? []);
    const runAliases = new HashedSet();
    const aliasUsed = db.prepare(`SELECT 1 FROM directory_mailboxes WHERE alias = ?`).pluck();
    const taken = {
      has: (l: string) => runAliases.has(l) || reserved.has(l) || aliasUsed.get(l) !== undefined,
      add: (l: string) => runAliases.add(l),
      delete: (l: string) => runAliases.delete(l),
    };
    const known = db
      .prepare(`SELECT id, address, line_hash, status FROM directory_mailboxes WHERE network = 'legacy'`)
      .raw()
      .all() as KnownRow[];
    const plan = new LegacyImportPlan(known, taken, 'engine', this.interopDomain);

    return this.runImport('legacy', input, opts, {
      startedAt,
      plan,
      words,
      write: (w, run) => {
        if (w.op === 'update') {
          const alias = update.get(w.kind, w.status, w.displayName, w.record, w.hash, run, w.id) as string | null;
          words.replace(w.id, 'legacy', w.record, alias);
          return true;
        }
        const r = insert.run(w.address, w.kind, w.status, w.alias, w.displayName, w.partyKey, w.record, w.hash, run, run);
        if (r.changes === 0) return false;
        words.insert(Number(r.lastInsertRowid), 'legacy', w.record, w.alias);
        return true;
      },
    });
  }

  /**
   * The search index's writes (`directory_search`) for an import's mailbox writes, in its
   * transaction: the words come from `searchWords` (JavaScript), so no trigger can. FTS5 writes
   * a segment each time a rowid comes lower than the one before, so rows that do not come in
   * rising order are held and written in rowid order, at the end of the import or of the
   * batch that takes them over `SEARCH_HOLD_ROWS` (a re-import's changed rows are scattered:
   * written as they come, 10,000 of them cost seconds).
   */
  private searchWriter(): SearchWriter {
    const put = this.sqlite.prepare(`INSERT INTO directory_search (rowid, words) VALUES (?, ?)`);
    const drop = this.sqlite.prepare(`DELETE FROM directory_search WHERE rowid = ?`);
    let rows: Array<{ id: number; words: string; replace: boolean }> = [];
    let last = 0;
    return {
      // A new row above every row written so far goes at once (a first load: nothing held).
      insert: (id, network, record, alias) => {
        if (rows.length === 0 && id > last) {
          put.run(id, searchWords(network, record, alias));
          last = id;
        } else rows.push({ id, words: searchWords(network, record, alias), replace: false });
      },
      replace: (id, network, record, alias) => void rows.push({ id, words: searchWords(network, record, alias), replace: true }),
      batchEnd() {
        if (rows.length >= SEARCH_HOLD_ROWS) this.flush();
      },
      flush: () => {
        const batch = rows;
        rows = [];
        batch.sort((a, b) => a.id - b.id);
        for (const r of batch) if (r.replace) drop.run(r.id);
        for (const r of batch) put.run(r.id, r.words);
        if (batch.length) last = Math.max(last, batch[batch.length - 1].id);
      },
    };
  }

  /**
   * The search words of a first load, handed to a side build each batch (in rising id order:
   * a first load only inserts); adopted at the end, in the import's transaction.
   */
  private searchSideWriter(builder: SearchSideBuilder): SearchWriter {
    const db = this.sqlite;
    const definition = searchTableDefinition(db);
    const path = `${db.name}.search-side`;
    rmSync(path, { force: true });
    const build = builder(path, definition);
    let ids: number[] = [];
    let network = '';
    let records: string[] = [];
    let aliases: Array<string | null> = [];
    const hand = () => {
      if (ids.length === 0) return;
      build.add(ids, network, records, aliases);
      ids = [];
      records = [];
      aliases = [];
    };
    return {
      insert: (id, net, record, alias) => {
        if (net !== network && ids.length) hand();
        network = net;
        ids.push(id);
        records.push(record);
        aliases.push(alias);
        if (ids.length >= SIDE_HAND_ROWS) hand();
      },
      replace: () => {
        throw new Error('a first load replaces no row');
      },
      batchEnd: hand,
      flush: hand,
      side: {
        path,
        ready: () => build.ready(),
        complete: async () => {
          await build.finish();
          adoptSearchSideFile(db, definition);
        },
        abort: () => build.abort(),
      },
    };
  }

  // ---------------------------------------------------------------- linking

  /**
   * Links every legacy subscriber to the national party its identifiers designate and
   * reports each ambiguity. Rows whose link changes get `change_run = run`. With `touched`
   * (the party keys a national import wrote), a subscriber with none of them keeps its
   * stored link, counted and reported as before (`keptLink`), without asking the table.
   */
  private linkLegacy(run: number, issue: (i: DirectoryIssue) => void, touched?: ReadonlySet<string>): LinkReport {
    const db = this.sqlite;
    const rep = emptyLinkReport();
    // Subscribers come only from legacy imports: none yet, nothing to link (and no scan).
    if (db.prepare(`SELECT 1 FROM directory_imports WHERE source = 'legacy' LIMIT 1`).get() === undefined) return rep;
    const national = db.prepare(`SELECT record FROM directory_mailboxes WHERE party_key = ? AND network = 'mssante' ORDER BY id LIMIT ${LINK_PARTY_LIMIT}`).pluck();
    const set = db.prepare(`UPDATE directory_mailboxes SET party_key = ?, link_state = ?, link_note = ?, change_run = ? WHERE id = ?`);
    const columns = `id, address, record, party_key AS partyKey, link_state AS linkState, link_note AS linkNote`;
    const decide = (row: LegacyLinkRow) => {
      const d = planLink(row, (key) => national.all(key) as string[], rep, issue);
      if (d) set.run(d.partyKey, d.state, d.note, run, row.id);
    };
    if (!touched) {
      for (const row of db.prepare(`SELECT ${columns} FROM directory_mailboxes WHERE network = 'legacy' ORDER BY id`).all() as LegacyLinkRow[]) decide(row);
      return rep;
    }
    // Read lean, one at a time (no statement may run meanwhile): those that keep their link
    // are counted at once; then, in the same order as the full pass, the kept ambiguities
    // are reported again and the others decided, each read whole.
    const after: { id: number; kept: boolean }[] = [];
    const lean = db.prepare(`SELECT id, record, link_state FROM directory_mailboxes WHERE network = 'legacy' ORDER BY id`).raw();
    for (const [id, record, linkState] of lean.iterate() as IterableIterator<[number, string, string | null]>) {
      if (!keptLink({ record, linkState }, touched, rep, () => after.push({ id, kept: true }))) after.push({ id, kept: false });
    }
    const whole = db.prepare(`SELECT ${columns} FROM directory_mailboxes WHERE id = ?`);
    for (const { id, kept } of after) {
      const row = whole.get(id) as LegacyLinkRow;
      if (kept) issue({ kind: 'ambiguous-link', address: row.address, detail: `not linked: ${row.linkNote}` });
      else decide(row);
    }
    return rep;
  }

  // ---------------------------------------------------------------- search and stats

  /**
   * Finds people and organisations by words of their line (name, profession, specialty, city,
   * RPPS/ADELI/FINESS, address) or alias: each word must start a word there (prefix), accents
   * and case ignored; answered from the FTS5 index `directory_search`, in mailbox order. Each
   * result is one entry (a person or organisation) with its mailboxes on both networks, each
   * with its confidence (freshness, source, conflicts).
   *
   * @example
   * dir.search('dupont bordeaux'); // [{ partyKey: 'rpps:…', name: 'Dr Jean DUPONT', mailboxes: [...] }]
   */
  search(query: string, limit = 20): SearchEntry[] {
    const terms = searchTerms(query);
    if (terms.length === 0) return [];
    const found = this.sqlite
      .prepare(
        `SELECT m.id, m.party_key, m.network, m.record, m.alias FROM directory_search s JOIN directory_mailboxes m ON m.id = s.rowid
          WHERE directory_search MATCH ? ORDER BY s.rowid LIMIT ?`,
      )
      .all(searchIndexQuery(terms), limit * 4) as Array<{ id: number; party_key: string | null; network: string; record: string; alias: string | null }>;
    // The index keeps no positions: a dotted word's sequence is checked here, on the candidates.
    const hits = found.filter((h) => containsTerms(searchText(h.network, h.record, h.alias), terms));
    if (hits.length === 0) return [];
    const runs = this.runs();
    const members = this.sqlite.prepare(`SELECT ${MEMBER_COLUMNS} FROM directory_mailboxes WHERE party_key = ? ORDER BY network DESC, address LIMIT 50`);
    const one = this.sqlite.prepare(`SELECT ${MEMBER_COLUMNS} FROM directory_mailboxes WHERE id = ?`);
    return pickEntries(hits, limit).map((e) => searchEntry(e.partyKey, (e.partyKey ? members.all(e.partyKey) : [one.get(e.id)]) as MemberRow[], this, runs));
  }

  private runs(): RunRow[] {
    return this.sqlite.prepare(FINISHED_RUNS).all() as RunRow[];
  }

  /**
   * `resolve`, with the target mailbox's confidence among its party's mailboxes.
   *
   * @example
   * dir.lookupSync('jean.dupont.med@interop.lnp.test');
   * // { network: 'mssante', address: '…', status: 'active', partyKey: 'rpps:…', confidence: { source: 'linked', lastSeen: { run: 3, … }, conflicts: [] } }
   */
  lookupSync(address: string): AddressLookup | null {
    const route = this.resolveSync(address);
    if (!route) return null;
    const target = this.sqlite.prepare(`SELECT ${MEMBER_COLUMNS}, party_key FROM directory_mailboxes WHERE address = ?`).get(route.address) as
      | (MemberRow & { party_key: string | null })
      | undefined;
    if (!target) return null;
    const party = target.party_key
      ? (this.sqlite.prepare(`SELECT ${MEMBER_COLUMNS} FROM directory_mailboxes WHERE party_key = ? ORDER BY network DESC, address LIMIT 50`).all(target.party_key) as MemberRow[])
      : [];
    return lookupOf(route, target, party, this.runs());
  }

  /** Counts by network, kind and status, link states, last imports and exports. */
  stats(): DirectoryStats {
    const db = this.sqlite;
    return {
      mailboxes: mailboxCounts(
        db.prepare(`SELECT network, kind, status, count(*) AS n FROM directory_mailboxes GROUP BY network, kind, status`).all() as Array<{
          network: string;
          kind: string;
          status: string;
          n: number;
        }>,
      ),
      links: linkCounts(
        db.prepare(`SELECT link_state, count(*) AS n FROM directory_mailboxes WHERE network = 'legacy' GROUP BY link_state`).all() as Array<{ link_state: string | null; n: number }>,
      ),
      imports: (
        db
          .prepare(`SELECT id, source, file_name AS fileName, file_date AS fileDate, started_at AS startedAt, finished_at AS finishedAt, counts FROM directory_imports ORDER BY id DESC LIMIT 5`)
          .all() as Array<{ counts: string | null }>
      ).map((r) => ({ ...r, counts: r.counts ? JSON.parse(r.counts) : null })),
      exports: db.prepare(`SELECT feed, last_run AS lastRun, exported_at AS exportedAt, count FROM directory_exports ORDER BY feed`).all(),
    };
  }

  /** When each source last finished an import (epoch ms); one row per source. */
  lastImports(): Record<string, number> {
    const rows = this.sqlite.prepare(`SELECT source, max(finished_at) AS at FROM directory_imports WHERE finished_at IS NOT NULL GROUP BY source`).all() as Array<{ source: string; at: number }>;
    return Object.fromEntries(rows.map((r) => [r.source, r.at]));
  }

  /** Issues recorded for a run (default: the last run). */
  issues(run?: number, limit = 100): Array<DirectoryIssue & { run: number }> {
    const r = run ?? (this.sqlite.prepare(`SELECT max(id) FROM directory_imports`).pluck().get() as number | null);
    if (r == null) return [];
    return this.sqlite.prepare(`SELECT run, kind, line, address, detail FROM directory_issues WHERE run = ? ORDER BY id LIMIT ?`).all(r, limit) as Array<
      DirectoryIssue & { run: number }
    >;
  }

  // ---------------------------------------------------------------- exports

  /**
   * Writes an export to `sink` in chunks: `interop` is the list of the gateway's interop
   * entries for the legacy network (SPEC §7, ISO-8859-1, CRLF; removed mailboxes as `R`);
   * `operator` is the FHIR-shaped JSON feed of the mailboxes the gateway hosts on its national
   * domain. `diff` writes only what changed since the last committed export of that feed.
   * Call `commitExport(summary)` once the output is safely stored.
   *
   * @example
   * const chunks: Uint8Array[] = [];
   * const s = dir.exportFeed('interop', 'diff', (c) => chunks.push(c));
   * dir.commitExport(s);
   */
  exportFeed(feed: Feed, mode: 'full' | 'diff', sink: (chunk: Uint8Array) => void): ExportSummary {
    const db = this.sqlite;
    const upto = db.prepare(`SELECT coalesce(max(id), 0) FROM directory_imports`).pluck().get() as number;
    const since = mode === 'full' ? 0 : ((db.prepare(`SELECT last_run FROM directory_exports WHERE feed = ?`).pluck().get(feed) as number | undefined) ?? 0);
    const stmt = db.prepare(
      `SELECT alias, status, record FROM directory_mailboxes
        WHERE network = ? AND alias IS NOT NULL AND change_run > ? AND change_run <= ? ORDER BY alias`,
    );
    const out = new FeedWriter(feed, mode, since, upto, this);
    const put = (c: Uint8Array | null) => {
      if (c) sink(c);
    };
    put(out.open(new Date(this.now()).toISOString()));
    for (const r of stmt.iterate(FEED_NETWORK[feed], since, upto) as IterableIterator<{ alias: string; status: string; record: string }>) put(out.row(r.alias, r.status, r.record));
    put(out.end());
    return out.summary();
  }

  /** Mailbox rows changed after run `sinceRun`, in id order after `afterId` (a publication's page). */
  changedMailboxes(sinceRun: number, afterId: number, limit: number): PublishedMailbox[] {
    return this.sqlite
      .prepare(`SELECT ${PUBLISHED_MAILBOX_COLUMNS} FROM directory_mailboxes WHERE change_run > ? AND id > ? ORDER BY id LIMIT ?`)
      .all(sinceRun, afterId, limit) as PublishedMailbox[];
  }

  /** Every import run, in id order. */
  importRuns(): PublishedRun[] {
    return this.sqlite.prepare(`SELECT ${PUBLISHED_RUN_COLUMNS} FROM directory_imports ORDER BY id`).all() as PublishedRun[];
  }

  /** Records that an export was delivered: the next `diff` of that feed starts after it. */
  commitExport(s: ExportSummary): void {
    this.sqlite
      .prepare(
        `INSERT INTO directory_exports (feed, last_run, exported_at, count) VALUES (?, ?, ?, ?)
         ON CONFLICT(feed) DO UPDATE SET last_run = excluded.last_run, exported_at = excluded.exported_at, count = excluded.count`,
      )
      .run(s.feed, s.uptoRun, this.now(), s.count);
  }
}
