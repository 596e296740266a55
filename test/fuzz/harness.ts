/**
 * Runs one input through a target and judges it: the input must end as a result or as one
 * of the target's known errors, within the time limit, without leaving more memory behind
 * than the target's budget. Also: the fixtures of inputs that once failed, and a small
 * minimiser that shrinks a failing input while it fails the same way.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeThrown, knownErrorName } from './errors.js';
import { FUZZ_FIXTURES } from './corpus.js';
import type { FuzzTarget } from './targets.js';

/** Longest an input may take. */
export const DEADLINE_MS = 2000;

export type FindingKind = 'escaped' | 'slow' | 'memory' | 'hang' | 'crash';

export interface Finding {
  target: string;
  kind: FindingKind;
  /** What happened: the error class and first message line, the time, the memory. */
  detail: string;
  /** The stack of an escaped error (first frames). */
  stack?: string;
}

function memoryNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * Runs `input` through `target`. Returns null when it ended well (a result or an allowed
 * error), else the finding. A promise that never settles is cut at 5 × the deadline
 * (`hang`); code that never yields cannot be cut here: `run.ts` runs targets in a worker
 * it can stop.
 */
export async function checkInput(target: FuzzTarget, input: Uint8Array, opts: { deadlineMs?: number } = {}): Promise<Finding | null> {
  const deadline = opts.deadlineMs ?? DEADLINE_MS;
  const before = memoryNow();
  const start = performance.now();
  let outcome: { ok: true } | { ok: false; err: unknown } | { hang: true };
  let timer: NodeJS.Timeout | undefined;
  try {
    outcome = await Promise.race([
      Promise.resolve().then(() => target.run(input)).then(() => ({ ok: true as const }), (err: unknown) => ({ ok: false as const, err })),
      new Promise<{ hang: true }>((resolve) => { timer = setTimeout(() => resolve({ hang: true }), deadline * 5); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
  const elapsed = performance.now() - start;
  const grown = memoryNow() - before;
  if ('hang' in outcome) return { target: target.name, kind: 'hang', detail: `did not settle within ${deadline * 5} ms` };
  if (!outcome.ok && !knownErrorName(outcome.err, target.allowed)) {
    const stack = outcome.err instanceof Error ? outcome.err.stack?.split('\n').slice(1, 9).join('\n') : undefined;
    return { target: target.name, kind: 'escaped', detail: describeThrown(outcome.err), ...(stack ? { stack } : {}) };
  }
  if (elapsed > deadline) return { target: target.name, kind: 'slow', detail: `took ${Math.round(elapsed)} ms (limit ${deadline} ms)` };
  const budget = target.memory.base + target.memory.perByte * input.length;
  if (grown > budget) return { target: target.name, kind: 'memory', detail: `left ${mb(grown)} MiB of heap and buffers behind (budget ${mb(budget)} MiB)` };
  return null;
}

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

/** Findings that are the same bug: kind, error class, message without numbers or quoted parts. */
export function signature(f: Finding): string {
  const detail = f.kind === 'escaped' ? f.detail.replace(/\d+/g, 'N').replace(/"[^"]*"|'[^']*'/g, 'S').slice(0, 120) : '';
  return `${f.target}:${f.kind}:${detail}`;
}

/**
 * Shrinks a failing input (removing ranges, halving first) while it fails with the same
 * signature, for at most `budgetMs`. Only for findings that reproduce quickly (`escaped`).
 */
export async function minimise(target: FuzzTarget, input: Uint8Array, f: Finding, budgetMs = 5000): Promise<Uint8Array> {
  const want = signature(f);
  const stop = performance.now() + budgetMs;
  let best = input;
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && performance.now() < stop; chunk >>= 1) {
    for (let at = 0; at < best.length && performance.now() < stop;) {
      const candidate = new Uint8Array(best.length - Math.min(chunk, best.length - at));
      candidate.set(best.subarray(0, at));
      candidate.set(best.subarray(at + chunk), at);
      const g = await checkInput(target, candidate);
      if (g && signature(g) === want) best = candidate;
      else at += chunk;
    }
  }
  return best;
}

/** A saved failing input: `<kind>-<sha1>.bin` and a `.json` beside it. */
export interface FixtureInfo {
  target: string;
  kind: FindingKind;
  detail: string;
  /** Size of the input as found, before minimising. */
  foundSize: number;
  foundAt: string;
  seed?: number;
}

/**
 * Saves a failing input under `test/fixtures/fuzz/<target>/`, unless a saved input already
 * fails the same way (same signature): one fixture per distinct failure. Returns its path
 * and whether it was new.
 */
export function saveFixture(f: Finding, input: Uint8Array, info: { foundSize: number; seed?: number }, dir = FUZZ_FIXTURES): { file: string; isNew: boolean } {
  const same = fixturesOf(f.target, dir).find((x) => x.info && signature({ target: x.info.target, kind: x.info.kind, detail: x.info.detail }) === signature(f));
  if (same) return { file: same.path, isNew: false };
  const folder = join(dir, f.target);
  mkdirSync(folder, { recursive: true });
  const id = createHash('sha1').update(input).digest('hex').slice(0, 12);
  const file = join(folder, `${f.kind}-${id}.bin`);
  writeFileSync(file, input);
  const meta: FixtureInfo = { target: f.target, kind: f.kind, detail: f.detail, foundSize: info.foundSize, foundAt: new Date().toISOString(), ...(info.seed !== undefined ? { seed: info.seed } : {}) };
  writeFileSync(file.replace(/\.bin$/, '.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return { file, isNew: true };
}

/** Every saved fixture of a target: `{ name: '<target>/<file>.bin', path, input, info }`. */
export function fixturesOf(target: string, dir = FUZZ_FIXTURES): { name: string; path: string; input: Uint8Array; info: FixtureInfo | null }[] {
  const folder = join(dir, target);
  if (!existsSync(folder)) return [];
  return readdirSync(folder).filter((f) => f.endsWith('.bin')).sort().map((f) => {
    const path = join(folder, f);
    const json = path.replace(/\.bin$/, '.json');
    return {
      name: `${target}/${f}`,
      path,
      input: new Uint8Array(readFileSync(path)),
      info: existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as FixtureInfo) : null,
    };
  });
}
