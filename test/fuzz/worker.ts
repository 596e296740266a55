/**
 * The worker thread of `run.ts`: runs one target on generated inputs (or on given files)
 * and reports findings. Before each input it copies the input into the shared buffer and
 * bumps the counter, so that the main thread can save the input and stop the worker if it
 * hangs or dies (stack overflow in native code, out of memory).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { checkInput, minimise, signature, type Finding } from './harness.js';
import { targetNamed } from './targets.js';

export interface WorkerData {
  target: string;
  mode: 'fuzz' | 'replay';
  /** fuzz: first seed and how long to run. */
  seed: number;
  seconds: number;
  /** replay: the saved inputs to run, each with its target. */
  files: { target: string; file: string }[];
  /** [0] inputs started, [1] current input length; the input bytes from byte 8. */
  shared: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: 'ready'; samples: number }
  | { type: 'finding'; finding: Finding; input: Uint8Array; foundSize: number; seed: number }
  | { type: 'replayed'; file: string; finding: Finding | null; ms: number }
  | { type: 'done'; inputs: number; seeds: number };

const data = workerData as WorkerData;
const counters = new Int32Array(data.shared, 0, 2);
const bytes = new Uint8Array(data.shared, 8);

function publish(input: Uint8Array): void {
  const n = Math.min(input.length, bytes.length);
  bytes.set(input.subarray(0, n));
  Atomics.store(counters, 1, n);
  Atomics.add(counters, 0, 1);
}

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

async function main(): Promise<void> {
  if (data.mode === 'replay') {
    for (const { target, file } of data.files) {
      const input = new Uint8Array(readFileSync(file));
      publish(input);
      const t0 = performance.now();
      const finding = await checkInput(targetNamed(target), input);
      post({ type: 'replayed', file, finding, ms: performance.now() - t0 });
    }
    post({ type: 'done', inputs: data.files.length, seeds: 0 });
    return;
  }
  const target = targetNamed(data.target);
  const samples = await target.samples();
  for (const s of samples) {
    publish(s);
    const f = await checkInput(target, s);
    if (f) post({ type: 'finding', finding: f, input: s, foundSize: s.length, seed: -1 });
  }
  post({ type: 'ready', samples: samples.length });
  const arb = await target.arbitrary();
  const seen = new Set<string>();
  const stop = Date.now() + data.seconds * 1000;
  let inputs = 0;
  let seed = data.seed;
  for (; Date.now() < stop; seed++) {
    for (const input of fc.sample(arb, { seed, numRuns: 50 })) {
      if (Date.now() >= stop) break;
      publish(input);
      inputs++;
      const f = await checkInput(target, input);
      if (!f) continue;
      const sig = signature(f);
      if (seen.has(sig)) continue;
      seen.add(sig);
      const small = f.kind === 'escaped' ? await minimise(target, input, f) : input;
      post({ type: 'finding', finding: f, input: small, foundSize: input.length, seed });
    }
  }
  post({ type: 'done', inputs, seeds: seed - data.seed });
}

main().catch((err: unknown) => {
  // a failure of the harness itself (not of a target): let the main thread report it
  setImmediate(() => { throw err; });
});
