/**
 * The periodic-job runner (`core/queue/periodic-jobs.ts`) and the retention job of a node
 * (`app/node/periodic-jobs.ts`), on real engines: two stores on one database stand for two
 * gateway nodes — one SQLite file shared by two processes' connections, and two PostgreSQL
 * nodes on a private server (skipped, saying why, without PostgreSQL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeriodicJobs, type PeriodicJob } from '../../core/queue/periodic-jobs.js';
import { DAY_MS } from '../../core/queue/retention.js';
import { systemClock } from '../../core/ports/clock.js';
import type { JobLock } from '../../core/ports/job-lock.js';
import type { MessageStore } from '../../core/ports/message-store.js';
import type { Logger } from '../../core/log/logger.js';
import { loadConfig } from '../../app/config/load-config.js';
import { periodicJobs, startPeriodicJobs } from '../../app/node/periodic-jobs.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { PostgresStore } from '../../storage/postgres/postgres-store.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../support/postgres-server.js';

type Node = MessageStore & JobLock;

function recordingLog(): Logger & { lines: { level: string; msg: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const raw = new TextEncoder().encode('Message-ID: <1@x>\r\n\r\nhello\r\n');

/** A message delivered at `at`, its notices queued: done since `at`. */
async function doneAt(store: MessageStore, at: number): Promise<string> {
  const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: null, raw }, at);
  await store.recordRouting(id, { routes: [{ recipient: 'b@y', network: 'mssante', address: 'b@y' }], failures: [], events: [] }, at);
  const ds = await store.claimDue(at, 10, { owner: 'test/1', leaseMs: 60_000 });
  await store.recordOutcomes(id, ds.map((d) => ({ deliveryId: d.id, state: 'delivered' as const, reply: '250 ok' })), [], at);
  await store.noticesQueued(id);
  return id;
}

const runner = (lock: JobLock, jobs: PeriodicJob[], log = recordingLog(), firstRunMs = 60_000) =>
  new PeriodicJobs({ jobs, lock, clock: systemClock, log, holder: `test:${Math.random()}`, firstRunMs, leaseMs: 10_000 });

function engineCases(name: string, skip: string | null, twoNodes: () => Promise<{ a: Node; b: Node; close(): Promise<void> }>): void {
  describe.skipIf(skip !== null)(`periodic jobs on ${name}`, () => {
    it('runs a cluster job on one node at a time, a node job on every node', async () => {
      const { a, b, close } = await twoNodes();
      try {
        let cluster = 0;
        let local = 0;
        const jobs = (): PeriodicJob[] => [
          { name: 'retention', scope: 'cluster', everyMs: 3_600_000, run: async () => { cluster++; await sleep(100); return { n: cluster }; } },
          { name: 'refresh', scope: 'node', everyMs: 3_600_000, run: async () => void local++ },
        ];
        const [ra, rb] = [runner(a, jobs()), runner(b, jobs())];
        const both = await Promise.all([ra.runNow('retention'), rb.runNow('retention')]);
        expect(both.map((o) => o.ran).sort()).toEqual([false, true]);
        expect(cluster).toBe(1);
        // Once the turn is over, the lock is free: the next turn runs wherever it comes first.
        expect((await rb.runNow('retention')).ran).toBe(true);
        await Promise.all([ra.runNow('refresh'), rb.runNow('refresh')]);
        expect(local).toBe(2);
        await Promise.all([ra.stop(), rb.stop()]);
      } finally {
        await close();
      }
    });

    it('purges raw bytes once across two nodes running the retention together; off when rawDays is 0', async () => {
      const { a, b, close } = await twoNodes();
      try {
        const old = await doneAt(a, Date.now() - 31 * DAY_MS);
        const recent = await doneAt(a, Date.now() - 29 * DAY_MS);
        const config = loadConfig({ env: {} });
        expect(config.retention).toEqual({ rawDays: 30, every: '1h' });
        const [la, lb] = [recordingLog(), recordingLog()];
        const [ja, jb] = [startPeriodicJobs(config, { store: a, log: la }), startPeriodicJobs(config, { store: b, log: lb })];
        const outcomes = await Promise.all([ja.runNow('retention'), jb.runNow('retention')]);
        const ran = outcomes.filter((o) => o.ran);
        expect(ran.length).toBeGreaterThanOrEqual(1);
        expect(ran.reduce((n, o) => n + (o.fields!.purged as number), 0)).toBe(1);
        expect(await a.raw(old)).toBeNull();
        expect((await b.trace(old))!.events.filter((e) => e.stage === 'retention')).toHaveLength(1);
        expect(await b.raw(recent)).toEqual(raw);
        expect([...la.lines, ...lb.lines].filter((l) => l.msg === 'periodic job done').map((l) => l.fields)).toContainEqual(
          expect.objectContaining({ job: 'retention', purged: 1, rawDays: 30 }));
        await Promise.all([ja.stop(), jb.stop()]);
        expect(periodicJobs({ ...config, retention: { rawDays: 0, every: '1h' } }, a)).toEqual([]);
      } finally {
        await close();
      }
    });
  });
}

engineCases('SQLite (one file, two connections)', null, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-periodic-'));
  const a = SqliteStore.open(join(dir, 'db.sqlite'));
  const b = SqliteStore.open(join(dir, 'db.sqlite'));
  return { a, b, close: async () => { await a.close(); await b.close(); rmSync(dir, { recursive: true, force: true }); } };
});

const why = postgresUnavailable();
let server: PostgresServer | undefined;
let url = '';
let schemas = 0;
if (!why) {
  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('periodic');
  });
  afterAll(async () => {
    await server?.stop();
  });
}
engineCases('PostgreSQL (two nodes)', why, async () => {
  const schema = `periodic_${++schemas}`;
  const a = await PostgresStore.open(url, { schema, max: 2 });
  const b = await PostgresStore.open(url, { schema, max: 2 });
  return { a, b, close: async () => { await a.close(); await b.close(); } };
});

describe('the periodic-job runner', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-runner-'));
  const store = SqliteStore.open(join(dir, 'db.sqlite'));
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs each job on its interval, never overlapping itself; a failure is logged and waits for the next turn', async () => {
    let runs = 0;
    let inside = 0;
    let most = 0;
    const log = recordingLog();
    const jobs = runner(store, [{
      name: 'retention', scope: 'cluster', everyMs: 20,
      run: async () => {
        runs++;
        most = Math.max(most, ++inside);
        await sleep(30); // longer than the interval: the next turn counts from the end of this one
        inside--;
        if (runs === 1) throw new Error('database away');
      },
    }], log, 0);
    jobs.start();
    await sleep(400);
    await jobs.stop();
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(most).toBe(1);
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([
      { level: 'warn', msg: 'periodic job failed: it runs again at its next turn', fields: { job: 'retention', error: 'database away' } },
    ]);
    const after = runs;
    await sleep(100);
    expect(runs).toBe(after); // stopped: no more turns
  });

  it('tells a running job to stop when the runner stops, and waits for it', async () => {
    let sawAbort = false;
    let finished = false;
    const jobs = runner(store, [{
      name: 'retention', scope: 'cluster', everyMs: 3_600_000,
      run: async (signal) => {
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        sawAbort = true;
        await sleep(20);
        finished = true;
      },
    }]);
    const turn = jobs.runNow('retention');
    await sleep(50);
    await jobs.stop();
    expect(sawAbort && finished).toBe(true);
    expect((await turn).ran).toBe(true);
    expect((await jobs.runNow('retention')).ran).toBe(false); // stopped: no new turn
  });
});
