/**
 * The job lock contract on PostgreSQL: two `PostgresStore`s on one private server stand for
 * two nodes (a fresh schema per test); a killed one's connections close, and the server frees
 * its advisory locks at once. Skipped, saying why, where PostgreSQL is not installed.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { PostgresStore } from '../../storage/postgres/postgres-store.js';
import { jobLockContract } from '../../storage/contract/job-lock-contract.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../support/postgres-server.js';

const why = postgresUnavailable();
if (why) console.warn(`[PostgreSQL job lock contract skipped] ${why}`);

describe.skipIf(why !== null)('PostgresStore job locks', () => {
  let server: PostgresServer;
  let url: string;
  let n = 0;
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('jobs');
  });
  afterAll(async () => {
    await server?.stop();
  });

  jobLockContract('PostgreSQL (session advisory locks)', { freesAtOnce: true }, async () => {
    const schema = `jobs_${++n}`;
    const a = await PostgresStore.open(url, { schema, max: 2 });
    const b = await PostgresStore.open(url, { schema, max: 2 });
    return { a, b, killA: () => a.close(), close: async () => { await a.close(); await b.close(); } };
  });
});
