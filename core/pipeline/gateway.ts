/**
 * The gateway's pipeline, assembled: the context every stage is given and the worker that
 * runs them. The stages themselves live one per file in `stages/` (open, route,
 * correlate-bounce, deliver, quarantine) and `notices/` (failure, disposition, quarantine,
 * relay-bounce); `worker.ts` claims work and hands each stage's result to the next.
 *
 * - `accept` commits the raw message and its recipients, claimed by this node's worker
 *   (the listener answers `250` after); the worker then opens and routes it.
 * - the worker claims due deliveries, and the deliver stage translates, seals and hands
 *   them over; outcomes go back to the store, with retries from the schedule, expiry and
 *   failure notices to the sender.
 *
 * @example
 * const gw = new Gateway({ store, adapters, resolver, log });
 * await gw.start();
 * const { id } = await gw.accept({ source: 'legacy', mailFrom, recipients, messageId, raw });
 */
import type { NetworkAdapter } from '../ports/adapter.js';
import type { NetworkId } from '../model/network.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { RouteResolver } from '../ports/route-resolver.js';
import type { AcceptInput, AcceptResult, MessageStore } from '../ports/message-store.js';
import { RetrySchedule, DEFAULT_RETRY_POLICY } from '../queue/retry-schedule.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { passThroughTranslator, type Translator } from '../ports/translator.js';
import { noopObserver, type PipelineObserver } from '../ports/observer.js';
import { OpenedCache, type GatewayStats, type PipelineContext } from './context.js';
import { Worker } from './worker.js';
import { webCryptoSha256, type Sha256 } from '../../lib/sha256.js';

export type { GatewayStats } from './context.js';

export interface GatewayOptions {
  store: MessageStore;
  adapters: Partial<Record<NetworkId, NetworkAdapter>>;
  resolver: RouteResolver;
  translator?: Translator;
  schedule?: RetrySchedule;
  clock?: Clock;
  log?: Logger;
  /** Metrics (`core/ports/observer.ts`); default: none. */
  observer?: PipelineObserver;
  /** This node's name, stable across restarts (default `node`): claims carry it. */
  node?: string;
  /** Deliveries handed over at once. */
  concurrency?: number;
  /** How long a claim holds without renewal (default 60 s; renewed every third of it). */
  leaseMs?: number;
  pollMs?: number;
  /** Domain used in the Message-IDs the gateway writes. */
  domain?: string;
  /** Start with deliveries held (messages are still accepted, opened and routed). */
  holdDeliveries?: boolean;
  /** SHA-256 for content digests (default WebCrypto's; `app/node/native-hash.ts` on Node). */
  sha256?: Sha256;
}

export class Gateway {
  readonly store: MessageStore;
  readonly stats: GatewayStats = { accepted: 0, opened: 0, delivered: 0, failed: 0, quarantined: 0 };
  private readonly ctx: PipelineContext;
  private readonly worker: Worker;
  private readonly listeners = new Set<(id: string, state: string) => void>();

  constructor(o: GatewayOptions) {
    this.store = o.store;
    this.ctx = {
      store: o.store,
      adapters: o.adapters,
      resolver: o.resolver,
      translator: o.translator ?? passThroughTranslator,
      schedule: o.schedule ?? RetrySchedule.from(DEFAULT_RETRY_POLICY),
      clock: o.clock ?? systemClock,
      log: o.log ?? silentLogger,
      observer: o.observer ?? noopObserver,
      domain: o.domain ?? 'passerelle.invalid',
      sha256: o.sha256 ?? webCryptoSha256,
      opened: new OpenedCache(),
      stats: this.stats,
      settled: (id, state) => {
        for (const l of this.listeners) l(id, state);
      },
      wake: () => this.worker.wake(),
    };
    this.worker = new Worker(this.ctx, {
      node: o.node ?? 'node', concurrency: o.concurrency ?? 16, leaseMs: o.leaseMs ?? 60_000, pollMs: o.pollMs ?? 1000,
      held: o.holdDeliveries ?? false,
    });
  }

  /** Hold deliveries (maintenance): messages are still accepted, opened and routed. */
  holdDeliveries(): void {
    this.worker.hold();
  }

  releaseDeliveries(): void {
    this.worker.release();
  }

  /** New work may be waiting (an operator released a message or asked for a retry): look now. */
  wake(): void {
    this.worker.wake();
  }

  /** Resume what a previous run left, then keep processing and delivering until `stop`. */
  start(): Promise<void> {
    return this.worker.start();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** Called when a message settles (done, quarantined): tests and the demo wait on it. */
  onSettled(fn: (id: string, state: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * The accept stage: commit a received message, claimed by this node's worker. Resolves once
   * it is durable: only then may the listener say 250. The worker then opens and routes it.
   */
  async accept(input: AcceptInput): Promise<AcceptResult> {
    const res = await this.store.accept({ ...input, claimedBy: this.worker.claimant }, this.ctx.clock.now());
    this.stats.accepted++;
    this.ctx.observer.accepted(input.source);
    if (res.duplicates.length < input.recipients.length) this.worker.accepted(res.id, input.raw, res.envelope);
    return res;
  }
}
