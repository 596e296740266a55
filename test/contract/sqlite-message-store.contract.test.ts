import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { messageStoreContract } from '../../storage/contract/message-store-contract.js';

messageStoreContract('SQLite (better-sqlite3, WAL, group commit)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-store-'));
  const store = SqliteStore.open(join(dir, 'db.sqlite'));
  return { store, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
});
