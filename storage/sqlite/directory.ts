/**
 * The federated address book over SQLite (Node edge: better-sqlite3). Imports both
 * directories by streaming, links people and organisations across networks, keeps the alias
 * namespace, resolves addresses for the pipeline, and produces the exports.
 *
 * Parsing, alias and link decisions live in Web-only modules (`national-format`,
 * `legacy-format`, `alias`, `linking`, `interop-list`, `operator-feed`, `line-reader`);
 * this file holds the SQL and the bookkeeping. Each mailbox row keeps its source line
 * (`record`) and the few columns SQL needs (address, alias, status, party key).
 *
 * @example
 * const dir = Directory.open('./var/passerelle.db', { legacyDomain: 'lnp.test', nationalDomain: 'passerelle.mssante.test' });
 * await dir.importNational(createReadStream(zipPath), { fileName: basename(zipPath) });
 * await dir.resolve('jean.dupont.med@interop.lnp.test');
 * // → { network: 'mssante', address: 'jean.dupont@medecin.mssante.fr', status: 'active', displayName: 'Dr Jean DUPONT' }
 */
import type Database from 'better-sqlite3';
import { openDatabase } from './database.js';
import type { Route, RouteResolver } from '../../core/ports/route-resolver.js';
import type { NetworkId } from '../../core/model/network.js';
import { readLines, type TextEncoding } from '../../directory/line-reader.js';
import { checkNationalHeader, parseNationalLine, nationalPartyKey, nationalFileDate, nationalDisplayName, type NationalRecord } from '../../directory/national-format.js';
import { checkLegacyHeader, parseLegacyLine, legacyFileDate, legacyKind, legacyDisplayName, type LegacyRecord } from '../../directory/legacy-format.js';
import { aliasBase, chooseAlias, foldText } from '../../directory/alias.js';
import { decideLink, linkKeys, type NationalParty } from '../../directory/linking.js';
import { hash53 } from '../../directory/hash53.js';
import { DirectoryFormatError, StaleDirectoryFileError } from '../../directory/errors.js';
import { interopLine, INTEROP_HEADER_LINE } from '../../directory/interop-list.js';
import { operatorFeedOpen, operatorFeedEntry, operatorFeedClose } from '../../directory/operator-feed.js';
import { encodeLatin1 } from '../../directory/latin1.js';

export type {
  DirectoryConfig, DirectoryIssue, ExportSummary, Feed, ImportOptions, ImportReport, LinkReport, SearchEntry,
} from '../../core/ports/directory-store.js';
import type {
  DirectoryConfig, DirectoryIssue, ExportSummary, Feed, ImportOptions, ImportReport, LinkReport, SearchEntry,
} from '../../core/ports/directory-store.js';

/** Issues stored per run at most (all are counted). */
const ISSUE_LIMIT = 1000;
const STATUS_OF_LEGACY: Record<string, Route['status']> = { A: 'active', S: 'suspended', R: 'removed' };
const ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Same definitions as the migration; built in one sort after a bulk first import. */
const RECREATE_INDEXES = `CREATE UNIQUE INDEX IF NOT EXISTS directory_mailboxes_address_idx ON directory_mailboxes (address);
  CREATE UNIQUE INDEX IF NOT EXISTS directory_mailboxes_route_idx ON directory_mailboxes (alias, network, status, address, display_name);
  CREATE INDEX IF NOT EXISTS directory_mailboxes_party_idx ON directory_mailboxes (party_key);`;
const DROP_BULK_INDEXES = `DROP INDEX IF EXISTS directory_mailboxes_address_idx; DROP INDEX IF EXISTS directory_mailboxes_route_idx;
  DROP INDEX IF EXISTS directory_mailboxes_party_idx;`;

type Counts = { lines: number; inserted: number; updated: number; unchanged: number; removed: number; rejected: number; skipped: number };

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
  ) {
    this.now = config.clock ? () => config.clock!.now() : () => Date.now();
    this.interopDomain = `interop.${config.legacyDomain.toLowerCase()}`;
    this.nationalDomain = config.nationalDomain.toLowerCase();
    // A bulk import drops these and builds them at its end; make sure a crash in between
    // never leaves them missing.
    sqlite.exec(RECREATE_INDEXES);
    // Answered from the route index alone (covering).
    this.byAlias = sqlite.prepare(`SELECT network, address, status, display_name FROM directory_mailboxes WHERE alias = ?`).raw();
    sqlite.function('dir_fold', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? foldText(v) : ''));
    this.aliasOf = sqlite.prepare(`SELECT alias FROM directory_mailboxes WHERE address = ? AND network = ?`).pluck();
  }

  /** Opens (and migrates) the database at `path`. */
  static open(path: string, config: DirectoryConfig): Directory {
    const { sqlite } = openDatabase(path);
    return new Directory(sqlite, config);
  }

  close(): void {
    this.sqlite.close();
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
    return this.lookup(address.trim().toLowerCase());
  }

  private lookup(a: string): Route | null {
    const at = a.lastIndexOf('@');
    if (at <= 0) return null;
    const domain = a.slice(at + 1);
    let want: NetworkId;
    if (domain === this.interopDomain) want = 'mssante';
    else if (domain === this.nationalDomain) want = 'legacy';
    else return null;
    const row = this.byAlias.get(a.slice(0, at)) as [string, string, Route['status'], string | null] | undefined;
    if (!row || row[0] !== want) return null;
    const route: Route = { network: want, address: row[1], status: row[2] };
    if (row[3]) route.displayName = row[3];
    return route;
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
    if (!local) return null;
    return network === 'mssante' ? `${local}@${this.interopDomain}` : `${local}@${this.nationalDomain}`;
  }

  /** `RouteResolver.aliasFor`: `target` is the network the alias is for (the other one than the mailbox's). */
  async aliasFor(address: string, target: NetworkId): Promise<string | null> {
    return this.aliasForSync(address, target === 'legacy' ? 'mssante' : 'legacy');
  }

  // ---------------------------------------------------------------- imports

  private checkDate(source: 'national' | 'legacy', fileDate: string | null, force?: boolean): void {
    if (!fileDate || force) return;
    const last = this.sqlite
      .prepare(`SELECT max(file_date) FROM directory_imports WHERE source = ? AND finished_at IS NOT NULL`)
      .pluck()
      .get(source) as string | null;
    if (last && fileDate < last) throw new StaleDirectoryFileError(fileDate, last);
  }

  /**
   * The common frame of an import: run bookkeeping, staleness check, batched transactions,
   * relaxed fsync during the bulk work, removal marking and the link pass.
   */
  private async runImport(
    source: 'national' | 'legacy',
    input: AsyncIterable<Uint8Array>,
    opts: ImportOptions,
    spec: {
      encoding: TextEncoding;
      fileDate: (name: string) => string | null;
      checkHeader: (line: string) => void;
      /** Processes one data line inside a transaction. */
      line: (line: string, lineNo: number, run: number, counts: Counts, issue: (i: DirectoryIssue) => void) => void;
      /** Marks what the file did not list; returns the count. */
      sweep: (run: number) => number;
      aliases: (run: number, issue: (i: DirectoryIssue) => void) => { assigned: number; conflicts: number };
      /** Drop the mailbox indexes during the load, build them at the end. */
      bulk?: boolean;
      /** Frees what only the load needed, before the indexes are sorted in. */
      release?: () => void;
    },
  ): Promise<ImportReport> {
    const t0 = performance.now();
    let fileName = opts.fileName ?? null;
    let fileDate = fileName ? spec.fileDate(fileName) : null;
    this.checkDate(source, fileDate, opts.force);
    const db = this.sqlite;
    const run = Number(
      db.prepare(`INSERT INTO directory_imports (source, file_name, file_date, started_at) VALUES (?, ?, ?, ?)`).run(source, fileName, fileDate, this.now())
        .lastInsertRowid,
    );
    const insIssue = db.prepare(`INSERT INTO directory_issues (run, kind, line, address, detail) VALUES (?, ?, ?, ?, ?)`);
    const first: DirectoryIssue[] = [];
    let issueCount = 0;
    const issue = (i: DirectoryIssue) => {
      issueCount++;
      if (first.length < 100) first.push(i);
      if (issueCount <= ISSUE_LIMIT) insIssue.run(run, i.kind, i.line ?? null, i.address ?? null, i.detail);
    };
    const counts: Counts = { lines: 0, inserted: 0, updated: 0, unchanged: 0, removed: 0, rejected: 0, skipped: 0 };
    const flush = db.transaction((lines: string[], firstLineNo: number) => {
      let n = firstLineNo;
      for (const line of lines) {
        n++;
        if (line.length === 0) continue;
        counts.lines++;
        spec.line(line, n, run, counts, issue);
      }
    });
    const sync = db.pragma('synchronous', { simple: true }) as number;
    const cache = db.pragma('cache_size', { simple: true }) as number;
    db.pragma('synchronous = NORMAL');
    // Random index inserts of an incremental import want a big page cache; a bulk load
    // does not (its indexes are sorted in at the end) and keeps its memory low.
    db.pragma(spec.bulk ? 'cache_size = -16384' : 'cache_size = -32768');
    if (spec.bulk) db.exec(DROP_BULK_INDEXES);
    let aliases = { assigned: 0, conflicts: 0 };
    let link: LinkReport;
    try {
      let headerChecked = false;
      let lineNo = 0;
      let bufferStart = 0;
      let buffer: string[] = [];
      const batchLines = opts.batchLines ?? 20000;
      for await (const lines of readLines(input, {
        encoding: spec.encoding,
        onEntryName: (name) => {
          const d = spec.fileDate(name);
          if (d && !fileDate) {
            fileName = name;
            fileDate = d;
            this.checkDate(source, fileDate, opts.force);
          }
        },
        onBytes: opts.onProgress,
      })) {
        let from = 0;
        if (!headerChecked) {
          headerChecked = true;
          spec.checkHeader(lines[0]);
          lineNo = bufferStart = from = 1;
        }
        for (let k = from; k < lines.length; k++) buffer.push(lines[k]);
        lineNo += lines.length - from;
        if (buffer.length >= batchLines) {
          flush(buffer, bufferStart);
          bufferStart = lineNo;
          buffer = [];
        }
      }
      if (!headerChecked) throw new DirectoryFormatError(`the ${source} directory file is empty (no header line)`);
      if (buffer.length) flush(buffer, bufferStart);
      buffer = [];
      db.transaction(() => {
        counts.removed = spec.sweep(run);
        aliases = spec.aliases(run, issue);
      })();
      spec.release?.();
      if (spec.bulk) db.exec(RECREATE_INDEXES);
      link = db.transaction(() => this.linkLegacy(run, issue))();
    } finally {
      if (spec.bulk) db.exec(RECREATE_INDEXES);
      db.pragma(`synchronous = ${sync}`);
      db.pragma(`cache_size = ${cache}`);
    }
    const finished = { ...counts, aliasesAssigned: aliases.assigned, aliasConflicts: aliases.conflicts, link, issues: issueCount };
    db.prepare(`UPDATE directory_imports SET file_name = ?, file_date = ?, finished_at = ?, counts = ? WHERE id = ?`).run(
      fileName,
      fileDate,
      this.now(),
      JSON.stringify(finished),
      run,
    );
    return {
      run,
      source,
      fileName,
      fileDate,
      ...counts,
      aliasesAssigned: aliases.assigned,
      aliasConflicts: aliases.conflicts,
      link,
      issueCount,
      issues: first,
      elapsedMs: Math.round(performance.now() - t0),
    };
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
    const db = this.sqlite;
    // What is already known, compactly: address → slot in typed arrays.
    const total = db.prepare(`SELECT count(*) FROM directory_mailboxes WHERE network = 'mssante'`).pluck().get() as number;
    const index = new Map<string, number>();
    const ids = new Float64Array(total);
    const hashes = new Float64Array(total);
    const wasRemoved = new Uint8Array(total);
    const seen = new Uint8Array(total);
    let slot = 0;
    for (const r of db
      .prepare(`SELECT id, address, line_hash, status FROM directory_mailboxes WHERE network = 'mssante'`)
      .raw()
      .iterate() as IterableIterator<[number, string, number, string]>) {
      index.set(r[1], slot);
      ids[slot] = r[0];
      hashes[slot] = r[2];
      wasRemoved[slot] = r[3] === 'removed' ? 1 : 0;
      slot++;
    }
    // A first import checks alias freedom in memory; later ones ask the alias index (and
    // remember what this run gave).
    // Bulk mode: the first national import (nothing national yet) loads without indexes
    // (address duplicates, against this file and any legacy rows already there, are caught in
    // memory by two independent hashes) and sorts the indexes in at the end.
    const bulk = total === 0;
    const bulkSeen = new Map<number, number>();
    const bulkOverflow = new Set<string>();
    /** Registers an address; true when it was already registered. */
    const seenBefore = (address: string): boolean => {
      const h1 = hash53(address);
      const h2 = hash53(address, 0x9e3779b9);
      const prev = bulkSeen.get(h1);
      if (prev === undefined) bulkSeen.set(h1, h2);
      else if (prev === h2 || bulkOverflow.has(`${h1}:${h2}`)) return true;
      else bulkOverflow.add(`${h1}:${h2}`); // two addresses sharing the first hash
      return false;
    };
    const insertBulk = db.prepare(
      `INSERT INTO directory_mailboxes (network, address, kind, status, alias, display_name, party_key, record, line_hash, first_run, change_run)
       VALUES ('mssante', ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?)`,
    );
    const aliasUsed = db.prepare(`SELECT 1 FROM directory_mailboxes WHERE alias = ?`).pluck();
    const reserved = new Set(this.config.reservedLocals ?? []);
    const runAliases = bulk ? new Set<string>(reserved) : new Set<string>();
    if (bulk) {
      for (const [address, alias] of db.prepare(`SELECT address, alias FROM directory_mailboxes`).raw().iterate() as IterableIterator<[string, string | null]>) {
        seenBefore(address);
        if (alias) runAliases.add(alias);
      }
    }
    const taken = bulk
      ? runAliases
      : { has: (l: string) => runAliases.has(l) || reserved.has(l) || aliasUsed.get(l) !== undefined, add: (l: string) => runAliases.add(l), delete: (l: string) => runAliases.delete(l) };
    const insert = db.prepare(
      `INSERT INTO directory_mailboxes (network, address, kind, status, alias, display_name, party_key, record, line_hash, first_run, change_run)
       VALUES ('mssante', ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address) DO NOTHING`,
    );
    const update = db.prepare(
      `UPDATE directory_mailboxes SET kind = ?, status = 'active', display_name = ?, party_key = ?, record = ?, line_hash = ?, change_run = ? WHERE id = ?`,
    );
    const markRemoved = db.prepare(`UPDATE directory_mailboxes SET status = 'removed', change_run = ? WHERE id = ?`);
    let assigned = 0;
    const dup = (n: number, address: string) => ({ kind: 'duplicate', line: n, address, detail: `line ${n}: mailbox listed twice in the file; the first line is kept` });

    return this.runImport('national', input, opts, {
      encoding: 'utf-8',
      fileDate: nationalFileDate,
      checkHeader: checkNationalHeader,
      bulk,
      line: (line, n, run, counts, issue) => {
        // Fast path: a known mailbox whose line did not change costs a lookup and a hash.
        if (total > 0) {
          const p1 = line.indexOf('|');
          const p2 = p1 < 0 ? -1 : line.indexOf('|', p1 + 1);
          if (p2 > 0) {
            const i = index.get(line.slice(p1 + 1, p2).trim().toLowerCase());
            if (i !== undefined && !seen[i] && !wasRemoved[i] && hashes[i] === hash53(line)) {
              seen[i] = 1;
              counts.unchanged++;
              return;
            }
          }
        }
        let r: NationalRecord;
        try {
          r = parseNationalLine(line, n);
        } catch (e) {
          counts.rejected++;
          issue({ kind: 'rejected-line', line: n, detail: (e as Error).message });
          return;
        }
        const kind = r.mailboxType;
        const address = r.address.trim().toLowerCase();
        if (kind !== 'PER' && kind !== 'ORG') {
          counts.rejected++;
          issue({ kind: 'rejected-line', line: n, detail: `line ${n}: mailbox type must be PER or ORG, found "${kind.slice(0, 8)}"` });
          return;
        }
        if (!ADDRESS.test(address)) {
          counts.rejected++;
          issue({ kind: 'rejected-line', line: n, detail: `line ${n}: column 2 is not a mailbox address` });
          return;
        }
        const hash = hash53(line);
        const i = index.get(address);
        if (i !== undefined) {
          if (seen[i]) {
            counts.rejected++;
            issue(dup(n, address));
            return;
          }
          seen[i] = 1;
          if (hashes[i] === hash && !wasRemoved[i]) {
            counts.unchanged++;
            return;
          }
          update.run(kind, nationalDisplayName(r), nationalPartyKey(r), line, hash, run, ids[i]);
          counts.updated++;
          return;
        }
        const alias = chooseAlias(
          aliasBase({ kind, address, firstName: r.firstName, lastName: r.lastName, professionCode: r.professionCode, orgName: r.orgName, tradeName: r.tradeName, service: r.service }),
          address,
          taken,
        );
        let fresh = true;
        if (bulk) {
          fresh = !seenBefore(address);
          if (fresh) insertBulk.run(address, kind, alias, nationalDisplayName(r), nationalPartyKey(r), line, hash, run, run);
        } else fresh = insert.run(address, kind, alias, nationalDisplayName(r), nationalPartyKey(r), line, hash, run, run).changes > 0;
        if (!fresh) {
          taken.delete(alias);
          counts.rejected++;
          issue(dup(n, address));
          return;
        }
        counts.inserted++;
        assigned++;
      },
      sweep: (run) => {
        let removed = 0;
        for (let k = 0; k < total; k++) {
          if (!seen[k] && !wasRemoved[k]) {
            markRemoved.run(run, ids[k]);
            removed++;
          }
        }
        return removed;
      },
      aliases: () => ({ assigned, conflicts: 0 }),
      release: () => {
        bulkSeen.clear();
        bulkOverflow.clear();
        runAliases.clear();
        index.clear();
      },
    });
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
    const db = this.sqlite;
    const known = new Map<string, { id: number; hash: number; status: string; seen: boolean }>();
    for (const r of db
      .prepare(`SELECT id, address, line_hash, status FROM directory_mailboxes WHERE network = 'legacy'`)
      .raw()
      .iterate() as IterableIterator<[number, string, number, string]>) {
      known.set(r[1], { id: r[0], hash: r[2], status: r[3], seen: false });
    }
    const insert = db.prepare(
      `INSERT INTO directory_mailboxes (network, address, kind, status, alias, display_name, party_key, record, line_hash, first_run, change_run)
       VALUES ('legacy', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address) DO NOTHING`,
    );
    const update = db.prepare(`UPDATE directory_mailboxes SET kind = ?, status = ?, display_name = ?, record = ?, line_hash = ?, change_run = ? WHERE id = ?`);
    const markRemoved = db.prepare(`UPDATE directory_mailboxes SET status = 'removed', change_run = ? WHERE id = ?`);
    const reserved = new Set(this.config.reservedLocals ?? []);
    const runAliases = new Set<string>();
    const aliasUsed = db.prepare(`SELECT 1 FROM directory_mailboxes WHERE alias = ?`).pluck();
    const taken = {
      has: (l: string) => runAliases.has(l) || reserved.has(l) || aliasUsed.get(l) !== undefined,
      add: (l: string) => runAliases.add(l),
      delete: (l: string) => runAliases.delete(l),
    };
    let assigned = 0;
    let conflicts = 0;
    const interopSuffix = `@${this.interopDomain}`;
    const dup = (n: number, address: string) => ({ kind: 'duplicate', line: n, address, detail: `line ${n}: subscriber listed twice in the file; the first line is kept` });

    return this.runImport('legacy', input, opts, {
      encoding: 'iso-8859-1',
      fileDate: legacyFileDate,
      checkHeader: checkLegacyHeader,
      line: (line, n, run, counts, issue) => {
        let r: LegacyRecord;
        try {
          r = parseLegacyLine(line, n);
        } catch (e) {
          counts.rejected++;
          issue({ kind: 'rejected-line', line: n, detail: (e as Error).message });
          return;
        }
        if (r.address.endsWith(interopSuffix)) {
          counts.skipped++;
          return;
        }
        const hash = hash53(line);
        const status = STATUS_OF_LEGACY[r.status];
        const k = known.get(r.address);
        if (k) {
          if (k.seen) {
            counts.rejected++;
            issue(dup(n, r.address));
            return;
          }
          k.seen = true;
          if (k.hash === hash && k.status === status) {
            counts.unchanged++;
            return;
          }
          update.run(legacyKind(r), status, legacyDisplayName(r), line, hash, run, k.id);
          counts.updated++;
          return;
        }
        // The subscriber's LOCAL is its alias, unless already taken (an anomaly: reported,
        // and the subscriber gets a suffix derived from its own address).
        const local = r.address.slice(0, r.address.lastIndexOf('@'));
        let alias = local;
        const clash = taken.has(local);
        if (clash) alias = chooseAlias(local, r.address, taken);
        else taken.add(local);
        const res = insert.run(r.address, legacyKind(r), status, alias, legacyDisplayName(r), linkKeys({ kind: legacyKind(r), ...r })[0] ?? null, line, hash, run, run);
        if (res.changes === 0) {
          taken.delete(alias);
          counts.rejected++;
          issue(dup(n, r.address));
          return;
        }
        if (clash) {
          conflicts++;
          issue({
            kind: 'alias-conflict',
            line: n,
            address: r.address,
            detail: `LOCAL "${local}" is already used in the alias namespace (another subscriber or an interop alias); the subscriber's gateway alias is "${alias}"`,
          });
        }
        assigned++;
        counts.inserted++;
      },
      sweep: (run) => {
        let removed = 0;
        for (const k of known.values()) {
          if (!k.seen && k.status !== 'removed') {
            markRemoved.run(run, k.id);
            removed++;
          }
        }
        return removed;
      },
      aliases: () => ({ assigned, conflicts }),
    });
  }

  // ---------------------------------------------------------------- linking

  /**
   * Links every legacy subscriber to the national party its identifiers designate and
   * reports each ambiguity. Rows whose link changes get `change_run = run`.
   */
  private linkLegacy(run: number, issue: (i: DirectoryIssue) => void): LinkReport {
    const db = this.sqlite;
    const rep: LinkReport = { linked: 0, unlinked: 0, ambiguous: 0, changed: 0 };
    const national = db.prepare(`SELECT record FROM directory_mailboxes WHERE party_key = ? AND network = 'mssante' LIMIT 20`).pluck();
    const set = db.prepare(`UPDATE directory_mailboxes SET party_key = ?, link_state = ?, link_note = ?, change_run = ? WHERE id = ?`);
    const rows = db
      .prepare(`SELECT id, address, record, party_key, link_state, link_note FROM directory_mailboxes WHERE network = 'legacy'`)
      .all() as Array<{ id: number; address: string; record: string; party_key: string | null; link_state: string | null; link_note: string | null }>;
    for (const row of rows) {
      let r: LegacyRecord;
      try {
        r = parseLegacyLine(row.record, 0);
      } catch {
        continue;
      }
      const input = { kind: legacyKind(r), rpps: r.rpps, adeli: r.adeli, finess: r.finess, lastName: r.lastName };
      const found: NationalParty[] = [];
      for (const key of linkKeys(input)) {
        const recs = national.all(key) as string[];
        if (recs.length) found.push({ key, lastNames: recs.map((x) => x.split('|')[9] ?? '').filter((x) => x.length > 0) });
      }
      const d = decideLink(input, found);
      const note = d.state === 'ambiguous' ? d.note : null;
      rep[d.state]++;
      if (d.state === 'ambiguous') issue({ kind: 'ambiguous-link', address: row.address, detail: `not linked: ${d.note}` });
      if (d.partyKey !== row.party_key || d.state !== row.link_state || note !== row.link_note) {
        set.run(d.partyKey, d.state, note, run, row.id);
        rep.changed++;
      }
    }
    return rep;
  }

  // ---------------------------------------------------------------- search and stats

  /**
   * Finds people and organisations by words of their name, city, address, identifier or
   * alias (accents and case ignored). Each result is one entry (a person or organisation)
   * with its mailboxes on both networks.
   *
   * @example
   * dir.search('dupont bordeaux'); // [{ partyKey: 'rpps:…', name: 'Dr Jean DUPONT', mailboxes: [...] }]
   */
  search(query: string, limit = 20): SearchEntry[] {
    const words = foldText(query)
      .split(/[\s,;|]+/)
      .filter((w) => w.length > 0)
      .slice(0, 6);
    if (words.length === 0) return [];
    const where = words.map(() => `instr(hay, ?) > 0`).join(' AND ');
    const rows = this.sqlite
      .prepare(
        `SELECT id, party_key FROM (SELECT id, party_key, dir_fold(record || ' ' || coalesce(alias, '')) AS hay FROM directory_mailboxes) WHERE ${where} LIMIT ?`,
      )
      .all(...words, limit * 4) as Array<{ id: number; party_key: string | null }>;
    type Row = { network: string; address: string; alias: string | null; status: Route['status']; link_state: string | null; display_name: string | null };
    const members = this.sqlite.prepare(
      `SELECT network, address, alias, status, link_state, display_name FROM directory_mailboxes WHERE party_key = ? ORDER BY network DESC, address LIMIT 50`,
    );
    const one = this.sqlite.prepare(`SELECT network, address, alias, status, link_state, display_name FROM directory_mailboxes WHERE id = ?`);
    const entries: SearchEntry[] = [];
    const parties = new Set<string>();
    for (const r of rows) {
      if (entries.length >= limit) break;
      if (r.party_key) {
        if (parties.has(r.party_key)) continue;
        parties.add(r.party_key);
      }
      // An ambiguous legacy subscriber has no party key: it stays an entry of its own.
      const mbs = (r.party_key ? members.all(r.party_key) : [one.get(r.id)]) as Row[];
      entries.push({
        partyKey: r.party_key,
        name: mbs[0].display_name ?? '',
        mailboxes: mbs.map((m) => ({
          network: m.network as NetworkId,
          address: m.address,
          alias: m.alias ? `${m.alias}@${m.network === 'mssante' ? this.interopDomain : this.nationalDomain}` : null,
          status: m.status,
          linkState: m.link_state,
        })),
      });
    }
    return entries;
  }

  /** Counts by network, kind and status, link states, last imports and exports. */
  stats(): {
    mailboxes: Record<string, Record<string, number>>;
    links: Record<string, number>;
    imports: unknown[];
    exports: unknown[];
  } {
    const db = this.sqlite;
    const mailboxes: Record<string, Record<string, number>> = {};
    for (const r of db.prepare(`SELECT network, kind, status, count(*) AS n FROM directory_mailboxes GROUP BY network, kind, status`).all() as Array<{
      network: string;
      kind: string;
      status: string;
      n: number;
    }>) {
      const m = (mailboxes[r.network] ??= {});
      m[r.status] = (m[r.status] ?? 0) + r.n;
      m[r.kind] = (m[r.kind] ?? 0) + r.n;
      m.total = (m.total ?? 0) + r.n;
    }
    const links: Record<string, number> = {};
    for (const r of db
      .prepare(`SELECT link_state, count(*) AS n FROM directory_mailboxes WHERE network = 'legacy' GROUP BY link_state`)
      .all() as Array<{ link_state: string | null; n: number }>)
      links[r.link_state ?? 'none'] = r.n;
    return {
      mailboxes,
      links,
      imports: (
        db
          .prepare(`SELECT id, source, file_name AS fileName, file_date AS fileDate, started_at AS startedAt, finished_at AS finishedAt, counts FROM directory_imports ORDER BY id DESC LIMIT 5`)
          .all() as Array<{ counts: string | null }>
      ).map((r) => ({ ...r, counts: r.counts ? JSON.parse(r.counts) : null })),
      exports: db.prepare(`SELECT feed, last_run AS lastRun, exported_at AS exportedAt, count FROM directory_exports`).all(),
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
    const enc = new TextEncoder();
    const stmt = db.prepare(
      `SELECT alias, status, record FROM directory_mailboxes
        WHERE network = ? AND alias IS NOT NULL AND change_run > ? AND change_run <= ? ORDER BY alias`,
    );
    let count = 0;
    let parts: string[] = [];
    let size = 0;
    const push = (s: string, end = false) => {
      parts.push(s);
      size += s.length;
      if (size >= 1 << 20 || end) {
        const text = parts.join('');
        if (text.length) sink(feed === 'interop' ? encodeLatin1(text) : enc.encode(text));
        parts = [];
        size = 0;
      }
    };
    if (feed === 'interop') {
      push(INTEROP_HEADER_LINE);
      for (const r of stmt.iterate('mssante', since, upto) as IterableIterator<{ alias: string; status: string; record: string }>) {
        push(interopLine(r.alias, r.status, parseNationalLine(r.record, 0), this.interopDomain));
        count++;
      }
      push('', true);
    } else {
      push(operatorFeedOpen({ mode, sinceRun: since, uptoRun: upto, generatedAt: new Date().toISOString(), nationalDomain: this.nationalDomain }));
      for (const r of stmt.iterate('legacy', since, upto) as IterableIterator<{ alias: string; status: string; record: string }>) {
        push(operatorFeedEntry(r.alias, r.status, parseLegacyLine(r.record, 0), this.nationalDomain, count === 0));
        count++;
      }
      push(operatorFeedClose(), true);
    }
    return { feed, mode, count, sinceRun: since, uptoRun: upto };
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
