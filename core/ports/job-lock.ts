import type { Clock } from './clock.js';

/** Who runs a periodic job, and how long its lock outlives it should it stop without a word. */
export interface JobHolder {
  /** The holder's id, unique across nodes (e.g. `host:pid:random`); shown to operators, never secret. */
  holder: string;
  /**
   * For engines that cannot see a holder die (SQLite: a lease row), how long the lock holds
   * after its last renewal; the lock renews it every third of this while the job runs. Engines
   * that see the holder's session end (PostgreSQL) free the lock at once and ignore it.
   */
  leaseMs: number;
}

/** What `runExclusive` did: ran the job (and what it returned), or not, another holder having the lock. */
export type Exclusive<T> = { ran: true; value: T } | { ran: false };

/**
 * Exclusive periodic work across every node sharing a store (a port): retention, directory
 * sync — what must run once, not once per node. `runExclusive` takes the named lock without
 * waiting: when another holder has it, it returns `{ ran: false }` at once, and the job waits
 * for its next turn. The lock is released when `fn` settles (resolved or thrown), and when
 * its holder dies. `fn` gets a signal that aborts should the lock be lost while it runs (a
 * lease that lapsed while the process was stopped, a session cut): it should stop at the next
 * batch. One contract suite (`storage/contract/job-lock-contract.ts`) runs on every engine.
 *
 * @example
 * const r = await store.runExclusive('retention', { holder: 'gw1:4242:x7', leaseMs: 300_000 }, systemClock,
 *   async (signal) => purge(signal));
 * if (!r.ran) log.debug('another node runs the retention now');
 */
export interface JobLock {
  runExclusive<T>(job: string, by: JobHolder, clock: Clock, fn: (signal: AbortSignal) => Promise<T>): Promise<Exclusive<T>>;
}
