/**
 * The gateway's periodic jobs, each on its own interval. A `cluster` job (retention,
 * directory sync) must run once across the nodes sharing the store: each turn it is run under
 * the store's job lock (`JobLock`), and a node that finds the lock taken skips the turn. A
 * `node` job refreshes what each node holds for itself (in memory, local files) and runs on
 * every node. A job never overlaps itself on one node: its next turn is counted from the end
 * of the last. Engine-free: timers and the ports only.
 *
 * @example
 * const jobs = new PeriodicJobs({ lock: store, clock: systemClock, log, holder: 'gw1:4242:x7', jobs: [
 *   { name: 'retention', scope: 'cluster', everyMs: 3_600_000, run: async (signal) => ({ purged: await purge(signal) }) },
 * ] });
 * jobs.start();
 * await jobs.runNow('retention'); // { job: 'retention', ran: true, fields: { purged: 12 } }
 * await jobs.stop();
 */
import type { Clock } from '../ports/clock.js';
import type { JobLock } from '../ports/job-lock.js';
import type { Logger } from '../log/logger.js';

export interface PeriodicJob {
  /** Its name: the lock's name for a cluster job, and what the logs say. */
  name: string;
  everyMs: number;
  /** `cluster`: once across the nodes, under the job lock; `node`: on every node. */
  scope: 'cluster' | 'node';
  /**
   * Does one turn's work. `signal` aborts when the runner stops or the lock is lost: stop at
   * the next batch. Resolves to fields for the log (counts, never content).
   */
  run(signal: AbortSignal): Promise<Record<string, unknown> | void>;
}

export interface PeriodicJobsOptions {
  jobs: PeriodicJob[];
  lock: JobLock;
  clock: Clock;
  log: Logger;
  /** This node's holder id, unique across nodes (`host:pid:random`). */
  holder: string;
  /** The lease of a cluster job's lock, for engines that need one (SQLite); default 5 min. */
  leaseMs?: number;
  /** The first turn of each job this long after `start` (default 30 s, or its interval if shorter). */
  firstRunMs?: number;
}

/** One turn of a job: run, or skipped (another node holds its lock), or failed. */
export interface JobOutcome {
  job: string;
  ran: boolean;
  fields?: Record<string, unknown>;
  error?: string;
}

type Timer = ReturnType<typeof setTimeout>;

export class PeriodicJobs {
  private readonly timers = new Map<string, Timer>();
  private readonly running = new Map<string, Promise<JobOutcome>>();
  private readonly stopping = new AbortController();
  private started = false;

  constructor(private readonly o: PeriodicJobsOptions) {
    const names = new Set<string>();
    for (const j of o.jobs) {
      if (names.has(j.name)) throw new Error(`periodic job ${j.name} named twice`);
      if (!(j.everyMs > 0)) throw new Error(`periodic job ${j.name}: its interval must be longer than 0`);
      names.add(j.name);
    }
  }

  start(): void {
    if (this.started || this.stopping.signal.aborted) return;
    this.started = true;
    for (const j of this.o.jobs) this.schedule(j, Math.min(this.o.firstRunMs ?? 30_000, j.everyMs));
  }

  private schedule(j: PeriodicJob, delay: number): void {
    if (this.stopping.signal.aborted) return;
    const t = setTimeout(() => {
      this.timers.delete(j.name);
      void this.runNow(j.name).finally(() => this.schedule(j, j.everyMs));
    }, delay);
    (t as { unref?: () => void }).unref?.();
    this.timers.set(j.name, t);
  }

  /** Runs a job's turn now (a turn already running on this node is awaited instead). */
  runNow(name: string): Promise<JobOutcome> {
    const j = this.o.jobs.find((x) => x.name === name);
    if (!j) return Promise.reject(new Error(`no periodic job ${name}`));
    const current = this.running.get(name);
    if (current) return current;
    const turn = this.turn(j).finally(() => this.running.delete(name));
    this.running.set(name, turn);
    return turn;
  }

  private async turn(j: PeriodicJob): Promise<JobOutcome> {
    const { log, clock } = this.o;
    if (this.stopping.signal.aborted) return { job: j.name, ran: false };
    const began = clock.now();
    try {
      const work = async (lost?: AbortSignal) => (await j.run(lost ? anyOf(lost, this.stopping.signal) : this.stopping.signal)) ?? {};
      const r = j.scope === 'node'
        ? { ran: true as const, value: await work() }
        : await this.o.lock.runExclusive(j.name, { holder: this.o.holder, leaseMs: this.o.leaseMs ?? 300_000 }, clock, work);
      if (!r.ran) {
        log.debug('periodic job skipped: another node runs it', { job: j.name });
        return { job: j.name, ran: false };
      }
      log.info('periodic job done', { job: j.name, ms: clock.now() - began, ...r.value });
      return { job: j.name, ran: true, fields: r.value };
    } catch (err) {
      const error = (err as Error).message;
      log.warn('periodic job failed: it runs again at its next turn', { job: j.name, error });
      return { job: j.name, ran: false, error };
    }
  }

  /** Stops the schedule, tells running jobs to stop, and waits for them. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the gateway is stopping'));
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running.values()]);
  }
}

/** A signal that aborts when either does. */
function anyOf(a: AbortSignal, b: AbortSignal): AbortSignal {
  const c = new AbortController();
  const on = (s: AbortSignal) => () => c.abort(s.reason);
  if (a.aborted) c.abort(a.reason);
  else if (b.aborted) c.abort(b.reason);
  else {
    a.addEventListener('abort', on(a), { once: true });
    b.addEventListener('abort', on(b), { once: true });
  }
  return c.signal;
}
