/**
 * The engine-independent half of the address book's storage: what an import decides for each
 * line (insert, update, unchanged, rejected), the alias a new mailbox gets, which rows the
 * file no longer lists, the link of each legacy subscriber, the run's counters and issues, the
 * words of a search, the shape of the stats, and the feeds written in chunks. Each engine
 * (`storage/sqlite/directory.ts`, `storage/postgres/directory-store.ts`) runs the SQL these
 * decisions call for, so both answer the same for the same files.
 *
 * Web APIs only: no SQL here, no engine.
 *
 * @example
 * const plan = new NationalImportPlan(known, { taken, dedupe: 'memory' });
 * const w = plan.line(line, lineNo, run, counts, issues.add);
 * if (w?.op === 'insert') await insertRow(w); // the engine's statement
 */
import type { Route } from '../core/ports/route-resolver.js';
import type { NetworkId } from '../core/model/network.js';
import type { AddressConfidence, AddressConflict, AddressLookup, DirectoryIssue, ExportSummary, Feed, ImportOptions, ImportReport, LinkReport, SearchEntry } from '../core/ports/directory-store.js';
import { readLines, type LineReaderOptions, type TextEncoding } from './line-reader.js';
import { checkNationalHeader, parseNationalHead, parseNationalLine, nationalPartyKey, nationalDisplayName, nationalFileDate } from './national-format.js';
import { checkLegacyHeader, parseLegacyLine, legacyFileDate, legacyKind, legacyDisplayName, type LegacyRecord } from './legacy-format.js';
import { aliasBase, chooseAlias, foldText } from './alias.js';
import { HashedSet, KeySlots, keyHashes } from './hashed-set.js';
import { decideLink, linkKeys, type LinkInput, type NationalParty } from './linking.js';
import { hash53 } from './hash53.js';
import { DirectoryFormatError, StaleDirectoryFileError } from './errors.js';
import { interopLine, INTEROP_HEADER_LINE } from './interop-list.js';
import { operatorFeedOpen, operatorFeedEntry, operatorFeedClose } from './operator-feed.js';
import { encodeLatin1 } from './latin1.js';

/** Issues stored per run at most (all are counted). */
export const ISSUE_LIMIT = 1000;
/** Issues returned in an import's report at most. */
export const REPORT_ISSUES = 100;
/** Lines per transaction when the caller does not say. */
export const DEFAULT_BATCH_LINES = 20000;
/** National mailboxes read per party key when linking. */
export const LINK_PARTY_LIMIT = 20;
export const STATUS_OF_LEGACY: Record<string, Route['status']> = { A: 'active', S: 'suspended', R: 'removed' };
const ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export type ImportCounts = { lines: number; inserted: number; updated: number; unchanged: number; removed: number; rejected: number; skipped: number };

export const emptyCounts = (): ImportCounts => ({ lines: 0, inserted: 0, updated: 0, unchanged: 0, removed: 0, rejected: 0, skipped: 0 });

/** A mailbox row as both engines store it (`directory_mailboxes`). */
export interface MailboxInsert {
  op: 'insert';
  network: NetworkId;
  address: string;
  kind: string;
  status: Route['status'];
  alias: string;
  displayName: string;
  partyKey: string | null;
  record: string;
  hash: number;
  /** Line number in the file (for the duplicate issue should the engine find the address taken). */
  lineNo: number;
  /** Legacy: the subscriber's LOCAL was taken; the `alias-conflict` issue is due once the row is in. */
  clashOf?: string;
  /** National: the address's two key hashes (`keyHashes`), taken once by the plan (`saveInsert`). */
  key1?: number;
  key2?: number;
}

export interface MailboxUpdate {
  op: 'update';
  id: number;
  kind: string;
  status: Route['status'];
  displayName: string;
  /** National rows only: legacy rows keep the party key the link pass gave them. */
  partyKey?: string | null;
  record: string;
  hash: number;
}

export type MailboxWrite = MailboxInsert | MailboxUpdate;

/** The alias namespace as an import sees it: what is taken, and what this run gives. */
export interface AliasSpace {
  has(local: string): boolean;
  add(local: string): unknown;
  delete(local: string): unknown;
}

/**
 * Who finds an address listed twice (in the file, or already on the other network):
 * `engine` (its insert finds the unique address taken; it calls `confirm`), or `memory`
 * (every known address was registered with `registerAddress`: the plan decides alone and
 * `line` confirms its inserts itself).
 */
export type Dedupe = 'engine' | 'memory';

const duplicateIssue = (what: string, n: number, address: string): DirectoryIssue => ({
  kind: 'duplicate',
  line: n,
  address,
  detail: `line ${n}: ${what} listed twice in the file; the first line is kept`,
});

/** The common part of both plans: counters and the confirmation of inserts. */
abstract class ImportPlan {
  assigned = 0;
  conflicts = 0;
  /** Every address seen (a bulk load: the whole directory), as hashes. */
  protected readonly addresses = new HashedSet();

  constructor(
    protected readonly taken: AliasSpace,
    readonly dedupe: Dedupe,
  ) {}

  /** A known address (any network): with `memory` dedupe, a line listing it again is a duplicate. */
  registerAddress(address: string): void {
    this.addresses.add(address);
  }

  protected abstract readonly what: string;

  /** Whether an insert's address was free (`fresh`) or already there: counts and issues follow. */
  confirm(w: MailboxInsert, fresh: boolean, counts: ImportCounts, issue: (i: DirectoryIssue) => void): void {
    if (!fresh) {
      this.taken.delete(w.alias);
      counts.rejected++;
      issue(duplicateIssue(this.what, w.lineNo, w.address));
      return;
    }
    if (w.clashOf !== undefined) {
      this.conflicts++;
      issue({
        kind: 'alias-conflict',
        line: w.lineNo,
        address: w.address,
        detail: `LOCAL "${w.clashOf}" is already used in the alias namespace (another subscriber or an interop alias); the subscriber's gateway alias is "${w.alias}"`,
      });
    }
    counts.inserted++;
    this.assigned++;
  }

  /**
   * The line parsed, or null when it is rejected (counted, reported with its message). A
   * line holding a NUL character is rejected as such: no engine is asked to store one
   * (PostgreSQL's text cannot).
   */
  protected parsed<T>(parse: (line: string, n: number) => T, line: string, n: number, counts: ImportCounts, issue: (i: DirectoryIssue) => void): T | null {
    if (line.includes('\u0000')) return this.reject(n, `line ${n}: holds a NUL character`, counts, issue);
    try {
      return parse(line, n);
    } catch (e) {
      return this.reject(n, (e as Error).message, counts, issue);
    }
  }

  protected reject(n: number, detail: string, counts: ImportCounts, issue: (i: DirectoryIssue) => void): null {
    counts.rejected++;
    issue({ kind: 'rejected-line', line: n, detail });
    return null;
  }

  /** With `memory` dedupe: the insert is decided here (a duplicate is rejected, no write). */
  protected settle(w: MailboxInsert, counts: ImportCounts, issue: (i: DirectoryIssue) => void): MailboxInsert | null {
    if (this.dedupe === 'engine') return w;
    const fresh = !(w.key1 !== undefined && w.key2 !== undefined ? this.addresses.addKey(w.key1, w.key2) : this.addresses.add(w.address));
    this.confirm(w, fresh, counts, issue);
    return fresh ? w : null;
  }
}

/** What an engine knows of a mailbox before an import: id, address, line hash, status. */
export type KnownRow = [id: number, address: string, hash: number, status: string];

/**
 * A saved copy of the known national mailboxes, as an engine may keep it between imports
 * instead of reading every row again: four numbers a mailbox (the address's two hashes as
 * `keyHashes` gives them, the id, the line hash, or `-hash - 1` when the mailbox is removed).
 */
export const SAVED_ROW_NUMBERS = 4;

/** Receives the saved copy's rows (`NationalImportPlan.save`, `NationalImportPlan.saveInsert`). */
export type SavedRowSink = (h1: number, h2: number, id: number, lineHashOrRemoved: number) => void;

const scratchHashes = new Float64Array(2);

/**
 * One national import's decisions. Known national mailboxes are held in one typed array, in
 * the saved copy's layout (a full extraction is over a million lines); an unchanged line
 * costs a comparison of its address's hashes and a hash of the line.
 */
export class NationalImportPlan extends ImportPlan {
  protected readonly what = 'mailbox';
  /**
   * The known mailboxes, `SAVED_ROW_NUMBERS` numbers a slot: the two hashes of the address
   * (`keyHashes`), the id, the line's hash or `-hash - 1` when the mailbox is removed (an
   * update writes the new line's hash: active from now on).
   */
  private readonly rows: Float64Array;
  /** The slots, found by their address's hashes. */
  private readonly index: KeySlots;
  private readonly seen: Uint8Array;
  private slots = 0;
  /** The slots in the order this import saw them: the next saved copy's order, the file's. */
  private readonly order: Int32Array;
  private ordered = 0;
  /**
   * The slot the next line's mailbox is expected at. An extraction lists its mailboxes in
   * the order of the last one, which is the saved copy's: an unchanged line is found by
   * comparing the hashes at the cursor (memory read in sequence), the table of slots asked
   * only when it is not there (a random read of a table of millions of entries, ~0.4 µs).
   */
  private cursor = 0;

  /**
   * `total` is the count of known rows (the arrays are sized once): `known` now, or each by
   * `know`; or `saved`, a saved copy's rows, taken as they are (the plan writes into them).
   */
  constructor(total: number, known: Iterable<KnownRow>, taken: AliasSpace, dedupe: Dedupe, saved?: Float64Array) {
    super(taken, dedupe);
    this.rows = saved ?? new Float64Array(total * SAVED_ROW_NUMBERS);
    this.index = new KeySlots(total, this.rows, SAVED_ROW_NUMBERS);
    this.order = new Int32Array(total);
    this.seen = new Uint8Array(total);
    if (saved) for (; this.slots < total; this.slots++) this.index.add(this.slots);
    for (const r of known) this.know(r);
  }

  /** A plan whose known mailboxes come from a saved copy (`SAVED_ROW_NUMBERS` numbers a row). */
  static fromSaved(rows: Float64Array, taken: AliasSpace, dedupe: Dedupe): NationalImportPlan {
    return new NationalImportPlan(rows.length / SAVED_ROW_NUMBERS, [], taken, dedupe, rows);
  }

  /**
   * The known mailboxes as this import leaves them, to a saved copy: those it listed active
   * with their line's hash (updated by `line`), in the order it saw them, then the others,
   * removed.
   */
  save(sink: SavedRowSink): void {
    const { rows, seen, order } = this;
    const w = SAVED_ROW_NUMBERS;
    for (let k = 0; k < this.ordered; k++) {
      const i = order[k]! * w;
      sink(rows[i]!, rows[i + 1]!, rows[i + 2]!, rows[i + 3]!);
    }
    for (let s = 0; s < this.slots; s++) {
      if (seen[s]) continue;
      const i = s * w;
      const h = rows[i + 3]!;
      sink(rows[i]!, rows[i + 1]!, rows[i + 2]!, h < 0 ? h : -h - 1);
    }
  }

  /** A mailbox this import inserted (the engine gave it `id`), to the saved copy. */
  static saveInsert(sink: SavedRowSink, w: MailboxInsert, id: number): void {
    if (w.key1 !== undefined && w.key2 !== undefined) return sink(w.key1, w.key2, id, w.hash);
    keyHashes(w.address, scratchHashes);
    sink(scratchHashes[0]!, scratchHashes[1]!, id, w.hash);
  }

  /** How many national mailboxes the plan knows. */
  get knownCount(): number {
    return this.slots;
  }

  /**
   * The fast path on a line's keys (`line-keys.ts`: its address's two hashes and its own
   * hash, taken on its bytes before it is decoded, `readLines`' `keyed`): true when it is the
   * unchanged line of a known mailbox, not seen yet nor removed (counted, marked seen),
   * exactly as `line` would decide it; false hands the line to `line`.
   */
  unchangedKeys(keys: Float64Array, at: number, counts: ImportCounts): boolean {
    const h1 = keys[at + 2]!;
    if (h1 < 0) return false; // no ASCII address: the string path reads it
    const h2 = keys[at + 3]!;
    const rows = this.rows;
    const w = SAVED_ROW_NUMBERS;
    let i = this.cursor;
    if (i >= this.slots || rows[i * w] !== h1 || rows[i * w + 1] !== h2) i = this.index.find(h1, h2);
    if (i < 0) return false;
    this.cursor = i + 1;
    const hash = keys[at + 4]!;
    // Not valid UTF-8 (-1): the string path decodes it, and fails. A removed mailbox's number
    // is negative too: never a valid line's hash.
    if (hash < 0 || this.seen[i] || rows[i * w + 3] !== hash) return false;
    this.see(i);
    counts.lines++;
    counts.unchanged++;
    return true;
  }

  /** A known national mailbox (at most `total` of them, given to the constructor or here). */
  know(r: KnownRow): void {
    if (this.slots >= this.seen.length) throw new Error(`more known national mailboxes than the ${this.seen.length} counted`);
    const slot = this.slots++;
    const { rows } = this;
    const i = slot * SAVED_ROW_NUMBERS;
    keyHashes(r[1], scratchHashes);
    rows[i] = scratchHashes[0]!;
    rows[i + 1] = scratchHashes[1]!;
    rows[i + 2] = r[0];
    rows[i + 3] = r[3] === 'removed' ? -r[2] - 1 : r[2];
    this.index.add(slot);
  }

  /** The slot of the known mailbox of `address` (lower-cased), or -1. */
  private slotOf(address: string): number {
    keyHashes(address, scratchHashes);
    return this.index.find(scratchHashes[0]!, scratchHashes[1]!);
  }

  /** Marks the mailbox at `i` listed by this file. */
  private see(i: number): void {
    this.seen[i] = 1;
    this.order[this.ordered++] = i;
  }

  /** Decides one data line; null when nothing is to be written. */
  line(line: string, n: number, counts: ImportCounts, issue: (i: DirectoryIssue) => void): MailboxWrite | null {
    const { seen, rows } = this;
    const w = SAVED_ROW_NUMBERS;
    // Fast path: a known mailbox whose line did not change costs a lookup and a hash.
    if (this.slots > 0) {
      const p1 = line.indexOf('|');
      const p2 = p1 < 0 ? -1 : line.indexOf('|', p1 + 1);
      if (p2 > 0) {
        const i = this.slotOf(line.slice(p1 + 1, p2).trim().toLowerCase());
        if (i >= 0 && !seen[i] && rows[i * w + 3] === hash53(line)) {
          this.see(i);
          counts.unchanged++;
          return null;
        }
      }
    }
    const r = this.parsed(parseNationalHead, line, n, counts, issue);
    if (!r) return null;
    const kind = r.mailboxType;
    const address = r.address.trim().toLowerCase();
    if (kind !== 'PER' && kind !== 'ORG') return this.reject(n, `line ${n}: mailbox type must be PER or ORG, found "${kind.slice(0, 8)}"`, counts, issue);
    if (!ADDRESS.test(address)) return this.reject(n, `line ${n}: column 2 is not a mailbox address`, counts, issue);
    const hash = hash53(line);
    // The address's two hashes, once: the known mailboxes' slots, the set of this file's
    // addresses and the saved copy all take these.
    keyHashes(address, scratchHashes);
    const key1 = scratchHashes[0]!;
    const key2 = scratchHashes[1]!;
    const i = this.slots > 0 ? this.index.find(key1, key2) : -1;
    if (i >= 0) {
      if (seen[i]) {
        counts.rejected++;
        issue(duplicateIssue(this.what, n, address));
        return null;
      }
      this.see(i);
      if (rows[i * w + 3] === hash) {
        counts.unchanged++;
        return null;
      }
      counts.updated++;
      rows[i * w + 3] = hash; // what the mailbox holds from now on, active (`save`)
      return { op: 'update', id: rows[i * w + 2]!, kind, status: 'active', displayName: nationalDisplayName(r), partyKey: nationalPartyKey(r), record: line, hash };
    }
    const alias = chooseAlias(
      aliasBase({ kind, address, firstName: r.firstName, lastName: r.lastName, professionCode: r.professionCode, orgName: r.orgName, tradeName: r.tradeName, service: r.service }),
      address,
      this.taken,
    );
    const insert: MailboxInsert = {
      op: 'insert', network: 'mssante', address, kind, status: 'active', alias, displayName: nationalDisplayName(r), partyKey: nationalPartyKey(r), record: line, hash, lineNo: n,
      key1, key2,
    };
    return this.settle(insert, counts, issue);
  }

  /** Ids of the known mailboxes this file did not list (and not already removed): to mark removed. */
  *gone(): Generator<number> {
    const w = SAVED_ROW_NUMBERS;
    for (let s = 0; s < this.slots; s++) if (!this.seen[s] && this.rows[s * w + 3]! >= 0) yield this.rows[s * w + 2]!;
  }

  /** Frees what only the load needed. */
  release(): void {
    this.index.clear();
    this.addresses.clear();
  }
}

/** One legacy import's decisions: a subscriber's LOCAL is its alias on the national domain. */
export class LegacyImportPlan extends ImportPlan {
  protected readonly what = 'subscriber';
  private readonly known = new Map<string, { id: number; hash: number; status: string; seen: boolean }>();
  private readonly interopSuffix: string;

  constructor(known: Iterable<KnownRow>, taken: AliasSpace, dedupe: Dedupe, interopDomain: string) {
    super(taken, dedupe);
    for (const r of known) this.know(r);
    this.interopSuffix = `@${interopDomain}`;
  }

  /** A known legacy subscriber (given to the constructor, or here). */
  know(r: KnownRow): void {
    this.known.set(r[1], { id: r[0], hash: r[2], status: r[3], seen: false });
  }

  /** Decides one data line; null when nothing is to be written. */
  line(line: string, n: number, counts: ImportCounts, issue: (i: DirectoryIssue) => void): MailboxWrite | null {
    const r = this.parsed(parseLegacyLine, line, n, counts, issue);
    if (!r) return null;
    // The gateway's own entries (its interop zone), as the legacy network lists them back.
    if (r.address.endsWith(this.interopSuffix)) {
      counts.skipped++;
      return null;
    }
    const hash = hash53(line);
    const status = STATUS_OF_LEGACY[r.status];
    const k = this.known.get(r.address);
    if (k) {
      if (k.seen) {
        counts.rejected++;
        issue(duplicateIssue(this.what, n, r.address));
        return null;
      }
      k.seen = true;
      if (k.hash === hash && k.status === status) {
        counts.unchanged++;
        return null;
      }
      counts.updated++;
      return { op: 'update', id: k.id, kind: legacyKind(r), status, displayName: legacyDisplayName(r), record: line, hash };
    }
    // The subscriber's LOCAL is its alias, unless already taken (an anomaly: reported, and the
    // subscriber gets a suffix derived from its own address).
    const local = r.address.slice(0, r.address.lastIndexOf('@'));
    let alias = local;
    const clash = this.taken.has(local);
    if (clash) alias = chooseAlias(local, r.address, this.taken);
    else this.taken.add(local);
    const w: MailboxInsert = {
      op: 'insert', network: 'legacy', address: r.address, kind: legacyKind(r), status, alias, displayName: legacyDisplayName(r),
      partyKey: linkKeys({ kind: legacyKind(r), ...r })[0] ?? null, record: line, hash, lineNo: n,
    };
    if (clash) w.clashOf = local;
    return this.settle(w, counts, issue);
  }

  /** Ids of the known subscribers this file did not list (and not already removed). */
  *gone(): Generator<number> {
    for (const k of this.known.values()) if (!k.seen && k.status !== 'removed') yield k.id;
  }

  release(): void {
    this.known.clear();
    this.addresses.clear();
  }
}

// ---------------------------------------------------------------- resolve

export interface Domains {
  /** `interop.` + the legacy network's domain: national mailboxes' aliases. */
  interopDomain: string;
  /** The gateway's national domain: legacy subscribers' aliases. */
  nationalDomain: string;
}

/**
 * What an address the gateway serves designates: the LOCAL to look up in the alias namespace
 * and the network its mailbox must be on (an `interop` alias → a national mailbox; an address
 * on the gateway's national domain → a legacy subscriber). Null for any other address.
 */
export function aliasLookup(address: string, d: Domains): { local: string; network: NetworkId } | null {
  const a = address.trim().toLowerCase();
  const at = a.lastIndexOf('@');
  if (at <= 0) return null;
  const domain = a.slice(at + 1);
  if (domain === d.interopDomain) return { local: a.slice(0, at), network: 'mssante' };
  if (domain === d.nationalDomain) return { local: a.slice(0, at), network: 'legacy' };
  return null;
}

/** The route of a looked-up row, or null when the alias is held by the other network's mailbox. */
export function routeOf(want: NetworkId, row: { network: string; address: string; status: Route['status']; displayName: string | null } | undefined): Route | null {
  if (!row || row.network !== want) return null;
  const route: Route = { network: want, address: row.address, status: row.status };
  if (row.displayName) route.displayName = row.displayName;
  return route;
}

/** The full alias of a mailbox of `network` holding `local`. */
export function aliasAddress(local: string, network: NetworkId, d: Domains): string {
  return network === 'mssante' ? `${local}@${d.interopDomain}` : `${local}@${d.nationalDomain}`;
}

// ---------------------------------------------------------------- run frame

/** How each source's file is read: its text encoding, the date in its name, its header. */
export const SOURCES: Record<'national' | 'legacy', { network: NetworkId; encoding: TextEncoding; fileDate: (name: string) => string | null; checkHeader: (line: string) => void }> = {
  national: { network: 'mssante', encoding: 'utf-8', fileDate: nationalFileDate, checkHeader: checkNationalHeader },
  legacy: { network: 'legacy', encoding: 'iso-8859-1', fileDate: legacyFileDate, checkHeader: checkLegacyHeader },
};

/** Refuses a file older than the last one imported from the same source, unless forced. */
export function checkFileDate(fileDate: string | null, lastDate: string | null, force?: boolean): void {
  if (!fileDate || force) return;
  if (lastDate && fileDate < lastDate) throw new StaleDirectoryFileError(fileDate, lastDate);
}

/** The file an import reads: its name and the date in it (checked against the last import's). */
export function importFile(source: 'national' | 'legacy', opts: ImportOptions, lastDate: string | null): { fileName: string | null; fileDate: string | null } {
  const fileName = opts.fileName ?? null;
  const file = { fileName, fileDate: fileName ? SOURCES[source].fileDate(fileName) : null };
  checkFileDate(file.fileDate, lastDate, opts.force);
  return file;
}

/** The issues of a run: all counted, the first `ISSUE_LIMIT` stored (`store`), the first 100 reported. */
export class IssueLog {
  count = 0;
  readonly first: DirectoryIssue[] = [];
  constructor(private readonly store: (i: DirectoryIssue) => void) {}
  readonly add = (i: DirectoryIssue): void => {
    this.count++;
    if (this.first.length < REPORT_ISSUES) this.first.push(i);
    if (this.count <= ISSUE_LIMIT) this.store(i);
  };
}

/**
 * Reads a directory file (text or ZIP) line by line and hands its data lines to `flush` in
 * batches of `batchLines` (the header is checked first; `firstLineNo` is the line number
 * before the batch's first line). The file's name and date come from the options, or from
 * the ZIP entry's name (checked against `lastDate` then).
 */
export async function readBatches(
  input: AsyncIterable<Uint8Array>,
  opts: ImportOptions,
  source: 'national' | 'legacy',
  lastDate: string | null,
  file: { fileName: string | null; fileDate: string | null },
  flush: (lines: string[], firstLineNo: number) => void | Promise<void>,
  /** Lines taken on their keys, never decoded (`readLines`' `keyed`): they come as empty strings. */
  keyed?: LineReaderOptions['keyed'],
  /** The runtime's UTF-8 decoder (`DirectoryConfig.decodeUtf8`; `readLines`' `utf8`). */
  utf8?: LineReaderOptions['utf8'],
): Promise<void> {
  const spec = SOURCES[source];
  let headerChecked = false;
  let lineNo = 0;
  let bufferStart = 0;
  let buffer: string[] = [];
  const batchLines = opts.batchLines ?? DEFAULT_BATCH_LINES;
  for await (const lines of readLines(input, {
    encoding: spec.encoding,
    onEntryName: (name) => {
      const d = spec.fileDate(name);
      if (d && !file.fileDate) {
        file.fileName = name;
        file.fileDate = d;
        checkFileDate(d, lastDate, opts.force);
      }
    },
    onBytes: opts.onProgress,
    ...(keyed && { keyed }),
    ...(utf8 && { utf8 }),
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
      await flush(buffer, bufferStart);
      bufferStart = lineNo;
      buffer = [];
    }
  }
  if (!headerChecked) throw new DirectoryFormatError(`the ${source} directory file is empty (no header line)`);
  if (buffer.length) await flush(buffer, bufferStart);
}

/** Runs `each` on every non-empty line of a batch, counting them. */
export function eachLine(lines: string[], firstLineNo: number, counts: ImportCounts, each: (line: string, n: number) => void): void {
  let n = firstLineNo;
  for (const line of lines) {
    n++;
    if (line.length === 0) continue;
    counts.lines++;
    each(line, n);
  }
}

/** The run's counters as stored in `directory_imports.counts` (JSON). */
export function runCounts(counts: ImportCounts, plan: { assigned: number; conflicts: number }, link: LinkReport, issues: IssueLog) {
  return { ...counts, aliasesAssigned: plan.assigned, aliasConflicts: plan.conflicts, link, issues: issues.count };
}

export function importReport(
  run: number,
  source: 'national' | 'legacy',
  file: { fileName: string | null; fileDate: string | null },
  counts: ImportCounts,
  plan: { assigned: number; conflicts: number },
  link: LinkReport,
  issues: IssueLog,
  elapsedMs: number,
): ImportReport {
  return {
    run,
    source,
    fileName: file.fileName,
    fileDate: file.fileDate,
    ...counts,
    aliasesAssigned: plan.assigned,
    aliasConflicts: plan.conflicts,
    link,
    issueCount: issues.count,
    issues: issues.first,
    elapsedMs: Math.round(elapsedMs),
  };
}

// ---------------------------------------------------------------- linking

export interface LegacyLinkRow {
  id: number;
  address: string;
  record: string;
  partyKey: string | null;
  linkState: string | null;
  linkNote: string | null;
}

/** What linking reads of a stored legacy line, or null when it no longer parses. */
function legacyLinkInput(record: string): LinkInput | null {
  let r: LegacyRecord;
  try {
    r = parseLegacyLine(record, 0);
  } catch {
    return null;
  }
  return { kind: legacyKind(r), rpps: r.rpps, adeli: r.adeli, finess: r.finess, lastName: r.lastName };
}

/** The candidate party keys of a stored legacy line (none when it no longer parses). */
export function legacyLinkKeys(record: string): string[] {
  const input = legacyLinkInput(record);
  return input ? linkKeys(input) : [];
}

const LINK_STATES = new Set(['linked', 'unlinked', 'ambiguous']);

/**
 * Whether a legacy subscriber keeps the link it has, after a national import that wrote only
 * national mailboxes of the party keys `touched` (their keys before and after): a link
 * depends on nothing else than the national lines stored under the subscriber's own keys,
 * so when none of them is touched, its stored decision stands and is counted in `rep`, as
 * `planLink` would; `ambiguous` is then called: its ambiguity is to be reported again. False:
 * decide it again (`planLink`).
 */
export function keptLink(row: Pick<LegacyLinkRow, 'record' | 'linkState'>, touched: ReadonlySet<string>, rep: LinkReport, ambiguous: () => void): boolean {
  if (row.linkState === null || !LINK_STATES.has(row.linkState)) return false;
  const input = legacyLinkInput(row.record);
  if (!input) return true; // as `planLink`: a line that no longer parses is neither counted nor changed
  for (const key of linkKeys(input)) {
    if (touched.has(key)) return false;
  }
  rep[row.linkState as 'linked' | 'unlinked' | 'ambiguous']++;
  if (row.linkState === 'ambiguous') ambiguous();
  return true;
}

/**
 * The link of one legacy subscriber, given the national lines stored under each of its keys
 * (`nationalRecords(key)`, at most `LINK_PARTY_LIMIT`). Counts it in `rep`, reports an
 * ambiguity, and returns the columns to write when they change (else null).
 */
export function planLink(
  row: LegacyLinkRow,
  nationalRecords: (key: string) => string[],
  rep: LinkReport,
  issue: (i: DirectoryIssue) => void,
): { partyKey: string | null; state: string; note: string | null } | null {
  const input = legacyLinkInput(row.record);
  if (!input) return null;
  const found: NationalParty[] = [];
  for (const key of linkKeys(input)) {
    const recs = nationalRecords(key);
    if (recs.length) found.push({ key, lastNames: recs.map((x) => x.split('|')[9] ?? '').filter((x) => x.length > 0) });
  }
  const d = decideLink(input, found);
  const note = d.state === 'ambiguous' ? d.note : null;
  rep[d.state]++;
  if (d.state === 'ambiguous') issue({ kind: 'ambiguous-link', address: row.address, detail: `not linked: ${d.note}` });
  if (d.partyKey !== row.partyKey || d.state !== row.linkState || note !== row.linkNote) {
    rep.changed++;
    return { partyKey: d.partyKey, state: d.state, note };
  }
  return null;
}

export const emptyLinkReport = (): LinkReport => ({ linked: 0, unlinked: 0, ambiguous: 0, changed: 0 });

// ---------------------------------------------------------------- search, stats

/** The folded words of a search (at most 6); none: no search. */
export function searchWords(query: string): string[] {
  return foldText(query)
    .split(/[\s,;|]+/)
    .filter((w) => w.length > 0)
    .slice(0, 6);
}

export interface MemberRow {
  network: string;
  address: string;
  alias: string | null;
  status: Route['status'];
  link_state: string | null;
  display_name: string | null;
  /** The run that last changed the row (for a removed one: the run that removed it). */
  change_run: number;
}

/** Columns of a `MemberRow`, for both engines' SELECTs. */
export const MEMBER_COLUMNS = 'network, address, alias, status, link_state, display_name, change_run';

/**
 * The search terms of a query for an index: each word folded (as `foldText`) and cut into the
 * letters-and-digits tokens an index holds (`jean.dupont` → `jean`, `dupont`); a word's tokens
 * follow each other, its last one is a prefix. At most six words.
 */
export function searchTerms(query: string): string[][] {
  return searchWords(query)
    .map((w) => w.split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0))
    .filter((t) => t.length > 0);
}

/** PostgreSQL `to_tsquery('simple', …)`: each word's tokens followed by each other (`<->`), the last a prefix (`:*`). */
export function tsQuery(terms: string[][]): string {
  return terms.map((t) => `(${t.map((x, k) => `'${x}'${k === t.length - 1 ? ':*' : ''}`).join(' <-> ')})`).join(' & ');
}

/** A finished import, for freshness. */
export interface RunRow {
  id: number;
  source: string;
  file_date: string | null;
  finished_at: number;
}

/** Finished imports, for both engines. */
export const FINISHED_RUNS = 'SELECT id, source, file_date, finished_at FROM directory_imports WHERE finished_at IS NOT NULL ORDER BY id';

/**
 * The confidence of mailbox `m` among its party's mailboxes `all` (`runs`: the finished
 * imports in id order). Freshness needs no write per line: every import marks what its file
 * no longer lists as removed, so a mailbox still listed was seen by the last finished import
 * of its source, and a removed one by the last one before the run that removed it.
 */
export function confidenceOf(m: MemberRow, all: MemberRow[], runs: RunRow[]): AddressConfidence {
  const source = m.network === 'mssante' ? 'national' : 'legacy';
  const linked = all.some((o) => o.network === 'legacy' && o.link_state === 'linked') && all.some((o) => o.network === 'mssante');
  const removed = m.status === 'removed';
  let seen: RunRow | null = null;
  for (const r of runs) if (r.source === source && (!removed || r.id < Number(m.change_run))) seen = r;
  const conflicts: AddressConflict[] = [];
  if (removed) conflicts.push({ kind: 'removed', run: Number(m.change_run) });
  else {
    for (const o of all) {
      if (o.address === m.address) continue;
      if (o.network === m.network) {
        if (o.status === 'active') conflicts.push({ kind: 'several-addresses', address: o.address });
      } else if (linked && o.status === 'suspended') conflicts.push({ kind: 'suspended-elsewhere', address: o.address });
      else if (linked && o.status === 'removed') conflicts.push({ kind: 'removed-elsewhere', address: o.address });
    }
  }
  return {
    source: linked && (m.network === 'mssante' || m.link_state === 'linked') ? 'linked' : source,
    lastSeen: seen && { run: Number(seen.id), fileDate: seen.file_date, importedAt: Number(seen.finished_at) },
    conflicts,
  };
}

/** A lookup answer: the route, and the confidence of its target among the party's mailboxes. */
export function lookupOf(route: Route, target: MemberRow & { party_key: string | null }, party: MemberRow[], runs: RunRow[]): AddressLookup {
  const all = party.length ? party : [target];
  return { ...route, partyKey: target.party_key, confidence: confidenceOf(target, all, runs) };
}

/**
 * The entries a search shows, from its hits in order: one per party key (its mailboxes on
 * both networks are read with it), one per mailbox without a key (an ambiguous legacy
 * subscriber stays an entry of its own); at most `limit`.
 */
export function pickEntries(hits: Array<{ id: number; party_key: string | null }>, limit: number): Array<{ id: number; partyKey: string | null }> {
  const picked: Array<{ id: number; partyKey: string | null }> = [];
  const parties = new Set<string>();
  for (const r of hits) {
    if (picked.length >= limit) break;
    if (r.party_key) {
      if (parties.has(r.party_key)) continue;
      parties.add(r.party_key);
    }
    picked.push({ id: r.id, partyKey: r.party_key });
  }
  return picked;
}

/** One search entry from its mailbox rows (aliases written in full). */
export function searchEntry(partyKey: string | null, mbs: MemberRow[], domains: Domains, runs: RunRow[]): SearchEntry {
  return {
    partyKey,
    name: mbs[0]?.display_name ?? '',
    mailboxes: mbs.map((m) => ({
      network: m.network as NetworkId,
      address: m.address,
      alias: m.alias ? aliasAddress(m.alias, m.network as NetworkId, domains) : null,
      status: m.status,
      linkState: m.link_state,
      confidence: confidenceOf(m, mbs, runs),
    })),
  };
}

/** `stats().mailboxes` from counts grouped by network, kind and status. */
export function mailboxCounts(rows: Iterable<{ network: string; kind: string; status: string; n: number }>): Record<string, Record<string, number>> {
  const mailboxes: Record<string, Record<string, number>> = {};
  for (const r of rows) {
    const m = (mailboxes[r.network] ??= {});
    m[r.status] = (m[r.status] ?? 0) + r.n;
    m[r.kind] = (m[r.kind] ?? 0) + r.n;
    m.total = (m.total ?? 0) + r.n;
  }
  return mailboxes;
}

/** `stats().links` from legacy counts grouped by link state. */
export function linkCounts(rows: Iterable<{ link_state: string | null; n: number }>): Record<string, number> {
  const links: Record<string, number> = {};
  for (const r of rows) links[r.link_state ?? 'none'] = r.n;
  return links;
}

// ---------------------------------------------------------------- exports

/** The network whose rows a feed lists. */
export const FEED_NETWORK: Record<Feed, NetworkId> = { interop: 'mssante', operator: 'legacy' };

/**
 * Writes a feed in chunks of about 1 MiB: `interop` (ISO-8859-1, CRLF, SPEC §7) or `operator`
 * (FHIR-shaped JSON). `open`, then each row in alias order, then `end`: each returns a chunk
 * to hand to the sink when one is full (else null), so that a synchronous reader and an
 * asynchronous one share it.
 */
export class FeedWriter {
  count = 0;
  private parts: string[] = [];
  private size = 0;
  private readonly enc = new TextEncoder();

  constructor(
    readonly feed: Feed,
    readonly mode: 'full' | 'diff',
    readonly sinceRun: number,
    readonly uptoRun: number,
    private readonly domains: Domains,
  ) {}

  private push(s: string, end = false): Uint8Array | null {
    this.parts.push(s);
    this.size += s.length;
    if (this.size < 1 << 20 && !end) return null;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!text.length) return null;
    return this.feed === 'interop' ? encodeLatin1(text) : this.enc.encode(text);
  }

  /** The feed's opening (`generatedAt` an ISO time). */
  open(generatedAt: string): Uint8Array | null {
    if (this.feed === 'interop') return this.push(INTEROP_HEADER_LINE);
    return this.push(operatorFeedOpen({ mode: this.mode, sinceRun: this.sinceRun, uptoRun: this.uptoRun, generatedAt, nationalDomain: this.domains.nationalDomain }));
  }

  row(alias: string, status: string, record: string): Uint8Array | null {
    const first = this.count === 0;
    this.count++;
    if (this.feed === 'interop') return this.push(interopLine(alias, status, parseNationalLine(record, 0), this.domains.interopDomain));
    return this.push(operatorFeedEntry(alias, status, parseLegacyLine(record, 0), this.domains.nationalDomain, first));
  }

  /** The last chunk. */
  end(): Uint8Array | null {
    return this.push(this.feed === 'interop' ? '' : operatorFeedClose(), true);
  }

  summary(): ExportSummary {
    return { feed: this.feed, mode: this.mode, count: this.count, sinceRun: this.sinceRun, uptoRun: this.uptoRun };
  }
}

// ---------------------------------------------------------------- publication

/** Columns of a `PublishedMailbox`, for every engine's SELECT. */
export const PUBLISHED_MAILBOX_COLUMNS = `id, network, address, kind, status, alias, display_name AS "displayName", party_key AS "partyKey", link_state AS "linkState",
  link_note AS "linkNote", record, line_hash AS "lineHash", first_run AS "firstRun", change_run AS "changeRun"`;
/** Columns of a `PublishedRun`. */
export const PUBLISHED_RUN_COLUMNS = `id, source, file_name AS "fileName", file_date AS "fileDate", started_at AS "startedAt", finished_at AS "finishedAt", counts`;
