/**
 * The address book's own SQLite file, beside the message store's: `var/passerelle.db` keeps
 * messages, `var/passerelle.directory.db` the directory (migrations `drizzle-directory/`, the
 * same tables as D1). Two files, two write locks: an import of a million lines never holds
 * the lock the message store commits under, and the directory can be copied, rebuilt or
 * published without touching patient data.
 *
 * Before this split the directory lived in the message store's file. The first open of a new
 * directory file next to such a database takes its rows (aliases are never reassigned: they
 * must survive the move), builds the search index, and empties the old tables.
 *
 * @example
 * const sqlite = openDirectoryDatabase(directoryFileFor('./var/passerelle.db'), { adoptFrom: './var/passerelle.db' });
 */
import type Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { openDatabase, DIRECTORY_MIGRATIONS_FOLDER } from './database.js';
import { searchWords } from '../../directory/search-text.js';
import type { SearchSideBuilder } from './search-side-file.js';

/** Where the address book of the message database `database` lives (`x.db` → `x.directory.db`). */
export function directoryFileFor(database: string): string {
  if (database === ':memory:') return database;
  const ext = extname(database);
  return join(dirname(database), `${basename(database, ext)}.directory${ext || '.db'}`);
}

/** Tables moved from the message store's file, in an order that keeps their ids. */
const MOVED = [
  ['directory_imports', 'id, source, file_name, file_date, started_at, finished_at, counts'],
  ['directory_mailboxes', 'id, network, address, kind, status, alias, display_name, party_key, link_state, link_note, record, line_hash, first_run, change_run'],
  ['directory_issues', 'id, run, kind, line, address, detail'],
  ['directory_exports', 'feed, last_run, exported_at, count'],
] as const;

export interface OpenDirectoryOptions {
  /** The message store's file, which held the directory before the split: its rows are taken once. */
  adoptFrom?: string;
  /** Builds a first load's search index beside the import (`search-side-file.ts`; the Node runtime's on a thread). */
  searchSide?: SearchSideBuilder;
  /**
   * An import's commit leaves its write-ahead log for the connection's owner to fold into the
   * file (`Directory.checkpoint`) once the report is out, instead of folding it before it
   * returns (the import thread: `app/node/directory-import-thread.ts`).
   */
  deferCheckpoint?: boolean;
}

/**
 * The address book's page size, for a file created now. A first load of 1,000,000 lines
 * writes some 600 MB of rows and indexes in one transaction: with 8 KB pages instead of 4 KB
 * it measured 16.8–18.0 → 15.7–15.8 s, alternating. 16 KB gained no more there and cost a 1 %
 * re-import half a second (2.4 → 3.0 s: its scattered updates write whole pages, twice with
 * the WAL); 8 KB left it as it was (docs/directory.md, Performance).
 */
export const DIRECTORY_PAGE_SIZE = 8192;

/** Opens (creates, migrates) the address book's file; takes the rows of an older layout once. */
export function openDirectoryDatabase(path: string, opts: OpenDirectoryOptions = {}): Database.Database {
  const { sqlite } = openDatabase(path, { migrationsFolder: DIRECTORY_MIGRATIONS_FOLDER, pageSize: DIRECTORY_PAGE_SIZE });
  if (opts.adoptFrom && opts.adoptFrom !== path && existsSync(opts.adoptFrom)) adoptOldDirectory(sqlite, opts.adoptFrom);
  if (searchIndexMissing(sqlite)) rebuildSearchIndex(sqlite);
  return sqlite;
}

/**
 * Whether the mailboxes have no search words: a migration made the search table anew
 * (`drizzle-directory/0003`), or rows arrived without it. Every mailbox row has its words
 * otherwise (written in the transaction that writes the row).
 */
function searchIndexMissing(sqlite: Database.Database): boolean {
  return (
    sqlite.prepare(`SELECT 1 FROM directory_search_docsize LIMIT 1`).get() === undefined &&
    sqlite.prepare(`SELECT 1 FROM directory_mailboxes LIMIT 1`).get() !== undefined
  );
}

/** Rebuilds the search index from the mailboxes (after rows arrived without it). */
export function rebuildSearchIndex(sqlite: Database.Database): void {
  const put = sqlite.prepare(`INSERT INTO directory_search (rowid, words) VALUES (?, ?)`);
  const page = sqlite.prepare(`SELECT id, network, record, alias FROM directory_mailboxes WHERE id > ? ORDER BY id LIMIT 10000`).raw();
  sqlite.transaction(() => {
    sqlite.exec(`DELETE FROM directory_search`);
    for (let after = 0; ; ) {
      const rows = page.all(after) as Array<[number, string, string, string | null]>;
      for (const [id, network, record, alias] of rows) put.run(id, searchWords(network, record, alias));
      if (rows.length < 10000) break;
      after = rows[rows.length - 1][0];
    }
  })();
}

function adoptOldDirectory(sqlite: Database.Database, from: string): void {
  const empty = sqlite.prepare(`SELECT (SELECT count(*) FROM directory_imports) + (SELECT count(*) FROM directory_mailboxes)`).pluck().get() === 0;
  if (!empty) return;
  sqlite.prepare(`ATTACH DATABASE ? AS old`).run(from);
  try {
    const has = sqlite.prepare(`SELECT count(*) FROM old.sqlite_master WHERE type = 'table' AND name = 'directory_imports'`).pluck().get() === 1;
    if (!has) return;
    const rows = sqlite.prepare(`SELECT (SELECT count(*) FROM old.directory_imports) + (SELECT count(*) FROM old.directory_mailboxes)`).pluck().get() as number;
    if (rows === 0) return;
    sqlite.transaction(() => {
      for (const [table, cols] of MOVED) sqlite.exec(`INSERT INTO main.${table} (${cols}) SELECT ${cols} FROM old.${table}`);
    })();
    rebuildSearchIndex(sqlite);
    // Taken: the old tables are emptied (their schema stays, as the message store's migrations made it).
    sqlite.transaction(() => {
      for (const [table] of [...MOVED].reverse()) sqlite.exec(`DELETE FROM old.${table}`);
    })();
  } finally {
    sqlite.exec(`DETACH DATABASE old`);
  }
}
