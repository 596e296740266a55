/**
 * What every pipeline stage is given: the ports (message store, adapters, route resolver,
 * translator, clock), policy (retry schedule), and the node's small caches and counters.
 * Stages are functions of this context and a job; they hold no state of their own.
 */
import type { NetworkAdapter } from '../ports/adapter.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Clock } from '../ports/clock.js';
import type { OpenedMessage } from '../model/message.js';
import type { NetworkId } from '../model/network.js';
import type { RouteResolver } from '../ports/route-resolver.js';
import type { Logger } from '../log/logger.js';
import type { RetrySchedule } from '../queue/retry-schedule.js';
import type { MessageStore } from '../ports/message-store.js';
import type { Translator } from '../ports/translator.js';
import type { Sha256 } from '../../lib/sha256.js';
import type { PipelineObserver } from '../ports/observer.js';

export interface GatewayStats {
  accepted: number;
  opened: number;
  delivered: number;
  failed: number;
  quarantined: number;
}

export interface PipelineContext {
  store: MessageStore;
  adapters: Partial<Record<NetworkId, NetworkAdapter>>;
  resolver: RouteResolver;
  translator: Translator;
  schedule: RetrySchedule;
  clock: Clock;
  log: Logger;
  /** Metrics: counters and timings of accepts, attempts, quarantines (no-op by default). */
  observer: PipelineObserver;
  /** Domain used in the Message-IDs the gateway writes. */
  domain: string;
  /** SHA-256 for content digests (WebCrypto by default; the Node runtime gives OpenSSL's). */
  sha256: Sha256;
  /** Opened messages of this node, so that the first delivery attempt need not open again. */
  opened: OpenedCache;
  stats: GatewayStats;
  /** A message changed state (settled, quarantined): tests and the demo wait on it. */
  settled(id: string, state: string): void;
  /** New deliveries are due: the worker claims them. */
  wake(): void;
}

/** A bounded cache of opened messages (oldest out first). */
export class OpenedCache {
  private readonly map = new Map<string, OpenedMessage>();
  constructor(private readonly max = 2000) {}
  get(id: string): OpenedMessage | undefined {
    return this.map.get(id);
  }
  set(id: string, m: OpenedMessage): void {
    this.map.set(id, m);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
  delete(id: string): void {
    this.map.delete(id);
  }
}

/** The opened form of a stored message: from the cache, else opened again from its raw bytes. */
export async function openedMessage(ctx: PipelineContext, id: string): Promise<OpenedMessage> {
  const cached = ctx.opened.get(id);
  if (cached) return cached;
  const [env, raw] = await Promise.all([ctx.store.envelope(id), ctx.store.raw(id)]);
  if (!env || !raw) throw new GatewayError('CANNOT_OPEN', { detail: 'message missing from the store' });
  const adapter = ctx.adapters[env.source as NetworkId];
  if (!adapter) throw new GatewayError('NO_ROUTE', { detail: `no adapter for network ${env.source}` });
  const m = await adapter.open(raw, env);
  ctx.opened.set(id, m);
  return m;
}
