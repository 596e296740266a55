import type { Envelope, Origin, RemotePeer } from '../model/envelope.js';
import type { NetworkId } from '../model/network.js';

/** Message states. `done` once no delivery is left to try. */
export type MessageState = 'received' | 'opened' | 'routed' | 'done' | 'quarantined' | 'duplicate' | 'dropped';

/** Delivery states: one row per (message, envelope recipient). */
export type DeliveryState = 'pending' | 'queued' | 'sending' | 'delivered' | 'failed' | 'quarantined';

export interface QueueSummary {
  deliveries: Record<string, number>;
  messages: Record<string, number>;
  nextDue: number | null;
  /** `receivedAt` of the oldest message with a delivery pending, queued or sending; null when none. */
  oldestOpenAt: number | null;
}

export interface AcceptInput {
  source: Origin;
  mailFrom: string;
  recipients: string[];
  messageId: string | null;
  raw: Uint8Array;
  remote?: RemotePeer;
  /** For a notice the gateway writes: the message it is about. */
  relatedId?: string;
  /** Routes known at acceptance (notices): recipient → target. Others are routed later; a message with all its routes is `routed` at once. */
  routes?: Record<string, { network: NetworkId; address: string }>;
  receivedAt?: number;
  /**
   * For a notice: what it is about (`failure:ID`, `mdn:ID:RECIPIENT`…). The same key and
   * recipient accepted twice (queued again after a restart) is a duplicate, not sent again.
   */
  noticeKey?: string;
  /** The worker that will process the message it accepts (open, route): claimed in the same commit. */
  claimedBy?: Claimant;
}

export interface AcceptResult {
  id: string;
  /**
   * For a notice (`noticeKey`): recipients it was already queued for. Always empty for a
   * received message: whether it is a resend is decided after opening (`claimContent`).
   */
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

/** What an opened message claims: its content digest, per pending recipient, under its Message-ID. */
export interface ContentClaim {
  network: NetworkId;
  messageId: string;
  /** `contentDigest` of the opened message, or `rawDigest` of one that cannot be opened. */
  digest: string;
  recipients: string[];
}

/** The duplicate decision for one message, written in the same commit as its marks. */
export interface ClaimResult {
  /** Recipients this message is now the one to deliver to. */
  fresh: string[];
  /** Recipients an earlier message with the same Message-ID and the same content holds: not delivered again. */
  duplicates: { recipient: string; of: string }[];
  /** Fresh recipients for whom an earlier message used the same Message-ID with different content. */
  reused: { recipient: string; of: string }[];
  /** The message's state after the decision: `duplicate` when no recipient is left. */
  state: MessageState;
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
  /** For a quarantined message: the SMTP reply line its sender's notice carries. */
  reply: string | null;
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

/** Who claims work, and for how long: every claim carries its worker's id and a lease. */
export interface Claimant {
  /** The worker's id, unique across nodes (e.g. `host:pid:random`). */
  owner: string;
  /** How long the claim holds; past it, any worker may reclaim the work. */
  leaseMs: number;
}

/** What the pipeline writes when it quarantines a message: one transaction. */
export interface QuarantineRecord {
  /** The stage that stopped the message. */
  stage: string;
  /** The SMTP reply line of the error kind (`550 5.6.0 …`), kept for the sender's notice. */
  reply: string;
  /** Why, for the operator: the reply and a detail naming the rule (never content). */
  reason: string;
  /** Deliveries claimed by the stage that failed (translate): quarantined too. */
  deliveryIds?: number[];
  /** Events written with it. */
  events?: NewEvent[];
}

/** A message settled (done or quarantined) whose notices may still be owed. */
export interface NoticeDue {
  id: string;
  state: MessageState;
  stage: string | null;
  /** The reply line recorded when it was quarantined. */
  reply: string | null;
  /** A relay bounce: the message whose deliveries it failed (`recordBounce`); null for any other message. */
  relatedId: string | null;
}

/** Whether the store can be reached now: `since` (ms) and `reason` say when and why it went away. */
export type StoreAvailability = { available: true } | { available: false; since: number; reason: string };

/**
 * What another node (or an operator's command) made ready: deliveries due now, or messages to
 * process (a release, claims let go by a restarted node).
 */
export type WorkKind = 'deliveries' | 'messages';

/**
 * Who did an operator's action: the name of the API token or of the CLI's user. Written in the
 * message's trace with the action (audit), never a secret.
 */
export type Actor = string;

/** A network whose deliveries an operator holds. */
export interface NetworkHold {
  network: NetworkId;
  since: number;
  by: Actor;
}

/** What an operator searches messages by; every field narrows, newest first. */
export interface MessageQuery {
  /** Any of these states. */
  states?: MessageState[];
  /** The network the message came from. */
  source?: Origin;
  /** A delivery to this network. */
  target?: NetworkId;
  /** The envelope sender's domain (`medical33.lnp.test`), case-insensitive. */
  senderDomain?: string;
  /** The domain of one of its envelope recipients, case-insensitive. */
  recipientDomain?: string;
  /** Received at or after (epoch ms). */
  since?: number;
  /** Received before (epoch ms). */
  until?: number;
  /** Its Message-ID, exactly (with or without angle brackets). */
  messageId?: string;
  /** The stage that stopped it (quarantine). */
  stage?: string;
  /** Messages whose id sorts before this one: the next page (ids grow with time). */
  before?: string;
  limit: number;
}

/**
 * The gateway's durable state, as the pipeline sees it: every method async, every stage's
 * result written in one transaction, claims with an owner and a lease so that several
 * nodes can share one store. Time is always given by the caller (the clock port); the store
 * never reads it. One contract suite (`storage/contract/message-store-contract.ts`) runs
 * against every implementation.
 */
export interface MessageStore {
  /** Store a received message, its raw bytes and its recipients; resolves once committed (durably). */
  accept(input: AcceptInput, now: number): Promise<AcceptResult>;
  envelope(id: string): Promise<Envelope | null>;
  raw(id: string): Promise<Uint8Array | null>;
  message(id: string): Promise<MessageRow | null>;
  /** Pending deliveries of a message (not yet routed). */
  pendingDeliveries(id: string): Promise<DeliveryRow[]>;
  deliveries(id: string): Promise<DeliveryRow[]>;
  /**
   * Claim up to `limit` messages whose processing (open, route) is due: `received` or
   * `opened`, received before `receivedBefore`, not claimed or whose claim lapsed.
   */
  claimUnprocessed(now: number, limit: number, by: Claimant, receivedBefore?: number): Promise<string[]>;
  /**
   * After opening: is this message a resend? In one commit, per recipient of `claim` still
   * pending: when a `seen` row of another message has the same (network, Message-ID,
   * recipient) and the same digest (or no digest: a row written before digests were kept),
   * the recipient is a duplicate — its pending delivery is removed, an event names the
   * message it repeats; otherwise this message's row is written (a row of its own already
   * there is kept: a restart or a release runs it again) and, when another message holds the
   * same Message-ID with a different digest, an event says so. With no recipient left, the
   * message ends `duplicate` (no notice: its sender was answered for the first copy). Two
   * nodes claiming the same content at once: exactly one wins.
   */
  claimContent(id: string, claim: ContentClaim, now: number): Promise<ClaimResult>;
  /**
   * The route stage's decisions, its events and the message's new state, in one commit.
   * Resolves to the message's state: `done` when nothing is left to deliver (its notices due).
   */
  recordRouting(id: string, r: RoutingResult, now: number): Promise<MessageState>;
  /** A delivery attempt's outcomes and events, in one commit; resolves to the message's state after settling. */
  recordOutcomes(id: string, updates: OutcomeUpdate[], events: NewEvent[], now: number): Promise<MessageState>;
  /**
   * Quarantine a message in one commit: its unrouted (and the given claimed) deliveries, its
   * state, stage, reason and reply, its event, and its notices due.
   */
  quarantine(id: string, q: QuarantineRecord, now: number): Promise<void>;
  /**
   * Settle a bounce the relay sent after hand-over, in one commit: each marked delivery of
   * `originalId` that is still `delivered` becomes `failed` and remembers the bounce (its
   * event written with it); the bounce is linked to the original, marked `done` and its
   * notice made due. Resolves to the ids of the deliveries changed: one already failed is
   * left as it is, so a second report of the same failure, even on another node, changes
   * nothing and notifies nobody.
   */
  recordBounce(bounceId: string, originalId: string, marks: BounceMark[], now: number): Promise<number[]>;
  /** Deliveries a bounce marked failed (its notice names them). */
  bouncedBy(bounceId: string): Promise<DeliveryRow[]>;
  /** The notices a settled message calls for are queued: clear its `notices_due` flag. */
  noticesQueued(id: string): Promise<void>;
  /**
   * Settled messages whose notices may not be queued yet (a crash came in between), oldest
   * first; with `settledBefore`, only those settled earlier (not the ones a live worker is
   * notifying right now).
   */
  noticesDue(limit: number, settledBefore?: number): Promise<NoticeDue[]>;
  /**
   * Claim up to `limit` due deliveries (state → sending) for the claimant's lease. Deliveries
   * whose lease lapsed (their worker died, or stalled) are reclaimed too, flagged `uncertain`:
   * the send may have happened.
   */
  claimDue(now: number, limit: number, by: Claimant): Promise<DeliveryRow[]>;
  /**
   * Extend the leases a live worker holds; resolves to the number of claims renewed. With
   * `only`, just those of its claims (the work it still has in hand): a claim whose work ended
   * without its outcome being written (the store failed meanwhile) then lapses, and any worker
   * takes it up again (a send flagged `uncertain`), instead of being renewed for ever.
   */
  renewClaims(by: Claimant, now: number, only?: { deliveries: number[]; messages: string[] }): Promise<number>;
  /**
   * Let go at once of the claims of a previous run of this node (owners `NODE/…` other than
   * `current`): that run is over, no need to wait for its leases to lapse. Sends it had in
   * hand go back to the queue flagged `uncertain`.
   */
  releaseClaimsOfNode(node: string, current: string, now: number): Promise<{ requeued: number; unprocessed: number }>;
  /** Write events on a message's trace. */
  events(messageRef: string, events: NewEvent[], now: number): Promise<void>;
  trace(id: string): Promise<Trace | null>;
  /**
   * Counts per delivery state and per message state; the next due attempt; when the oldest
   * message with a delivery still to make (pending, queued, sending) was received (metrics,
   * readiness). Read at each scrape: engines answer from their state indexes.
   */
  summary(): Promise<QueueSummary>;
  /** Messages in a given state, newest first. */
  listMessages(state: MessageState, limit: number): Promise<MessageRow[]>;
  /** Messages matching an operator's query, newest first. */
  searchMessages(q: MessageQuery): Promise<MessageRow[]>;
  /**
   * Put a quarantined message back to `received` so the pipeline runs it again. False when it
   * is not quarantined. `by` is written in the trace.
   */
  release(id: string, now: number, by?: Actor): Promise<boolean>;
  /** Discard a quarantined message: its raw bytes are erased, its trace kept. False when it is not quarantined. */
  drop(id: string, now: number, by?: Actor): Promise<boolean>;
  /** Make a message's queued deliveries due now (an operator's "retry now"); resolves to how many. */
  retryNow(id: string, now: number, by?: Actor): Promise<number>;
  /**
   * Hold (or release) the deliveries to a network, on every node: `claimDue` skips them while
   * held. Resolves to false when it was already so.
   */
  holdNetwork(network: NetworkId, held: boolean, now: number, by: Actor): Promise<boolean>;
  /** The networks held now, with since when and by whom. */
  holds(): Promise<NetworkHold[]>;
  /**
   * Retention: erase the raw bytes of up to `limit` messages done before `doneBefore`, oldest
   * first, in one short commit, and write a `retention` event (`purged: …`) on each one's
   * trace; resolves to how many were purged (fewer than `limit`: nothing older is left).
   * "Done" is a message nothing is left to do for: `done` (every delivery delivered or
   * failed, a relay bounce settled) or `duplicate`, its notices queued, last changed before
   * `doneBefore`. Its row, deliveries and events are kept, and so is everything of a
   * message still in progress, quarantined (the operator decides) or owing notices.
   * Run again, it finds nothing more to do.
   */
  purgeRaw(doneBefore: number, limit: number, now: number): Promise<number>;
  close(): Promise<void>;

  // ---- optional capabilities of engines shared by several nodes (the worker uses them when present) ----

  /**
   * Calls `fn` when work became ready that this node was not told about in process: a commit
   * on another node (or by a command) that queued deliveries due now or made messages ready to
   * process, and once after the store was away (what was missed meanwhile). Coalesced by the
   * caller; a spurious call only costs a claim. Returns the unsubscribe function.
   * Single-node engines (SQLite) leave it out: the worker's own wake-ups and poll suffice.
   */
  onWork?(fn: (kind: WorkKind) => void): () => void;
  /** Whether the database can be reached now (an engine with a server that can go away). */
  availability?(): StoreAvailability;
  /** Calls `fn` on every change of `availability()` (away, back). Returns the unsubscribe function. */
  onAvailability?(fn: (a: StoreAvailability) => void): () => void;
}

/** @deprecated the old name of `MessageStore`. */
export type Store = MessageStore;

/**
 * Every message a query matches, newest first, read page by page (`before`): for the
 * operators' bulk actions (release or drop a quarantine, flush the routed queue), which act on
 * all that matches, not on one page.
 *
 * @example
 * const ids = (await allMessages(store, { states: ['quarantined'], stage: 'open' })).map((m) => m.id);
 */
export async function allMessages(store: Pick<MessageStore, 'searchMessages'>, query: Omit<MessageQuery, 'limit' | 'before'>, pageSize = 500): Promise<MessageRow[]> {
  const all: MessageRow[] = [];
  for (let before: string | undefined; ;) {
    const page = await store.searchMessages({ ...query, limit: pageSize, ...(before ? { before } : {}) });
    all.push(...page);
    if (page.length < pageSize) return all;
    before = page.at(-1)!.id;
  }
}
