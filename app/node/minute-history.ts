/**
 * What the console's charts draw: per minute, the messages delivered per flow (source →
 * target network) and the delivery latency's p50 and p99, over the last hours, kept in the
 * node's memory (a ring of minutes; a restart starts it again: Prometheus keeps the long
 * history, `/metrics`). Latencies go into log-spaced buckets per minute (bounded memory at
 * any rate), read back as the bucket's upper bound.
 *
 * @example
 * const h = new MinuteHistory();
 * h.record('legacy→mssante', 42, Date.now());
 * h.series(Date.now(), 180); // { start, step: 60, flows: { 'legacy→mssante': [...] }, p50: [...], p99: [...] }
 */

/** Upper bounds of the latency buckets, in ms: 1 ms to about 17 min, ×1.25 apart (policy as data). */
export const LATENCY_BOUNDS_MS: readonly number[] = Array.from({ length: 61 }, (_, i) => Math.round(1.25 ** i * 10) / 10);

interface Minute { at: number; flows: Map<string, number>; buckets: Uint32Array; n: number }

export interface HistorySeries {
  /** Epoch seconds of the first minute. */
  start: number;
  /** Seconds between points. */
  step: number;
  /** Messages delivered per minute, per flow (`legacy→mssante`). */
  flows: Record<string, number[]>;
  /** Delivery latency per minute, ms (null: nothing delivered that minute). */
  p50: (number | null)[];
  p99: (number | null)[];
}

export class MinuteHistory {
  private readonly ring: (Minute | null)[];

  constructor(readonly minutes = 360) {
    this.ring = Array.from({ length: minutes }, () => null);
  }

  record(flow: string, latencyMs: number, now: number): void {
    const at = Math.floor(now / 60_000);
    const i = at % this.minutes;
    let m = this.ring[i];
    if (!m || m.at !== at) m = this.ring[i] = { at, flows: new Map(), buckets: new Uint32Array(LATENCY_BOUNDS_MS.length), n: 0 };
    m.flows.set(flow, (m.flows.get(flow) ?? 0) + 1);
    let b = 0;
    while (b < LATENCY_BOUNDS_MS.length - 1 && latencyMs > LATENCY_BOUNDS_MS[b]!) b++;
    m.buckets[b]!++;
    m.n++;
  }

  /** The last `minutes` minutes up to `now` (the current one included). */
  series(now: number, minutes = 180): HistorySeries {
    const span = Math.max(1, Math.min(minutes, this.minutes));
    const last = Math.floor(now / 60_000);
    const first = last - span + 1;
    const names = new Set<string>();
    for (const m of this.ring) if (m && m.at >= first) for (const f of m.flows.keys()) names.add(f);
    const flows: Record<string, number[]> = {};
    for (const f of [...names].sort()) flows[f] = [];
    const p50: (number | null)[] = [];
    const p99: (number | null)[] = [];
    for (let at = first; at <= last; at++) {
      const m = this.ring[at % this.minutes];
      const here = m && m.at === at ? m : null;
      for (const f of Object.keys(flows)) flows[f]!.push(here?.flows.get(f) ?? 0);
      p50.push(here ? quantile(here, 0.5) : null);
      p99.push(here ? quantile(here, 0.99) : null);
    }
    return { start: first * 60, step: 60, flows, p50, p99 };
  }
}

function quantile(m: Minute, q: number): number {
  const want = Math.max(1, Math.ceil(m.n * q));
  let seen = 0;
  for (let b = 0; b < m.buckets.length; b++) {
    seen += m.buckets[b]!;
    if (seen >= want) return LATENCY_BOUNDS_MS[b]!;
  }
  return LATENCY_BOUNDS_MS.at(-1)!;
}
