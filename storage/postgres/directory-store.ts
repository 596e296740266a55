/**
 * PLACEHOLDER (issue 12): the address book on PostgreSQL is being written on another branch
 * (`PostgresDirectoryStore implements DirectoryStore`, `static async open(url, config, { schema })`).
 * This stub only fixes the call that `app/node/open-storage.ts` makes; until the real file
 * replaces it, `open-storage.ts` keeps the address book in SQLite (see `PG_DIRECTORY` there).
 */
import type { DirectoryConfig, DirectoryStore } from '../../core/ports/directory-store.js';

export class PostgresDirectoryStore {
  static async open(_url: string, _config: DirectoryConfig, _opts: { schema?: string } = {}): Promise<DirectoryStore> {
    throw new Error('PostgresDirectoryStore: not yet (storage/postgres/directory-store.ts is a placeholder)');
  }
}
