/**
 * A first load's search index built beside the import, in a file of its own, then adopted
 * by the address book in the import's transaction (docs/directory.md, "National import").
 *
 * Writing a million rows' words into FTS5 is about a third of a first national load; on the
 * import's thread it comes on top of the rows, their indexes and the aliases. With a builder
 * (`OpenDirectoryOptions.searchSide`; the Node runtime's runs on a worker thread), the import
 * hands its new rows over (ids, source lines, aliases: the builder makes their words with
 * `searchWords`, off the import's thread) and goes on; the builder fills an FTS5 table of the
 * same definition in its scratch file meanwhile. At the end, inside the import's transaction,
 * the address book's search table is dropped and created anew (a fresh FTS5 table caches
 * nothing of the old one's structure), the side table's index shadow tables (`_data`, `_idx`,
 * `_docsize`) are copied into the new one's and its settings (`_config`, the `hashsize`
 * the migration set) put back: the same SQLite, the same definition,
 * so the same format. The copy is one commit with the rows: a crash leaves neither.
 *
 * Only for a load into an address book without any mailbox (its search index empty): the
 * side index then holds every row there is.
 */
import Database from 'better-sqlite3';
import { searchWords } from '../../directory/search-text.js';

/** One side build: batches in rising id order, then `finish` (the file complete and closed). */
export interface SearchSideBuild {
  /** Rows of one network: their ids, source lines and aliases (the builder makes their words, `searchWords`). */
  add(ids: number[], network: string, records: string[], aliases: Array<string | null>): void;
  /** Resolves once the builder has caught up enough for another batch (memory bounded). */
  ready(): Promise<void>;
  finish(): Promise<void>;
  /** Stops (after the batch in hand), the file left to the caller to remove; resolves once stopped. */
  abort(): Promise<void>;
}

/** Starts a side build into `path` (created), for an FTS5 table `definition` (its `CREATE VIRTUAL TABLE` text). */
export type SearchSideBuilder = (path: string, definition: string) => SearchSideBuild;

/** The name of the side file's table (its shadow tables: `search_side_data`, …). */
const SIDE_TABLE = 'search_side';
/**
 * The shadow tables that hold an FTS5 index (contentless, with `contentless_delete`); the
 * fourth, `_config`, keeps the address book's own settings (its `hashsize`).
 */
const INDEX_SHADOWS = ['data', 'idx', 'docsize'] as const;
/** The side table's in-memory term table (the address book's is 16 MB: here 4 gained as much, in less memory). */
const SIDE_HASH_BYTES = 4 << 20;
/**
 * Segments of one level the side table merges at a time (FTS5's `automerge`): the address
 * book's own setting (migration 0005), so that the index it adopts is one its next writes
 * leave as it is. A first load's index is written as some thirty segments, one a flush of the
 * term table; merged four at a time (FTS5's default), most of it was rewritten twice: eight
 * at a time, a million rows' words 6.7–7.2 → 5.8–6.1 s of CPU (alternating, same process).
 */
export const SIDE_AUTOMERGE = 8;
/** The schema name the side file is attached under during the import. */
export const SIDE_SCHEMA = 'search_side_file';

/** The address book's search table's definition, for a side build (`sqlite_master`'s text). */
export function searchTableDefinition(db: Database.Database): string {
  return db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'directory_search'`).pluck().get() as string;
}

/** `CREATE VIRTUAL TABLE … directory_search USING fts5(…)` → the same table under another name. */
function renamed(definition: string, name: string): string {
  const out = definition.replace(/^CREATE VIRTUAL TABLE\s+[`"']?directory_search[`"']?\s+USING/i, `CREATE VIRTUAL TABLE ${name} USING`);
  if (out === definition) throw new Error('search side file: not the search table definition');
  return out;
}

/**
 * The builder's work, on whatever thread runs it: the FTS5 table in the scratch file (no
 * journal, no sync: a file nobody reads until it is complete), its rows in one transaction.
 *
 * @example
 * const b = writeSearchSideFile('/var/lib/passerelle/dir.db.search-side', searchTableDefinition(db));
 * b.add([1, 2], 'mssante', [line1, line2], ['jean.dupont.med', null]);
 * b.finish();
 */
export function writeSearchSideFile(path: string, definition: string): { add(ids: ArrayLike<number>, network: string, records: string[], aliases: Array<string | null>): void; finish(): void; abort(): void } {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -2048');
    db.exec(renamed(definition, SIDE_TABLE));
    // As the migration does for the address book's table: a large in-memory term table, flushed rarely.
    db.exec(`INSERT INTO ${SIDE_TABLE} (${SIDE_TABLE}, rank) VALUES ('hashsize', ${SIDE_HASH_BYTES})`);
    db.exec(`INSERT INTO ${SIDE_TABLE} (${SIDE_TABLE}, rank) VALUES ('automerge', ${SIDE_AUTOMERGE})`);
    db.exec('BEGIN');
  } catch (err) {
    db.close();
    throw err;
  }
  const put = db.prepare(`INSERT INTO ${SIDE_TABLE} (rowid, words) VALUES (?, ?)`);
  return {
    add(ids, network, records, aliases) {
      for (let i = 0; i < ids.length; i++) put.run(ids[i], searchWords(network, records[i]!, aliases[i]!));
    },
    finish() {
      db.exec('COMMIT');
      db.close();
    },
    abort() {
      if (db.open) db.close();
    },
  };
}

/** A builder on the caller's thread (tests; a runtime without threads gains nothing from it). */
export const inThreadSearchSide: SearchSideBuilder = (path, definition) => {
  const w = writeSearchSideFile(path, definition);
  return { add: (ids, network, records, aliases) => w.add(ids, network, records, aliases), ready: async () => undefined, finish: async () => w.finish(), abort: async () => w.abort() };
};

/**
 * Inside the import's transaction, the side file attached as `SIDE_SCHEMA`: the search table
 * made anew, given the side table's index and its own settings back.
 */
export function adoptSearchSideFile(db: Database.Database, definition: string): void {
  // As stored (integers as BigInt, so that they are bound back as integers: FTS5 checks the type).
  const settings = db.prepare(`SELECT k, v FROM directory_search_config`).raw().safeIntegers(true).all() as [string, unknown][];
  db.exec('DROP TABLE directory_search');
  db.exec(definition);
  // Shadow tables are read-only to SQL in SQLite's defensive mode (better-sqlite3's default):
  // off for the copy alone.
  db.unsafeMode(true);
  try {
    for (const s of INDEX_SHADOWS) {
      db.exec(`DELETE FROM directory_search_${s}`);
      db.exec(`INSERT INTO directory_search_${s} SELECT * FROM ${SIDE_SCHEMA}.${SIDE_TABLE}_${s}`);
    }
    db.exec(`DELETE FROM directory_search_config`);
    const put = db.prepare(`INSERT INTO directory_search_config (k, v) VALUES (?, ?)`);
    for (const [k, v] of settings) put.run(k, v);
  } finally {
    db.unsafeMode(false);
  }
}
