/**
 * The gateway's periodic jobs on a node, on the runner of `core/queue/periodic-jobs.ts`.
 *
 * Which work runs where (docs/operations.md, "Periodic jobs"):
 * - **retention** (`retention.rawDays`, every `retention.every`): shared state, so once
 *   across the nodes sharing the database, under the store's job lock;
 * - the trust list, the CRLs and the recipients' certificate folder are refreshed by every
 *   node for itself (`national-setup.ts`): each node holds them in memory (its TLS context,
 *   its S/MIME checks) or reads its own local files, so one node refreshing them would
 *   leave the others stale. They keep their own timers.
 *
 * @example
 * const jobs = startPeriodicJobs(config, { store, log });
 * await jobs.runNow('retention');
 * await jobs.stop();
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { GatewayConfig } from '../config/defaults.js';
import type { Logger } from '../../core/log/logger.js';
import { systemClock, type Clock } from '../../core/ports/clock.js';
import type { JobLock } from '../../core/ports/job-lock.js';
import type { MessageStore } from '../../core/ports/message-store.js';
import { parseDuration } from '../../core/queue/duration.js';
import { PeriodicJobs, type PeriodicJob } from '../../core/queue/periodic-jobs.js';
import { purgeDoneRaw } from '../../core/queue/retention.js';

/** The lock (and log) name of the retention job: the CLI's `queue purge` takes the same lock. */
export const RETENTION_JOB = 'retention';

/** This process's holder id for job locks: host, pid and a random part (unique across nodes and restarts). */
export function jobHolder(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** The periodic jobs a node runs, from its configuration (retention off: none). */
export function periodicJobs(config: GatewayConfig, store: MessageStore, clock: Clock = systemClock): PeriodicJob[] {
  const jobs: PeriodicJob[] = [];
  if (config.retention.rawDays > 0) {
    jobs.push({
      name: RETENTION_JOB,
      scope: 'cluster',
      everyMs: parseDuration(config.retention.every),
      run: async (signal) => ({ purged: await purgeDoneRaw(store, { rawDays: config.retention.rawDays, signal }, clock), rawDays: config.retention.rawDays }),
    });
  }
  return jobs;
}

export function startPeriodicJobs(config: GatewayConfig, o: { store: MessageStore & JobLock; log: Logger; clock?: Clock; firstRunMs?: number }): PeriodicJobs {
  const clock = o.clock ?? systemClock;
  const jobs = new PeriodicJobs({
    jobs: periodicJobs(config, o.store, clock), lock: o.store, clock, log: o.log, holder: jobHolder(), firstRunMs: o.firstRunMs,
  });
  jobs.start();
  return jobs;
}
