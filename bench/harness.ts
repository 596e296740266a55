/**
 * Tiny benchmark harness: runs a measurement several times, prints the median and, where a
 * baseline was measured in the same process, the ratio against it.
 *
 * @example
 * const base = await measure('bare sink', 5, async () => ratePerSecond(...));
 * const ours = await measure('gateway ingest', 5, async () => ratePerSecond(...));
 * report([base, ours], { baseline: 'bare sink' });
 */
export interface Measurement {
  name: string;
  unit: string;
  runs: number[];
  median: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

export async function measure(name: string, unit: string, runs: number, fn: (run: number) => Promise<number>): Promise<Measurement> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await fn(i));
  return report(name, unit, values);
}

/** Runs measured elsewhere (alternating with another system's, say), printed as `measure` prints them. */
export function report(name: string, unit: string, values: number[]): Measurement {
  const m = { name, unit, runs: values, median: median(values) };
  process.stdout.write(`  ${name}: runs ${values.map((v) => v.toFixed(1)).join(', ')} ${unit} → median ${m.median.toFixed(1)} ${unit}\n`);
  return m;
}

export function ratio(of: Measurement, against: Measurement): string {
  return `${of.name} / ${against.name} = ${((of.median / against.median) * 100).toFixed(1)}%`;
}

/**
 * Operations per second of `fn`, kept `concurrency` deep for `seconds`.
 *
 * @example
 * const perSecond = await ratePerSecond(() => seal(message), 16, 1.5);
 */
export async function ratePerSecond(fn: () => Promise<unknown>, concurrency: number, seconds: number): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await fn();
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}
