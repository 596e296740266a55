import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { SystemJob } from './system-thread.js';
import type { Stage } from './stage-profile.js';

/**
 * CPU of a profiled pass: the system's thread per stage (ms; the profile's shares of the
 * thread's measured CPU), the profile's own busy time (ms: above the CPU when the thread
 * waited in system calls or was preempted), and the threads it started (the translate worker).
 */
export interface StageFigures { stages: Record<Stage, number>; sampledMs: number; startedMs: number; startedThreads: number }

export interface SystemThread {
  ports: Record<string, number>;
  /** Record a CPU profile of the system's thread into `file` while `during` runs. */
  profile<T>(file: string, during: () => Promise<T>): Promise<T>;
  /** Profile the system's thread while `during` runs: its CPU per stage (`stage-profile.ts`). */
  stages<T>(during: () => Promise<T>): Promise<{ value: T; figures: StageFigures }>;
  /** CPU time used by the system's own thread so far, in ms (NaN where the OS does not tell). */
  cpuMs(): Promise<number>;
  /** The delay of the system thread's event loop while `during` runs (ms: 99th percentile and max). */
  loopDelay<T>(during: () => Promise<T>): Promise<{ value: T; p99: number; max: number }>;
  stop(): Promise<void>;
}

/** Starts the system under measurement (gateway or bare relay) on its own thread. */
export function startSystemThread(job: SystemJob): Promise<SystemThread> {
  return new Promise((resolve, reject) => {
    const w = new Worker(fileURLToPath(new URL('./system-worker.mjs', import.meta.url)), { workerData: job });
    const ask = (msg: object) => new Promise<unknown>((r) => { w.once('message', r); w.postMessage(msg); });
    w.once('error', reject);
    w.once('message', (m: { ports: Record<string, number> }) => resolve({
      ports: m.ports,
      async profile(file, during) {
        await ask({ cmd: 'profile-start' });
        try { return await during(); } finally { await ask({ cmd: 'profile-stop', file }); }
      },
      async stages(during) {
        await ask({ cmd: 'stages-start' });
        const value = await during().catch(async (err: unknown) => { await ask({ cmd: 'stages-stop' }); throw err; });
        return { value, figures: (await ask({ cmd: 'stages-stop' })) as StageFigures };
      },
      async cpuMs() { return ((await ask({ cmd: 'cpu' })) as { cpuMs: number }).cpuMs; },
      async loopDelay(during) {
        await ask({ cmd: 'delay-start' });
        const value = await during().catch(async (err: unknown) => { await ask({ cmd: 'delay-stop' }); throw err; });
        return { value, ...((await ask({ cmd: 'delay-stop' })) as { p99: number; max: number }) };
      },
      async stop() { await ask({ cmd: 'stop' }); await w.terminate(); },
    }));
  });
}
