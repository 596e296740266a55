/**
 * The directory store contract, unchanged, against `PostgresDirectoryStore` on a private
 * PostgreSQL server (`test/support/postgres-server.ts`): one server and one database for the
 * file, a fresh schema per test. Skipped, saying why, where PostgreSQL is not installed.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { PostgresDirectoryStore } from '../../storage/postgres/directory-store.js';
import { directoryStoreContract } from '../../storage/contract/directory-store-contract.js';
import { CONFIG } from '../directory/helpers.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../support/postgres-server.js';

const why = postgresUnavailable();
if (why) console.warn(`[PostgreSQL directory store contract skipped] ${why}`);

describe.skipIf(why !== null)('PostgresDirectoryStore', () => {
  let server: PostgresServer;
  let url: string;
  let n = 0;
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('directory');
  });
  afterAll(async () => {
    await server?.stop();
  });

  directoryStoreContract('PostgreSQL (node-postgres)', async () => {
    const store = await PostgresDirectoryStore.open(url, CONFIG, { schema: `dir_${++n}`, max: 2 });
    return { store, close: () => store.close() };
  });
});
