/**
 * The message store contract, unchanged, against `PostgresStore` on a private PostgreSQL
 * server (`test/support/postgres-server.ts`): one server and one database for the file, a
 * fresh schema per test (the store creates it and applies its migrations there when it
 * opens). Skipped, saying why, where PostgreSQL is not installed.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { PostgresStore } from '../../storage/postgres/postgres-store.js';
import { messageStoreContract } from '../../storage/contract/message-store-contract.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../support/postgres-server.js';

const why = postgresUnavailable();
if (why) console.warn(`[PostgreSQL message store contract skipped] ${why}`);

describe.skipIf(why !== null)('PostgresStore', () => {
  let server: PostgresServer;
  let url: string;
  let n = 0;
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('contract');
  });
  afterAll(async () => {
    await server?.stop();
  });

  messageStoreContract('PostgreSQL (node-postgres, SKIP LOCKED claims, group commit)', async () => {
    const store = await PostgresStore.open(url, { schema: `test_${++n}`, max: 4 });
    return { store, close: () => store.close() };
  });
});
