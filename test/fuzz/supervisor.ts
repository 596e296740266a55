/**
 * Runs fuzzing workers (`worker.ts`) and watches them: a worker that makes no progress for
 * 5 × the deadline is stopped (`hang`), one that dies (out of memory, a fatal error) is
 * reported (`crash`), and in both cases the input it was running is read back from the
 * buffer it shares with this thread. Workers get a 1 MiB stack, about the main thread's,
 * so that recursion that would overflow there overflows here too.
 */
import { Worker } from 'node:worker_threads';
import { DEADLINE_MS, type Finding } from './harness.js';
import type { WorkerData, WorkerMessage } from './worker.js';

const SHARED_BYTES = 8 + 1024 * 1024;
export const HANG_MS = DEADLINE_MS * 5;

export interface WorkerEnd {
  end: 'done' | 'hang' | 'crash';
  /** The input running when the worker hung or died. */
  input: Uint8Array | null;
  error?: string;
  /** Inputs started. */
  inputs: number;
}

/** Runs one worker until it is done, hangs or dies. */
export function runWorker(data: Omit<WorkerData, 'shared'>, onMessage: (m: WorkerMessage) => void): Promise<WorkerEnd> {
  const shared = new SharedArrayBuffer(SHARED_BYTES);
  const counters = new Int32Array(shared, 0, 2);
  const current = () => (Atomics.load(counters, 0) === 0 ? null : new Uint8Array(shared, 8, Atomics.load(counters, 1)).slice());
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
    workerData: { ...data, shared } satisfies WorkerData,
    resourceLimits: { stackSizeMb: 1, maxOldGenerationSizeMb: 2048 },
  });
  return new Promise((resolve) => {
    let last = -1;
    let lastChange = Date.now();
    let settled = false;
    const finish = (r: Omit<WorkerEnd, 'inputs'>) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      void worker.terminate();
      resolve({ ...r, inputs: Atomics.load(counters, 0) });
    };
    const watch = setInterval(() => {
      const n = Atomics.load(counters, 0);
      if (n !== last) {
        last = n;
        lastChange = Date.now();
      } else if (n > 0 && Date.now() - lastChange > HANG_MS) finish({ end: 'hang', input: current() });
    }, 250);
    worker.on('message', (m: WorkerMessage) => {
      onMessage(m);
      if (m.type === 'done') finish({ end: 'done', input: null });
    });
    worker.on('error', (err) => finish({ end: 'crash', input: current(), error: `${(err as Error).name}: ${(err as Error).message}`.slice(0, 300) }));
    worker.on('exit', (code) => finish({ end: code === 0 ? 'done' : 'crash', input: current(), error: `worker exited with code ${code}` }));
  });
}

/**
 * Replays saved inputs in workers as they were found; returns each file's finding (null:
 * it passes now). A file that hangs or kills its worker is reported as such and the
 * others go on in a new worker.
 */
export async function replayInWorkers(items: { target: string; file: string }[], onEach?: (file: string, f: Finding | null, ms: number) => void): Promise<Map<string, Finding | null>> {
  const out = new Map<string, Finding | null>();
  let rest = items;
  while (rest.length > 0) {
    const r = await runWorker({ target: '', mode: 'replay', seed: 0, seconds: 0, files: rest }, (m) => {
      if (m.type !== 'replayed') return;
      out.set(m.file, m.finding);
      onEach?.(m.file, m.finding, m.ms);
    });
    rest = rest.filter((x) => !out.has(x.file));
    if (r.end === 'done' || rest.length === 0) break;
    const stuck = rest.shift()!;
    const f: Finding = r.end === 'hang'
      ? { target: stuck.target, kind: 'hang', detail: `no progress for ${HANG_MS} ms` }
      : { target: stuck.target, kind: 'crash', detail: r.error ?? 'worker died' };
    out.set(stuck.file, f);
    onEach?.(stuck.file, f, HANG_MS);
  }
  return out;
}
