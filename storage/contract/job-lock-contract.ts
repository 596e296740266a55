/**
 * The job lock contract (`JobLock`, `core/ports/job-lock.ts`): one suite, run against every
 * engine with two nodes on one database (two stores, each with its own connections), as the
 * message store contract is. Times come from the suite's clock, far from the real one.
 *
 * @example
 * jobLockContract('SQLite', { freesAtOnce: false }, async () => { … return { a, b, killA, close }; });
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { Clock } from '../../core/ports/clock.js';
import type { JobHolder, JobLock } from '../../core/ports/job-lock.js';

export interface JobLockNodes {
  /** Two nodes sharing one database. */
  a: JobLock;
  b: JobLock;
  /** Node `a` dies: its store is closed under a running job, which releases nothing itself. */
  killA(): Promise<void>;
  close(): Promise<void>;
}

export interface JobLockEngine {
  /**
   * The engine sees a holder's session end (PostgreSQL: the connection closes) and frees its
   * locks at once; otherwise (SQLite's lease rows) the lock frees when the lease lapses.
   */
  freesAtOnce: boolean;
}

const T = 5_000_000;
const LEASE = 150;

/** A clock the suite moves by hand. */
function manualClock(): Clock & { set(t: number): void } {
  let t = T;
  return { now: () => t, set: (v) => void (t = v) };
}

/** A job that runs until told to finish. */
function gate() {
  let open!: (v: string) => void;
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const done = new Promise<string>((r) => (open = r));
  return { running, finish: (v = 'done') => open(v), fn: async () => { started(); return done; } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function jobLockContract(name: string, engine: JobLockEngine, open: () => Promise<JobLockNodes>): void {
  describe(`JobLock contract: ${name}`, () => {
    let n: JobLockNodes;
    let clock: ReturnType<typeof manualClock>;
    const A: JobHolder = { holder: 'node-a:1:x', leaseMs: LEASE };
    const B: JobHolder = { holder: 'node-b:1:y', leaseMs: LEASE };
    beforeEach(async () => {
      n = await open();
      clock = manualClock();
    });
    afterEach(async () => {
      await n.close();
    });

    it('two holders at once: only one runs the job, the other returns at once without running it', async () => {
      const g = gate();
      const first = n.a.runExclusive('retention', A, clock, g.fn);
      await g.running;
      let ran = false;
      expect(await n.b.runExclusive('retention', B, clock, async () => void (ran = true))).toEqual({ ran: false });
      expect(await n.a.runExclusive('retention', B, clock, async () => void (ran = true))).toEqual({ ran: false }); // the same node, another holder
      expect(ran).toBe(false);
      g.finish('purged 3');
      expect(await first).toEqual({ ran: true, value: 'purged 3' });
    });

    it('locks each job by its name: another job runs meanwhile', async () => {
      const g = gate();
      const first = n.a.runExclusive('retention', A, clock, g.fn);
      await g.running;
      expect(await n.b.runExclusive('directory-sync', B, clock, async () => 7)).toEqual({ ran: true, value: 7 });
      g.finish();
      await first;
    });

    it('releases the lock when the job ends, and when it throws', async () => {
      expect(await n.a.runExclusive('retention', A, clock, async () => 1)).toEqual({ ran: true, value: 1 });
      expect(await n.b.runExclusive('retention', B, clock, async () => 2)).toEqual({ ran: true, value: 2 });
      await expect(n.a.runExclusive('retention', A, clock, async () => { throw new Error('batch failed'); })).rejects.toThrow('batch failed');
      expect(await n.b.runExclusive('retention', B, clock, async () => 3)).toEqual({ ran: true, value: 3 });
    });

    it('keeps the lock of a live holder past its lease: renewed while the job runs', async () => {
      const g = gate();
      const first = n.a.runExclusive('retention', A, clock, g.fn);
      await g.running;
      for (let i = 1; i <= 4; i++) {
        clock.set(T + i * (LEASE / 2)); // twice the lease in all, in steps the renewals follow
        await sleep(LEASE);
      }
      expect(await n.b.runExclusive('retention', B, clock, async () => 1)).toEqual({ ran: false });
      g.finish();
      expect((await first).ran).toBe(true);
    });

    it(engine.freesAtOnce
      ? "frees a dead holder's lock at once: its session ended"
      : "frees a dead holder's lock once its lease lapses, by the clock", async () => {
      const g = gate();
      void n.a.runExclusive('retention', A, clock, g.fn).catch(() => undefined);
      await g.running;
      await n.killA();
      if (!engine.freesAtOnce) {
        clock.set(T + LEASE - 1);
        expect(await n.b.runExclusive('retention', B, clock, async () => 1)).toEqual({ ran: false });
      }
      clock.set(T + LEASE);
      expect(await n.b.runExclusive('retention', B, clock, async () => 1)).toEqual({ ran: true, value: 1 });
      g.finish();
    });
  });
}
