/**
 * What the pipeline tells whoever watches it (metrics): a message accepted, each delivery
 * attempt's outcome, a quarantine, how long translating and sealing took. The core calls
 * these on its hot path, so an implementation must be cheap (counters with label sets bound
 * in advance, no I/O); `app/node/metrics.ts` implements it with prom-client. Only networks,
 * stages, error kinds and SMTP reply codes cross this port: never an address or content.
 *
 * @example
 * const gw = new Gateway({ store, adapters, resolver, observer: metrics.observer });
 */

/** One delivery attempt for one recipient, as the queue records it. */
export type AttemptResult = 'delivered' | 'deferred' | 'failed' | 'expired';

/** Timed steps of the delivery stage. */
export type TimedStage = 'translate' | 'seal' | 'handover';

export interface PipelineObserver {
  /** A message was committed from `source` (the sender is about to hear 250). */
  accepted(source: string): void;
  /**
   * One recipient's attempt: `from` the network the message came from (`gateway` for the
   * gateway's own notices), `to` the network it was handed to, the 3-digit SMTP reply code,
   * `latencyMs` from acceptance to this outcome, `attempt` counting from 1.
   */
  outcome(from: string, to: string, result: AttemptResult, replyCode: string, latencyMs: number, attempt: number): void;
  /** A message was quarantined at `stage` for an error of `kind` (`core/errors/reply-codes.ts`). */
  quarantined(stage: string, kind: string): void;
  /** A step of the delivery stage took `ms` for one group of deliveries to `network`. */
  timing(stage: TimedStage, network: string, ms: number): void;
}

/** Watches nothing (the default). */
export const noopObserver: PipelineObserver = {
  accepted() {},
  outcome() {},
  quarantined() {},
  timing() {},
};
