/**
 * The job lock contract on PostgreSQL: two `PostgresStore`s on one private server stand for
 * two nodes (a fresh schema per test); a killed one's connections close, and the server frees
 * its advisory locks at once. Skipped, saying why, where PostgreSQL is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { systemClock } from '../../core/ports/clock.js';
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

  it('a job whose connection the server cuts is told (its signal aborts), and the lock is free for another node at once', async () => {
    const schema = `jobs_${++n}`;
    const a = await PostgresStore.open(url, { schema, max: 2 });
    const b = await PostgresStore.open(url, { schema, max: 2 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const holder = { holder: 'node-a', leaseMs: 60_000 };
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const turn = a.runExclusive('retention', holder, systemClock, async (signal) => {
        started();
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        return 'stopped';
      });
      await running;
      expect((await b.runExclusive('retention', { ...holder, holder: 'node-b' }, systemClock, async () => 1)).ran).toBe(false);
      const cut = await admin.query(`SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()`);
      expect(cut.rows).toEqual([{ ok: true }]);
      expect(await turn).toEqual({ ran: true, value: 'stopped' });
      expect(await b.runExclusive('retention', { ...holder, holder: 'node-b' }, systemClock, async () => 2)).toEqual({ ran: true, value: 2 });
    } finally {
      await admin.end();
      await a.close();
      await b.close();
    }
  });
});
