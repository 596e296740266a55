/**
 * Opens the gateway's SQLite database (Node edge: better-sqlite3) in WAL mode and applies
 * the drizzle-kit migrations found in `drizzle/` (the address book's file: `drizzle-directory/`). A new database file is created mode 0600
 * (its folder 0700): it holds messages and patient data.
 *
 * @example
 * const { db, sqlite } = openDatabase('./var/passerelle.db');
 * db.select().from(messages).limit(1).all();
 */
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Db = BetterSQLite3Database<Record<string, never>>;

export interface OpenDatabaseOptions {
  /**
   * Synchronous mode of the connection. The gateway's store opens with `NORMAL` (a commit
   * survives a process crash) and raises it to `FULL` (survives power loss) around the
   * commits that must be durable before the sender is told 250.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** The migrations to apply (default: the message store's, `drizzle/`). */
  migrationsFolder?: string;
  /**
   * The page size of a file created by this open (SQLite's default, 4096, when absent). A
   * file that exists keeps its own: in WAL mode the size is fixed once the file is written.
   */
  pageSize?: number;
}

export const MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');
/** The address book's own file (and D1): its tables and search index only. */
export const DIRECTORY_MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle-directory');

export function openDatabase(path: string, opts: OpenDatabaseOptions = {}): { db: Db; sqlite: Database.Database } {
  if (path !== ':memory:') {
    mkdirSync(dirname(resolve(path)), { recursive: true, mode: 0o700 });
    // Created 0600 here: SQLite gives the -wal and -shm files the mode of the database file.
    closeSync(openSync(path, 'a', 0o600));
  }
  const sqlite = new Database(path);
  if (opts.pageSize) sqlite.pragma(`page_size = ${opts.pageSize}`);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite);
  migrate(db, { migrationsFolder: opts.migrationsFolder ?? MIGRATIONS_FOLDER });
  return { db, sqlite };
}
