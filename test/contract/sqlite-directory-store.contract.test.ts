import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDirectoryStore } from '../../storage/sqlite/directory-store.js';
import { CONFIG } from '../directory/helpers.js';
import { directoryStoreContract } from '../../storage/contract/directory-store-contract.js';

directoryStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-dirstore-'));
  const store = SqliteDirectoryStore.open(join(dir, 'db.sqlite'), CONFIG);
  return { store, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
});
