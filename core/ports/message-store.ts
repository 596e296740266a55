import type { Envelope, Origin, RemotePeer } from '../model/envelope.js';
import type { NetworkId } from '../model/network.js';

/** Message states. `done` once no delivery is left to try. */
export type MessageState = 'received' | 'opened' | 'routed' | 'done' | 'quarantined' | 'duplicate' | 'dropped';

/** Delivery states: one row per (message, envelope recipient). */
export type DeliveryState = 'pending' | 'queued' | 'sending' | 'delivered' | 'failed' | 'quarantined';

export interface AcceptInput {
  source: Origin;
  mailFrom: string;
  recipients: string[];
  messageId: string | null;
  raw: Uint8Array;
  remote?: RemotePeer;
  /** For a notice the gateway writes: the message it is about. */
  relatedId?: string;
  /** Routes known at acceptance (notices): recipient → target. Others are routed later. */
  routes?: Record<string, { network: NetworkId; address: string }>;
  receivedAt?: number;
  /**
   * For a notice: what it is about (`failure:ID`, `mdn:DELIVERY`…). The same key and
   * recipient accepted twice (queued again after a restart) is a duplicate, not sent again.
   */
  noticeKey?: string;
}

export interface AcceptResult {
  id: string;
  /** Recipients already accepted earlier for the same (network, Message-ID): not delivered again. */
  duplicates: string[];
  /** The envelope as stored (recipients: the ones that will be delivered). */
  envelope: Envelope;
}

/** An event to add to a message's trace. */
export interface NewEvent {
  stage: string;
  level: EventRow['level'];
  detail: string;
  recipient?: string;
}

/** What the route stage decided for a message's pending recipients, written at once. */
export interface RoutingResult {
  routes: { recipient: string; network: NetworkId; address: string }[];
  failures: { recipient: string; reply: string }[];
  events: NewEvent[];
}

/** A delivery attempt's outcome for one delivery row. */
export type OutcomeUpdate =
  | { deliveryId: number; state: 'delivered'; reply: string }
  | { deliveryId: number; state: 'queued'; nextAttemptAt: number; reply: string }
  | { deliveryId: number; state: 'failed'; reply: string }
  | { deliveryId: number; state: 'quarantined'; reply: string };

/** A delivery a relay bounce reports failed after hand-over, with the event to write when it changes. */
export interface BounceMark {
  deliveryId: number;
  /** The reply line kept as the delivery's last error, e.g. `550 5.2.1 subscriber suspended`. */
  reply: string;
  /** Written on the original message's trace, only when the delivery changes. */
  event: NewEvent;
}

export interface DeliveryRow {
  id: number;
  messageRef: string;
  recipient: string;
  targetNetwork: NetworkId | null;
  targetAddress: string | null;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  uncertain: boolean;
}

export interface MessageRow {
  id: string;
  source: Origin;
  mailFrom: string;
  messageId: string | null;
  receivedAt: number;
  size: number;
  state: MessageState;
  stage: string | null;
  reason: string | null;
  relatedId: string | null;
}

export interface EventRow {
  at: number;
  stage: string;
  level: 'info' | 'warn' | 'error';
  detail: string;
  recipient: string | null;
}

export interface Trace {
  message: MessageRow;
  deliveries: DeliveryRow[];
  events: EventRow[];
}

/**
 * The gateway's durable state, as the pipeline sees it. `SqliteStore` implements it over
 * better-sqlite3; a D1 implementation can follow the same contract.
 */
export interface Store {
  /** Store a received message, its raw bytes and its recipients; resolves once committed. */
  accept(input: AcceptInput): Promise<AcceptResult>;
  envelope(id: string): Envelope | null;
  raw(id: string): Uint8Array | null;
  message(id: string): MessageRow | null;
  setMessageState(id: string, state: MessageState, why?: { stage: string; reason: string }): void;
  /** Pending deliveries of a message (not yet routed). */
  pendingDeliveries(id: string): DeliveryRow[];
  deliveries(id: string): DeliveryRow[];
  /** Write the route stage's decisions and events together (group-committed with other writes). */
  recordRouting(id: string, r: RoutingResult, now: number): Promise<void>;
  /** Write a delivery attempt's outcomes and events together; resolves to the message's state after settling. */
  recordOutcomes(id: string, updates: OutcomeUpdate[], events: NewEvent[], now: number): Promise<MessageState>;
  /**
   * Settle a bounce the relay sent after hand-over: each marked delivery of `originalId` that
   * is still `delivered` becomes `failed` (its event written with it); the bounce's own
   * deliveries are consumed and it is marked `done`, all in one commit. Resolves to the ids of
   * the deliveries changed: one already failed is left as it is, so a second report of the
   * same failure changes nothing.
   */
  recordBounce(bounceId: string, originalId: string, marks: BounceMark[], now: number): Promise<number[]>;
  /** The notices a settled message calls for are queued: clear its `notices_due` flag. */
  noticesQueued(id: string): void;
  /** Settled messages whose notices may not be queued yet (a crash came in between), oldest first. */
  noticesDue(limit: number): string[];
  /** Claim up to `limit` due deliveries (state → sending) for `leaseMs`. */
  claimDue(now: number, limit: number, leaseMs: number): DeliveryRow[];
  /** Quarantine the deliveries of a message that were not routed yet. */
  quarantinePending(id: string, reply: string, now: number): void;
  /**
   * Messages whose processing (open, route) did not finish, oldest first; with
   * `receivedBefore`, only those received earlier (not the ones being accepted right now).
   */
  unprocessed(limit: number, receivedBefore?: number): string[];
  /** After a restart: `sending` deliveries go back to `queued`, flagged uncertain. */
  recover(now: number): { requeued: number; unprocessed: number };
  /** Mark a message done when none of its deliveries is left to try. */
  settle(id: string, now: number): MessageState;
  event(messageRef: string, stage: string, level: EventRow['level'], detail: string, recipient?: string): void;
  trace(id: string): Trace | null;
  /** Counts per delivery state and per message state. */
  summary(): { deliveries: Record<string, number>; messages: Record<string, number>; nextDue: number | null };
  /** Messages in a given state, newest first. */
  listMessages(state: MessageState, limit: number): MessageRow[];
  /** Put a quarantined message back to `received` so the pipeline runs it again. False when it is not quarantined. */
  release(id: string, now: number): boolean;
  /** Discard a quarantined message: its raw bytes are erased, its trace kept. False when it is not quarantined. */
  drop(id: string, now: number): boolean;
  close(): void;
}
