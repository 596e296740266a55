/**
 * The gateway's Prometheus metrics (prom-client): the core's `PipelineObserver` as counters
 * and histograms, and gauges read at each scrape from what the node already holds (the
 * store's summary, the trust list loader, the CRLs, the certificates, the directory's
 * imports). Every series carries this node's name (`node` label). The list, with the meaning
 * of each series, is in `docs/operations.md`.
 *
 * The observer is on the pipeline's hot path: each call finds a label set bound once (per
 * pair of networks, per reply code) in small nested tables and adds to plain numbers
 * (`local-series.ts`), with no allocation after the first call for that set.
 *
 * @example
 * const m = new GatewayMetrics({ node: 'gw1', store });
 * new Gateway({ …, observer: m.observer });
 * await m.text(); // Prometheus text exposition
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LocalCounter, LocalHistogram, type CounterCell, type HistogramCell } from './local-series.js';
import { MinuteHistory } from './minute-history.js';
import type { PipelineObserver, AttemptResult, TimedStage } from '../../core/ports/observer.js';
import type { QueueSummary } from '../../core/ports/message-store.js';

/** A certificate whose expiry is watched. `role`: `gateway` (its own) or `anchor`. */
export interface WatchedCertificate {
  role: 'gateway' | 'anchor';
  /** A name for the series (the CN of a CA or of the gateway: never a person's). */
  name: string;
  notBefore: Date;
  notAfter: Date;
}

export interface TrustListFigures {
  /** Age of the copy in use, ms; null when none. */
  ageMs: number | null;
  domains: number;
  /** The last refresh failed (the previous copy is kept). */
  failing: boolean;
}

/** Where the scrape-time gauges read from; each is optional (a node without a national side has no trust list). */
export interface MetricsSources {
  /** This node's name: the `node` label of every series. */
  node: string;
  summary: () => Promise<QueueSummary>;
  trustList?: () => TrustListFigures;
  /** `nextUpdate` of each CRL in use (epoch ms). */
  crlNextUpdates?: () => number[];
  certificates?: () => WatchedCertificate[];
  /** When each directory source last finished an import (epoch ms), from the directory store. */
  directoryImports?: () => Promise<Record<string, number>>;
  /** Add Node's default metrics (event-loop lag, heap, GC, CPU). Default true. */
  defaultMetrics?: boolean;
  now?: () => number;
}

/** Accept → hand-over latency buckets, seconds: a second to a day (retries). */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];
/** Stage durations (translate, seal, hand-over), seconds. */
const STAGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Attempts a delivery needed. */
const ATTEMPT_BUCKETS = [1, 2, 3, 4, 6, 8, 12, 20];
/** How long the store's summary is shared between the gauges of one scrape. */
const SUMMARY_TTL_MS = 1000;
/** The directory's imports change rarely: read at most this often. */
const DIRECTORY_TTL_MS = 60_000;
/** The window of "deferrals in the last 5 minutes" (readiness), in one-minute buckets. */
const DEFERRAL_WINDOW_MIN = 5;

type C = CounterCell;
type H = HistogramCell;

/** Label sets of one (from, to) pair of networks, bound on first use. */
interface PairSeries {
  delivered: C;
  attempts: C;
  latency: H;
  attemptsNeeded: H;
  deferred: Record<string, C>;
  failed: Record<string, C>;
  expired: Record<string, C>;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  /** Per minute, for the console's charts (the last six hours, in memory). */
  readonly history = new MinuteHistory();
  readonly observer: PipelineObserver;
  private readonly now: () => number;
  private readonly accepted: LocalCounter;
  private readonly delivered: LocalCounter;
  private readonly deferred: LocalCounter;
  private readonly failed: LocalCounter;
  private readonly attempts: LocalCounter;
  private readonly quarantined: LocalCounter;
  private readonly tlsRefusals: LocalCounter;
  private readonly latency: LocalHistogram;
  private readonly attemptsNeeded: LocalHistogram;
  private readonly stageDuration: LocalHistogram;
  private readonly acceptedBy: Record<string, C> = {};
  private readonly pairs: Record<string, Record<string, PairSeries>> = {};
  private readonly quarantinedBy: Record<string, Record<string, C>> = {};
  private readonly refusedBy: Record<string, Record<string, C>> = {};
  private readonly timedBy: Record<string, Record<string, H>> = {};
  private readonly deferralMinute = new Array<number>(DEFERRAL_WINDOW_MIN).fill(-1);
  private readonly deferralCount = new Array<number>(DEFERRAL_WINDOW_MIN).fill(0);
  private summaryAt = 0;
  private summaryP: Promise<QueueSummary> | null = null;
  private directoryAt = 0;
  private directoryP: Promise<Record<string, number>> | null = null;

  constructor(private readonly src: MetricsSources) {
    this.now = src.now ?? Date.now;
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: src.node });
    if (src.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });

    const r = this.registry;
    this.accepted = new LocalCounter(r, 'passerelle_accepted_total', 'Messages committed (the sender heard 250), by the network they came from');
    this.delivered = new LocalCounter(r, 'passerelle_delivered_total', 'Deliveries handed over and accepted by the target network, by source and target network');
    this.deferred = new LocalCounter(r, 'passerelle_deferred_total', 'Delivery attempts refused for now (retried on the schedule), by source, target and SMTP reply code');
    this.failed = new LocalCounter(r, 'passerelle_failed_total', 'Deliveries failed for good (refused, or expired after retries), by source, target, reply code and reason');
    this.attempts = new LocalCounter(r, 'passerelle_delivery_attempts_total', 'Delivery attempts (one per recipient per try), by source and target network');
    this.quarantined = new LocalCounter(r, 'passerelle_quarantined_total', 'Messages quarantined, by stage and error kind');
    this.tlsRefusals = new LocalCounter(r, 'passerelle_national_refusals_total', "The national listener's refusals of operators, by SMTP stage (tls, mail, rcpt) and reason (error kind)");
    this.latency = new LocalHistogram(r, 'passerelle_handover_latency_seconds', 'From acceptance to hand-over to the target network (delivered deliveries), by source and target', LATENCY_BUCKETS);
    this.attemptsNeeded = new LocalHistogram(r, 'passerelle_delivered_attempts', 'Attempts a delivered delivery needed', ATTEMPT_BUCKETS);
    this.stageDuration = new LocalHistogram(r, 'passerelle_stage_duration_seconds', 'Duration of translate, seal and hand-over, per group of deliveries, by target network', STAGE_BUCKETS);

    const self = this;
    new Gauge({
      name: 'passerelle_queue_deliveries', help: 'Deliveries by state (pending, queued, sending, delivered, failed, quarantined), from the store', labelNames: ['state'], registers,
      async collect() {
        const s = await self.summary();
        this.reset();
        for (const [state, n] of Object.entries(s.deliveries)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'passerelle_queue_messages', help: 'Messages by state (received, opened, routed, done, quarantined, duplicate), from the store', labelNames: ['state'], registers,
      async collect() {
        const s = await self.summary();
        this.reset();
        for (const [state, n] of Object.entries(s.messages)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: 'passerelle_queue_oldest_age_seconds', help: 'Age of the oldest message with a delivery still to make (0 when none)', registers,
      async collect() {
        const s = await self.summary();
        this.set(s.oldestOpenAt === null ? 0 : Math.max(0, (self.now() - s.oldestOpenAt) / 1000));
      },
    });
    if (src.trustList) {
      const tl = src.trustList;
      new Gauge({ name: 'passerelle_trust_list_age_seconds', help: 'Age of the national trust list in use', registers, collect() {
        const t = tl();
        if (t.ageMs !== null) this.set(t.ageMs / 1000);
      } });
      new Gauge({ name: 'passerelle_trust_list_domains', help: 'Domains on the national trust list in use', registers, collect() {
        this.set(tl().domains);
      } });
      new Gauge({ name: 'passerelle_trust_list_refresh_failing', help: '1 when the last trust list refresh failed (the previous copy is kept)', registers, collect() {
        this.set(tl().failing ? 1 : 0);
      } });
    }
    if (src.crlNextUpdates) {
      const crls = src.crlNextUpdates;
      new Gauge({ name: 'passerelle_crl_next_update_seconds', help: 'Seconds until the earliest nextUpdate of the CRLs in use (negative: overdue); absent without CRLs', registers, collect() {
        this.reset();
        const next = crls();
        if (next.length) this.set((Math.min(...next) - self.now()) / 1000);
      } });
    }
    if (src.certificates) {
      const certs = src.certificates;
      new Gauge({ name: 'passerelle_certificate_expiry_days', help: "Days until the certificate expires (negative: expired): the gateway's own and each anchor", labelNames: ['role', 'name'], registers, collect() {
        this.reset();
        for (const c of certs()) this.set({ role: c.role, name: c.name }, (c.notAfter.getTime() - self.now()) / 86_400_000);
      } });
    }
    if (src.directoryImports) {
      new Gauge({ name: 'passerelle_directory_sync_age_seconds', help: 'Since the last finished import of each directory source (national, legacy)', labelNames: ['source'], registers, async collect() {
        const last = await self.directoryImports();
        this.reset();
        for (const [source, at] of Object.entries(last)) this.set({ source }, Math.max(0, (self.now() - at) / 1000));
      } });
    }

    this.observer = {
      accepted: (source) => void (this.acceptedBy[source] ??= this.accepted.bind({ network: source })).value++,
      outcome: (from, to, result, code, latencyMs, attempt) => this.outcome(from, to, result, code, latencyMs, attempt),
      quarantined: (stage, kind) => void ((this.quarantinedBy[stage] ??= {})[kind] ??= this.quarantined.bind({ stage, kind })).value++,
      timing: (stage: TimedStage, network, ms) => ((this.timedBy[stage] ??= {})[network] ??= this.stageDuration.bind({ stage, network })).observe(ms / 1000),
    };
  }

  /** The national listener refused an operator (`stage`: tls, mail, rcpt; `reason`: the error kind). */
  refused(stage: string, reason: string): void {
    ((this.refusedBy[stage] ??= {})[reason] ??= this.tlsRefusals.bind({ stage, reason })).value++;
  }

  /** Deferred attempts in the last five minutes (one-minute resolution): what an alert on a struggling peer needs. */
  deferralsLast5m(): number {
    const m = Math.floor(this.now() / 60_000);
    let n = 0;
    for (let i = 0; i < DEFERRAL_WINDOW_MIN; i++) if (this.deferralMinute[i]! > m - DEFERRAL_WINDOW_MIN) n += this.deferralCount[i]!;
    return n;
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The store's summary, shared by the gauges of one scrape (and by `/ready`). */
  summary(): Promise<QueueSummary> {
    const now = this.now();
    if (!this.summaryP || now - this.summaryAt > SUMMARY_TTL_MS) {
      this.summaryAt = now;
      this.summaryP = this.src.summary();
      this.summaryP.catch(() => (this.summaryP = null));
    }
    return this.summaryP;
  }

  private directoryImports(): Promise<Record<string, number>> {
    const now = this.now();
    if (!this.directoryP || now - this.directoryAt > DIRECTORY_TTL_MS) {
      this.directoryAt = now;
      this.directoryP = this.src.directoryImports!();
      this.directoryP.catch(() => (this.directoryP = null));
    }
    return this.directoryP;
  }

  private pair(from: string, to: string): PairSeries {
    const byTo = (this.pairs[from] ??= {});
    return (byTo[to] ??= {
      delivered: this.delivered.bind({ from, to }), attempts: this.attempts.bind({ from, to }),
      latency: this.latency.bind({ from, to }), attemptsNeeded: this.attemptsNeeded.bind({ from, to }),
      deferred: {}, failed: {}, expired: {},
    });
  }

  private outcome(from: string, to: string, result: AttemptResult, code: string, latencyMs: number, attempt: number): void {
    const p = this.pair(from, to);
    p.attempts.value++;
    switch (result) {
      case 'delivered':
        p.delivered.value++;
        p.latency.observe(latencyMs / 1000);
        this.history.record(`${from}→${to}`, latencyMs, this.now());
        p.attemptsNeeded.observe(attempt);
        break;
      case 'deferred': {
        (p.deferred[code] ??= this.deferred.bind({ from, to, code })).value++;
        const m = Math.floor(this.now() / 60_000);
        const i = m % DEFERRAL_WINDOW_MIN;
        if (this.deferralMinute[i] !== m) {
          this.deferralMinute[i] = m;
          this.deferralCount[i] = 0;
        }
        this.deferralCount[i]!++;
        break;
      }
      case 'failed':
        (p.failed[code] ??= this.failed.bind({ from, to, code, reason: 'refused' })).value++;
        break;
      case 'expired':
        (p.expired[code] ??= this.failed.bind({ from, to, code, reason: 'expired' })).value++;
        break;
    }
  }
}
