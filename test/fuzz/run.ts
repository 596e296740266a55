/**
 * Long fuzzing runs with random seeds, one target at a time, each in a worker thread that
 * the main thread watches: an input that hangs (no progress for 5 × the deadline), runs the
 * worker out of memory or kills it is saved like any other failing input.
 *
 *     npm run fuzz -- --seconds 60                      every target, 60 s each
 *     npm run fuzz -- --seconds 300 --target cda,xdm    some targets
 *     npm run fuzz -- --seed 1234                       a given first seed
 *     npm run fuzz -- --replay test/fixtures/fuzz/cda/escaped-0123abcd.bin …
 *     npm run fuzz -- --list
 *
 * A failing input is saved as `test/fixtures/fuzz/<target>/<kind>-<sha1>.bin` (minimised
 * when it fails quickly), with a `.json` describing the failure; `npm test` replays every
 * saved input (`test/fuzz/fuzz.test.ts`). Exit status 1 when something new was found.
 */
import { relative } from 'node:path';
import { DEADLINE_MS, saveFixture, signature, type Finding } from './harness.js';
import { ROOT } from './corpus.js';
import { TARGETS, targetNamed } from './targets.js';
import { HANG_MS, replayInWorkers, runWorker } from './supervisor.js';

interface Args { seconds: number; targets: string[]; seed: number; replay: string[]; list: boolean }

function parseArgs(argv: string[]): Args {
  const a: Args = { seconds: 60, targets: TARGETS.map((t) => t.name), seed: Math.floor(Math.random() * 2 ** 31), replay: [], list: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--seconds') a.seconds = Number(v());
    else if (k === '--target' || k === '--targets') a.targets = v().split(',').map((s) => targetNamed(s.trim()).name);
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--replay') {
      while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) a.replay.push(argv[++i]!);
    } else if (k === '--list') a.list = true;
    else if (k === '--help' || k === '-h') {
      console.log('usage: npm run fuzz -- [--seconds N] [--target NAME,…] [--seed N] | --replay FILE… | --list');
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  if (!Number.isFinite(a.seconds) || a.seconds <= 0) throw new Error('--seconds must be a positive number');
  return a;
}

interface Outcome { inputs: number; findings: Finding[]; saved: string[] }

function report(f: Finding, input: Uint8Array, foundSize: number, seed: number | undefined, out: Outcome, seen: Set<string>): void {
  const sig = signature(f);
  if (seen.has(sig)) return;
  seen.add(sig);
  const { file, isNew } = saveFixture(f, input, { foundSize, ...(seed !== undefined && seed >= 0 ? { seed } : {}) });
  const rel = relative(ROOT, file);
  console.log(`  ${isNew ? 'FOUND' : 'again'} ${f.kind}: ${f.detail}`);
  if (!isNew) {
    console.log(`    fails like the saved ${rel}`);
    return;
  }
  out.findings.push(f);
  out.saved.push(rel);
  console.log(`    saved ${rel} (${input.length} bytes${foundSize !== input.length ? `, minimised from ${foundSize}` : ''})`);
  console.log(`    reproduce: npm run fuzz -- --replay ${rel}`);
}

async function fuzzTarget(name: string, seconds: number, seed: number): Promise<Outcome> {
  const out: Outcome = { inputs: 0, findings: [], saved: [] };
  const seen = new Set<string>();
  const stop = Date.now() + seconds * 1000;
  let s = seed;
  while (Date.now() < stop - 500) {
    const left = Math.max(1, Math.round((stop - Date.now()) / 1000));
    let lastSeed = s;
    const r = await runWorker({ target: name, mode: 'fuzz', seed: s, seconds: left, files: [] }, (m) => {
      if (m.type === 'finding') {
        lastSeed = m.seed;
        report(m.finding, m.input, m.foundSize, m.seed, out, seen);
      } else if (m.type === 'ready') console.log(`  ${m.samples} samples pass; fuzzing from seed ${s} for ${left} s`);
    });
    out.inputs += r.inputs;
    if (r.end === 'done') break;
    if (!r.input) {
      console.log(`  the worker failed before its first input: ${r.error ?? r.end}`);
      break;
    }
    const f: Finding = r.end === 'hang'
      ? { target: name, kind: 'hang', detail: `no progress for ${HANG_MS} ms` }
      : { target: name, kind: 'crash', detail: r.error ?? 'worker died' };
    report(f, r.input, r.input.length, lastSeed, out, seen);
    s = lastSeed + 1000; // go on elsewhere
  }
  return out;
}

async function replay(files: string[]): Promise<number> {
  const items = files.map((file) => {
    const m = /(?:^|[/\\])fuzz[/\\]([^/\\]+)[/\\][^/\\]+\.bin$/.exec(file);
    if (!m) throw new Error(`${file}: expected test/fixtures/fuzz/<target>/<file>.bin`);
    return { target: targetNamed(m[1]!).name, file };
  });
  let failing = 0;
  await replayInWorkers(items, (file, f, ms) => {
    if (f) failing++;
    console.log(`${f ? 'FAILS' : 'ok   '} ${file} (${Math.round(ms)} ms)${f ? `: ${f.kind}: ${f.detail}` : ''}`);
    if (f?.stack) console.log(f.stack);
  });
  return failing;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const t of TARGETS) console.log(`${t.name.padEnd(18)} ${t.area.padEnd(12)} ${t.description}`);
    return;
  }
  if (args.replay.length > 0) {
    process.exitCode = (await replay(args.replay)) > 0 ? 1 : 0;
    return;
  }
  const summary: string[] = [];
  let found = 0;
  for (const [i, name] of args.targets.entries()) {
    const seed = args.seed + i * 1_000_003;
    console.log(`${name}: ${targetNamed(name).description}`);
    const t0 = Date.now();
    const o = await fuzzTarget(name, args.seconds, seed);
    const secs = (Date.now() - t0) / 1000;
    found += o.findings.length;
    summary.push(`${name.padEnd(18)} ${String(o.inputs).padStart(8)} inputs  ${String(Math.round(o.inputs / secs)).padStart(6)}/s  ${o.findings.length} finding(s)`);
  }
  console.log(`\nfirst seed ${args.seed}, ${args.seconds} s per target, deadline ${DEADLINE_MS} ms per input`);
  for (const l of summary) console.log(l);
  process.exitCode = found > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 2;
});
