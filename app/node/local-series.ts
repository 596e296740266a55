/**
 * Counters and histograms for the pipeline's hot path, registered in a prom-client
 * `Registry` like its own metrics but counted in plain numbers: a bound series is a small
 * object whose fields the caller increments (no label hashing, no allocation per call);
 * prom-client formats them at the scrape (default labels included). prom-client's own
 * `Counter`/`Histogram` hash the label set on every call, even for a bound child.
 *
 * @example
 * const c = new LocalCounter(registry, 'passerelle_accepted_total', 'Messages accepted', ['network']);
 * const legacy = c.bind({ network: 'legacy' });
 * legacy.value++;
 */
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;
interface Sample { labels: Labels; value: number; metricName?: string }
interface MetricData { name: string; help: string; type: string; values: Sample[]; aggregator: 'sum' }

/** A counter series: add to `value`. */
export interface CounterCell { value: number }

export class LocalCounter {
  readonly type = 'counter';
  private readonly cells: Array<{ labels: Labels; cell: CounterCell }> = [];

  constructor(registry: Registry, readonly name: string, readonly help: string) {
    registry.registerMetric(this as never);
  }

  /** The series of these labels (call once per label set and keep it). */
  bind(labels: Labels): CounterCell {
    const cell = { value: 0 };
    this.cells.push({ labels, cell });
    return cell;
  }

  get(): Promise<MetricData> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: 'sum', values: this.cells.map((c) => ({ labels: c.labels, value: c.cell.value })) });
  }
}

/** A histogram series: `observe(v)` finds its bucket among a few bounds; totals are cumulated at the scrape. */
export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

export class LocalHistogram {
  readonly type = 'histogram';
  private readonly cells: Array<{ labels: Labels; cell: HistogramCell }> = [];

  constructor(registry: Registry, readonly name: string, readonly help: string, private readonly buckets: readonly number[]) {
    registry.registerMetric(this as never);
  }

  bind(labels: Labels): HistogramCell {
    const cell = new HistogramCell(this.buckets);
    this.cells.push({ labels, cell });
    return cell;
  }

  get(): Promise<MetricData> {
    const values: Sample[] = [];
    for (const { labels, cell } of this.cells) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += cell.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: String(this.buckets[i]) }, value: acc });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cell.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: cell.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: 'sum', values });
  }
}
