/**
 * `MessageStore` on PostgreSQL, for several gateway nodes sharing one database.
 *
 * - **Group commit.** Writes queued in the same turn of the event loop (accepts, routing
 *   decisions, outcomes, notices…) run in one transaction on one connection, and each promise
 *   resolves only after the COMMIT returned: with `synchronous_commit` on, once the WAL is on
 *   disk. Should one of them fail, the transaction is rolled back and each write of the batch
 *   runs again alone, in order, so that only the failing one fails (savepoints would cost two
 *   round trips per write on the happy path). A COMMIT whose answer is lost fails its writes
 *   rather than running them again (they may be committed). A batch still in flight does not hold the next
 *   one back: it takes another connection of the pool. A write that loses a deadlock to
 *   another node, or a serialization failure, is run again.
 * - **Claims** (`claimUnprocessed`, `claimDue`) are single statements that lock their rows
 *   with `FOR UPDATE SKIP LOCKED`, so nodes claiming at once never wait for each other nor
 *   get the same row, and write the owner and the lease with the claim.
 * - **`seen`** has a primary key: `INSERT … ON CONFLICT DO NOTHING` decides, across every
 *   node, which copy of a (network, Message-ID, recipient) is the first.
 * - Raw messages are `bytea`; times are `bigint` milliseconds given by the caller, never read
 *   from the database's clock.
 * - **Wake-ups across nodes.** A write that makes deliveries due now (a routing decision, a
 *   notice accepted with its routes, claims let go) or messages ready to process (a release)
 *   sends `NOTIFY` on the gateway's channel in its own transaction (delivered only if it
 *   commits; PostgreSQL folds identical ones of one transaction into one). Each store listens
 *   on a dedicated connection (`link.ts`) and calls its `onWork` subscribers for the other
 *   nodes' notifications, and once after a reconnection.
 * - **When the database is away** (`availability`, `onAvailability`, from `link.ts`): an
 *   accept of a received message fails at once with `STORE_UNAVAILABLE` (`451 4.3.0`: nothing
 *   is acknowledged without its commit); the other writes (a notice the gateway queues too) and the reads wait for the server to be back, up to
 *   `holdMs`, then run (a write the outage cut before its COMMIT runs again; one whose COMMIT
 *   answer was lost fails, as ever); past `holdMs` they fail with `STORE_UNAVAILABLE`. The
 *   line reconnects with backoff, and the pool makes new connections once the server answers.
 *
 * @example
 * const store = await PostgresStore.open('postgres://passerelle@db.example/passerelle');
 * const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@x.lnp.test',
 *   recipients: ['b@interop.lnp.test'], messageId: '<1@x>', raw }, Date.now());
 */
import { messageFilter, operator } from '../shared/message-query.js';
import { migratePostgres } from './database.js';
import { nodePostgresClient } from './node-postgres-client.js';
import { checkSchemaName, commitInDoubt, RETRYABLE_SQLSTATES, sqlState, type DedicatedSession, type SqlClient, type SqlClientOptions, type SqlSession } from './sql-client.js';
import { PostgresLink, reasonOf, serverAway, type LinkOptions } from './link.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import { messageIdTimeBound, newMessageId } from '../sqlite/ids.js';
import type { Clock } from '../../core/ports/clock.js';
import type { Exclusive, JobHolder, JobLock } from '../../core/ports/job-lock.js';
import type { Envelope, Origin, RemotePeer } from '../../core/model/envelope.js';
import type { NetworkId } from '../../core/model/network.js';
import type {
  AcceptInput, AcceptResult, BounceMark, Claimant, ClaimResult, ContentClaim, DeliveryRow, DeliveryState, EventRow, MessageRow, MessageState, MessageStore, NewEvent,
  NoticeDue, OutcomeUpdate, QuarantineRecord, RoutingResult, StoreAvailability, Trace, WorkKind, Actor, MessageQuery, NetworkHold,
  QueueSummary,
} from '../../core/ports/message-store.js';

export interface PostgresStoreOptions extends SqlClientOptions {
  /** Group the writes of one turn of the event loop into one transaction (default true). */
  groupCommit?: boolean;
  /** At most this many writes in one transaction (default 64). */
  maxBatch?: number;
  /**
   * At most this many transactions of grouped writes at once (default 1): the writes queued
   * meanwhile wait for it to end and go together in the next, so that a transaction's `BEGIN`,
   * `COMMIT` and WAL flush serve many writes when they come fast (with no limit, a node at
   * 200 messages/s ran two transactions a message, of 2.4 writes each).
   */
  maxWriters?: number;
  /**
   * While the database is away, how long a write other than an accept (and a read) waits for it
   * before failing with `STORE_UNAVAILABLE` (default 30 s; keep it under the claims' lease).
   */
  holdMs?: number;
  /**
   * The line's reconnection delays, connect timeout and heartbeat (`link.ts`); `false`: no line
   * (a command: it still notifies the nodes of the work it makes ready, but hears nothing and
   * does not watch the server).
   */
  link?: Pick<LinkOptions, 'reconnect' | 'connectTimeoutMs' | 'heartbeatMs' | 'heartbeatTimeoutMs'> | false;
  /** Milliseconds since the epoch, for the time the database went away (default the system's clock). */
  now?: () => number;
}

/** The notification channel of the gateway's tables in `schema` (nodes of another schema do not hear them). */
export function workChannel(schema?: string): string {
  return schema ? `passerelle_work_${checkSchemaName(schema)}` : 'passerelle_work';
}

interface QueuedWrite {
  op: (tx: SqlSession) => Promise<unknown>;
  resolve: (r: never) => void;
  reject: (e: unknown) => void;
  /** Times it was run again after a deadlock or a serialization failure. */
  retries: number;
  /** The work its commit makes ready for other nodes (notified in its transaction). */
  notify?: WorkKind;
  /** Fails at once while the database is away instead of waiting for it (an accept: the sender is answered 451). */
  failFast?: boolean;
  /**
   * Never runs again once its COMMIT's answer was lost (an accept: a second run would store a
   * second message; an operator's release or drop: it would answer false). The other writes run
   * again when the server is back: each is conditional on the rows' states, so a write that did
   * commit changes nothing the second time (its events may show twice on the trace).
   */
  once?: boolean;
  /** Past this time (ms, the store's clock), a write waiting for the database fails. */
  deadline: number;
  /** Its wait for the database, while it is held. */
  timer?: ReturnType<typeof setTimeout>;
}

const MAX_RETRIES = 5;
/** How often at most `claimDue` looks for sends whose claim lapsed (ms; a quarter of the lease when shorter). */
const LAPSED_CHECK_MS = 1_000;

// ---- statements (one text each: prepared once per connection) ----

/**
 * An event list as a CTE: `$E` … `$E+3` are the stages, levels, details and recipients (arrays),
 * inserted in their order for message `$1` at `$2`.
 */
const eventsCte = (e: number) => `INSERT INTO events (message_ref, at, stage, level, detail, recipient)
    SELECT $1::text, $2::bigint, u.s, u.l, u.d, u.r FROM unnest($${e}::text[], $${e + 1}::text[], $${e + 2}::text[], $${e + 3}::text[])
      WITH ORDINALITY AS u(s, l, d, r, i) ORDER BY u.i`;

const EVENTS = eventsCte(3);

/** Delivery states still to be worked on: a message with none left is settled. */
const OPEN = `('pending', 'queued', 'sending')`;
/** Settling (done, quarantined) raises "notices to queue" in the same write: a crash after it leaves the flag for any node. */
const NOTICES_DUE = `(source <> 'gateway')`;

/**
 * A whole acceptance in one statement (one round trip): the `seen` rows (`$14` network, `$15`
 * key; none when `$14` is null) decide which recipients are fresh, across every node; then the
 * message (`duplicate`, `routed` when every fresh recipient has a route, else `received` and
 * claimed by `$9` until `$10`), its raw bytes, one delivery per fresh recipient and the
 * `receive` event. Returns the fresh recipients in their order.
 */
const ACCEPT = `WITH s AS (
    INSERT INTO seen (network, message_id, recipient, message_ref)
    SELECT $14::text, $15::text, u.r, $1::text FROM unnest($11::text[]) WITH ORDINALITY AS u(r, i)
    WHERE $14::text IS NOT NULL ORDER BY u.i
    ON CONFLICT DO NOTHING RETURNING recipient
  ), f AS (
    SELECT u.r, u.n, u.a, u.i FROM unnest($11::text[], $12::text[], $13::text[]) WITH ORDINALITY AS u(r, n, a, i)
    WHERE $14::text IS NULL OR u.r IN (SELECT recipient FROM s)
  ), st AS (
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM f) THEN 'duplicate' WHEN EXISTS (SELECT 1 FROM f WHERE f.n IS NULL) THEN 'received' ELSE 'routed' END AS state,
      (SELECT count(*) FROM f) AS fresh
  ), m AS (
    INSERT INTO messages (id, source, mail_from, message_id, received_at, size, state, remote, related_id, owner, lease_until, updated_at)
    SELECT $1::text, $2::text, $3::text, $4::text, $5::bigint, $6::bigint, st.state, $7::text, $8::text,
      CASE WHEN st.state = 'received' THEN $9::text END, CASE WHEN st.state = 'received' THEN $10::bigint END, $16::bigint
    FROM st
  ), r AS (
    INSERT INTO raw_messages (id, bytes) VALUES ($1::text, $17::bytea)
  ), d AS (
    INSERT INTO deliveries (message_ref, recipient, target_network, target_address, state, next_attempt_at, updated_at)
    SELECT $1::text, f.r, f.n, f.a, CASE WHEN f.n IS NULL THEN 'pending' ELSE 'queued' END, $5::bigint, $16::bigint FROM f ORDER BY f.i
    ON CONFLICT DO NOTHING
  ), e AS (
    INSERT INTO events (message_ref, at, stage, level, detail, recipient)
    SELECT $1::text, $16::bigint, 'receive', 'info',
      format('accepted from %s, %s bytes, %s recipient(s)', $2::text, $6::bigint, st.fresh) ||
        CASE WHEN $18::int - st.fresh > 0 THEN format(', %s already accepted earlier (not delivered again)', $18::int - st.fresh) ELSE '' END,
      NULL
    FROM st
  )
  SELECT coalesce((SELECT array_agg(f.r ORDER BY f.i) FROM f), '{}') AS fresh`;

/**
 * The route stage's decisions in one statement: its events, the failed recipients (`$3`,
 * `$4`), the routed ones (`$5`…`$7`; a recipient also failed stays failed), and the message
 * `routed`, or `done` at once (notices due) when nothing is left to deliver.
 */
const ROUTING = `WITH e AS (${eventsCte(8)}
  ), f AS (
    UPDATE deliveries d SET state = 'failed', last_error = u.reply, attempts = d.attempts + 1, updated_at = $2
    FROM unnest($3::text[], $4::text[]) AS u(r, reply)
    WHERE d.message_ref = $1 AND d.recipient = u.r AND d.state = 'pending'
    RETURNING d.id
  ), r AS (
    UPDATE deliveries d SET target_network = u.n, target_address = u.a, state = 'queued', next_attempt_at = $2, updated_at = $2
    FROM unnest($5::text[], $6::text[], $7::text[]) AS u(r, n, a)
    WHERE d.message_ref = $1 AND d.recipient = u.r AND d.state = 'pending' AND NOT (u.r = ANY($3::text[]))
    RETURNING d.id
  ), left_open AS (
    -- The statement's snapshot does not see f and r: count what they changed as they left it.
    SELECT EXISTS (SELECT 1 FROM r) OR EXISTS (SELECT 1 FROM deliveries WHERE message_ref = $1 AND state IN ${OPEN}
      AND id NOT IN (SELECT id FROM f UNION ALL SELECT id FROM r)) AS yes
  )
  UPDATE messages SET
    state = CASE WHEN left_open.yes THEN 'routed' ELSE 'done' END,
    notices_due = CASE WHEN left_open.yes THEN notices_due ELSE ${NOTICES_DUE} END,
    reply = CASE WHEN left_open.yes THEN reply ELSE NULL END,
    stage = NULL, reason = NULL, owner = NULL, lease_until = NULL, updated_at = $2
  FROM left_open WHERE id = $1 RETURNING state`;

/**
 * A delivery attempt's outcomes (`$3`…`$7`), its events, and the message `done` (notices due)
 * when nothing is left to try, in one statement; returns the message's state.
 */
const OUTCOMES = `WITH o AS (
    UPDATE deliveries d SET state = u.s, last_error = u.reply, next_attempt_at = coalesce(u.next, d.next_attempt_at),
      attempts = d.attempts + u.inc, owner = NULL, lease_until = NULL, updated_at = $2
    FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::int[]) AS u(id, s, reply, next, inc)
    WHERE d.id = u.id
  ), e AS (${eventsCte(8)}
  ), s AS (
    UPDATE messages SET state = 'done', stage = NULL, reason = NULL, reply = NULL, owner = NULL, lease_until = NULL, updated_at = $2,
      notices_due = ${NOTICES_DUE}
    WHERE id = $1 AND state NOT IN ('quarantined', 'duplicate', 'done')
      -- The snapshot does not see o: the deliveries it updates count by their new state.
      AND NOT EXISTS (SELECT 1 FROM deliveries WHERE message_ref = $1 AND state IN ${OPEN} AND NOT (id = ANY($3::bigint[])))
      AND NOT ('queued' = ANY($4::text[]))
    RETURNING state
  )
  SELECT coalesce((SELECT state FROM s), (SELECT state FROM messages WHERE id = $1)) AS state`;

/** Quarantine in one statement: deliveries (pending ones and `$6`), the message with its notice due, the events. */
const QUARANTINE = `WITH d AS (
    UPDATE deliveries SET state = 'quarantined', last_error = $3, owner = NULL, lease_until = NULL, updated_at = $2
    WHERE message_ref = $1 AND (state = 'pending' OR id = ANY($6::bigint[]))
  ), e AS (${eventsCte(7)}
  )
  UPDATE messages SET state = 'quarantined', stage = $4, reason = $5, reply = $3, owner = NULL, lease_until = NULL, updated_at = $2,
    notices_due = ${NOTICES_DUE}
  WHERE id = $1`;

/**
 * A content claim's first step (`claimContent`): for each recipient (`$5`) that no message has
 * claimed yet under network `$2` and Message-ID `$3` (whatever the content), its `seen` row for
 * message `$1` and digest `$4`; returns how many were inserted and the message's state.
 */
const CLAIM_NEW_CONTENT = `WITH i AS (
    INSERT INTO seen (network, message_id, recipient, digest, message_ref)
    SELECT $2::text, $3::text, u.r, $4::text, $1::text FROM unnest($5::text[]) WITH ORDINALITY AS u(r, k)
    WHERE NOT EXISTS (SELECT 1 FROM seen s WHERE s.network = $2::text AND s.message_id = $3::text AND s.recipient = u.r)
    ORDER BY u.k
    ON CONFLICT DO NOTHING RETURNING 1
  )
  SELECT (SELECT count(*) FROM i)::int AS inserted, (SELECT state FROM messages WHERE id = $1) AS state`;

const BOUNCE_MARK = `UPDATE deliveries SET state = 'failed', last_error = $3, bounced_by = $4, updated_at = $5
  WHERE id = $1 AND message_ref = $2 AND state = 'delivered' RETURNING id`;

const BOUNCE_SETTLE = `WITH d AS (
    UPDATE deliveries SET state = 'delivered', last_error = '250 2.0.0 Read by the gateway (relay bounce)', updated_at = $3
    WHERE message_ref = $1 AND state = 'pending'
  )
  UPDATE messages SET related_id = $2, state = 'done', stage = NULL, reason = NULL, reply = NULL, owner = NULL, lease_until = NULL,
    updated_at = $3, notices_due = ${NOTICES_DUE} AND $4::boolean
  WHERE id = $1`;

const DELIVERY_COLUMNS = 'id, message_ref, recipient, target_network, target_address, state, attempts, next_attempt_at, last_error, uncertain';

const CLAIM_UNPROCESSED = `WITH c AS (
    SELECT id FROM messages
    WHERE state IN ('received', 'opened') AND received_at < $3 AND (lease_until IS NULL OR lease_until <= $4)
    ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED
  )
  UPDATE messages m SET owner = $1, lease_until = $2 FROM c WHERE m.id = c.id RETURNING m.id`;

/** Sends whose claim lapsed (a worker died or stalled): back to the queue, flagged uncertain, with an event. */
const RECLAIM_LAPSED = `WITH l AS (
    SELECT id FROM deliveries WHERE state = 'sending' AND lease_until <= $1 ORDER BY id FOR UPDATE SKIP LOCKED
  ), r AS (
    UPDATE deliveries d SET state = 'queued', uncertain = true, next_attempt_at = $1, owner = NULL, lease_until = NULL, updated_at = $1
    FROM l WHERE d.id = l.id RETURNING d.id, d.message_ref, d.recipient
  )
  INSERT INTO events (message_ref, at, stage, level, detail, recipient)
  SELECT message_ref, $1, 'recover', 'warn', 'the claim on this send lapsed (its worker stopped): outcome unknown, sending again', recipient
  FROM r ORDER BY id`;

const CLAIM_DUE = `WITH c AS (
    SELECT id FROM deliveries WHERE state = 'queued' AND next_attempt_at <= $1
      AND NOT EXISTS (SELECT 1 FROM network_holds h WHERE h.network = deliveries.target_network)
    ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
  )
  UPDATE deliveries d SET state = 'sending', owner = $3, lease_until = $4, updated_at = $1
  FROM c WHERE d.id = c.id
  RETURNING d.id, d.message_ref, d.recipient, d.target_network, d.target_address, d.state, d.attempts, d.next_attempt_at, d.last_error, d.uncertain`;

/** `$3`, `$4`: only these deliveries and messages (the work in hand), or null for every claim of the owner. */
const RENEW = `WITH d AS (
    UPDATE deliveries SET lease_until = $1 WHERE owner = $2 AND state = 'sending' AND ($3::bigint[] IS NULL OR id = ANY($3::bigint[])) RETURNING 1
  ), m AS (
    UPDATE messages SET lease_until = $1 WHERE owner = $2 AND state IN ('received', 'opened') AND ($4::text[] IS NULL OR id = ANY($4::text[])) RETURNING 1
  )
  SELECT (SELECT count(*) FROM d) + (SELECT count(*) FROM m) AS n`;

const RELEASE_NODE = `WITH cut AS (
    UPDATE deliveries SET state = 'queued', uncertain = true, next_attempt_at = $1, owner = NULL, lease_until = NULL, updated_at = $1
    WHERE state = 'sending' AND starts_with(owner, $2) AND owner <> $3
    RETURNING id, message_ref, recipient
  ), ev AS (
    INSERT INTO events (message_ref, at, stage, level, detail, recipient)
    SELECT message_ref, $1, 'recover', 'warn', 'send was in progress when the gateway stopped: outcome unknown, sending again', recipient
    FROM cut ORDER BY id
  ), m AS (
    UPDATE messages SET owner = NULL, lease_until = NULL
    WHERE state IN ('received', 'opened') AND starts_with(owner, $2) AND owner <> $3
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM cut) AS requeued, (SELECT count(*) FROM m) AS unprocessed`;

/**
 * Retention, one batch in one statement: the raw rows of messages done (`done`, `duplicate`,
 * notices queued) before `$2`, scanned by id up to `$1` (the ids of messages received at
 * `$2`: one done before then was received before then), oldest first, at most `$3`, locked
 * with `SKIP LOCKED` (two purges at once share the work); deleted, each with its event (`$5`)
 * at `$4`. Returns one row per message purged.
 */
const PURGE_RAW = `WITH c AS (
    SELECT r.id FROM raw_messages r JOIN messages m ON m.id = r.id
    WHERE r.id < $1 AND m.state IN ('done', 'duplicate') AND NOT m.notices_due AND m.updated_at < $2
    ORDER BY r.id LIMIT $3 FOR UPDATE OF r SKIP LOCKED
  ), d AS (
    DELETE FROM raw_messages r USING c WHERE r.id = c.id RETURNING r.id
  )
  INSERT INTO events (message_ref, at, stage, level, detail, recipient)
  SELECT id, $4::bigint, 'retention', 'info', $5::text, NULL FROM d ORDER BY id
  RETURNING 1`;

/**
 * The advisory lock key of a periodic job: the first 64 bits of
 * `md5('passerelle job:' || <the session's schema> || ':' || <job name>)`, as a signed bigint.
 * The schema is part of it, so that gateways kept in different schemas of one database do not
 * exclude each other (nor the tests' schema-per-test).
 */
const JOB_KEY = `('x' || left(md5('passerelle job:' || current_schema() || ':' || $1::text), 16))::bit(64)::bigint`;

const MESSAGE = `SELECT id, source, mail_from, message_id, received_at, size, state, stage, reason, reply, related_id, remote FROM messages WHERE id = $1`;

interface MessageRecord {
  id: string; source: string; mail_from: string; message_id: string | null; received_at: number; size: number; state: string;
  stage: string | null; reason: string | null; reply: string | null; related_id: string | null; remote: string | null;
}

interface DeliveryRecord {
  id: number; message_ref: string; recipient: string; target_network: string | null; target_address: string | null; state: string;
  attempts: number; next_attempt_at: number; last_error: string | null; uncertain: boolean;
}

export class PostgresStore implements MessageStore, JobLock {
  private pending: QueuedWrite[] = [];
  /** The sessions of the exclusive jobs running now (each holds its advisory lock). */
  private readonly jobSessions = new Set<DedicatedSession>();
  /** Writes waiting for the database to be back. */
  private held: QueuedWrite[] = [];
  private flushScheduled = false;
  private inFlight = new Set<Promise<void>>();
  private closed = false;
  /** When (the callers' clock) lapsed sends were last looked for. */
  private lapsedCheckedAt = Number.NEGATIVE_INFINITY;
  private readonly groupCommit: boolean;
  private readonly maxBatch: number;
  private readonly maxWriters: number;
  private readonly holdMs: number;
  private readonly now: () => number;
  private readonly channel: string;
  /** This store's mark in its notifications' payload: its own are not news to it. */
  private readonly token = Math.random().toString(36).slice(2, 10);
  private readonly workListeners = new Set<(kind: WorkKind) => void>();
  private readonly link: PostgresLink | null;
  /** The pool, answering `STORE_UNAVAILABLE` at once while the database is away (reads wait for it, up to `holdMs`). */
  readonly client: SqlClient;

  constructor(client: SqlClient, opts: PostgresStoreOptions & { url?: string } = {}) {
    this.groupCommit = opts.groupCommit ?? true;
    this.maxBatch = Math.max(1, opts.maxBatch ?? 64);
    this.maxWriters = Math.max(1, opts.maxWriters ?? 1);
    this.holdMs = opts.holdMs ?? 30_000;
    this.now = opts.now ?? (() => Date.now());
    this.channel = workChannel(opts.schema);
    this.link = opts.url && opts.link !== false ? new PostgresLink({
      url: opts.url, channel: this.channel, schema: opts.schema, applicationName: opts.applicationName, now: this.now, ...(opts.link ?? {}),
      onNotify: (payload) => this.notified(payload),
      onReconnect: () => this.emitWork(['deliveries', 'messages']),
    }) : null;
    this.link?.onAvailability((a) => {
      if (a.available) this.releaseHeld();
    });
    this.client = this.link ? this.guarded(client, this.link) : client;
  }

  /**
   * Connects (a pool over node-postgres, and the line that listens for other nodes' work and
   * watches the server), applies the migrations of `drizzle-pg/`, and opens the store.
   */
  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    await migratePostgres(url, opts.schema);
    const pool = nodePostgresClient(url, opts);
    const store = new PostgresStore(pool, { ...opts, url });
    try {
      await store.link?.start();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return store;
  }

  // ---- several nodes: wake-ups, availability ----

  onWork(fn: (kind: WorkKind) => void): () => void {
    this.workListeners.add(fn);
    return () => this.workListeners.delete(fn);
  }

  availability(): StoreAvailability {
    return this.link?.availability() ?? { available: true };
  }

  onAvailability(fn: (a: StoreAvailability) => void): () => void {
    return this.link?.onAvailability(fn) ?? (() => undefined);
  }

  /**
   * Holds a session advisory lock on this node's id while the store is open, so that no other
   * running node can use the same id (its claims would be let go as a previous run's). Rejects
   * when another running node holds it.
   */
  async lockNode(node: string): Promise<void> {
    if (!this.link) throw new Error('lockNode needs the store opened with its line (PostgresStore.open)');
    await this.link.lockNode(node);
  }

  private notified(payload: string): void {
    const [kind, from] = payload.split(':');
    if (from === this.token || (kind !== 'deliveries' && kind !== 'messages')) return;
    this.emitWork([kind]);
  }

  private emitWork(kinds: WorkKind[]): void {
    for (const kind of kinds) {
      for (const fn of this.workListeners) {
        try {
          fn(kind);
        } catch {
          /* a subscriber's failure is its own */
        }
      }
    }
  }

  /** `NOTIFY` (inside the transaction of the writes) for the work they make ready. */
  private async notifyIn(tx: SqlSession, writes: readonly QueuedWrite[]): Promise<void> {
    const kinds = [...new Set(writes.map((w) => w.notify).filter((k): k is WorkKind => k !== undefined))];
    if (kinds.length === 0) return;
    await tx.query('SELECT pg_notify($1, k) FROM unnest($2::text[]) AS k', [this.channel, kinds.map((k) => `${k}:${this.token}`)]);
  }

  /** After a statement outside `write` (autocommit) that made work ready: tell the other nodes. */
  private async notifyNow(kind: WorkKind): Promise<void> {
    await this.client.query('SELECT pg_notify($1, $2)', [this.channel, `${kind}:${this.token}`]).catch(() => undefined);
  }

  private unavailable(cause?: unknown): GatewayError {
    const a = this.availability();
    const since = a.available ? '' : ` since ${new Date(a.since).toISOString()}`;
    const reason = a.available ? (cause ? reasonOf(cause) : 'unknown') : a.reason;
    return new GatewayError('STORE_UNAVAILABLE', { detail: `database unreachable${since} (${reason})`, ...(cause ? { cause } : {}) });
  }

  /** The pool as the store uses it: waits for an absent database (up to `holdMs`), and reports a lost one. */
  private guarded(inner: SqlClient, link: PostgresLink): SqlClient {
    const ready = () => link.ready(this.holdMs, () => this.unavailable());
    const report = (err: unknown, epoch: number): never => {
      if (!serverAway(err)) throw err;
      link.lost(err, epoch);
      const e = this.unavailable(err);
      if (commitInDoubt(err)) Object.assign(e, { commitInDoubt: true });
      throw e;
    };
    return {
      query: async <R>(text: string, params?: readonly unknown[]) => {
        const deadline = this.now() + this.holdMs;
        for (;;) {
          await ready();
          const epoch = link.epoch();
          try {
            return await inner.query<R>(text, params);
          } catch (err) {
            // A plain read cut by the outage runs again once the server is back (a claim, which
            // writes, does not: it may have been made; its lease lapses if so).
            if (serverAway(err) && /^\s*SELECT\b/i.test(text) && this.now() < deadline) {
              link.lost(err, epoch);
              continue;
            }
            report(err, epoch);
          }
        }
      },
      transaction: (fn) => {
        const epoch = link.epoch();
        return inner.transaction(fn).catch((err: unknown) => report(err, epoch));
      },
      end: () => inner.end(),
      // A job's own session (its advisory lock): not held through an outage, the job sees its signal.
      ...(inner.dedicated ? { dedicated: () => inner.dedicated!() } : {}),
    };
  }

  /** The database is back: the writes that waited for it run. */
  private releaseHeld(): void {
    if (this.held.length === 0) return;
    const back = this.held.splice(0);
    for (const w of back) clearTimeout(w.timer);
    this.pending.unshift(...back);
    this.schedule();
  }

  /** A write whose COMMIT's answer was lost: fails when it must not run twice, else waits to run again. */
  private inDoubt(w: QueuedWrite, err: unknown): void {
    if (w.once || w.failFast) w.reject(err);
    else this.hold(w, err);
  }

  /** Keeps a write until the database is back (up to its deadline), or fails it at once when it may not wait. */
  private hold(w: QueuedWrite, cause?: unknown): void {
    const wait = w.deadline - this.now();
    if (w.failFast || wait <= 0 || this.closed) {
      w.reject(this.unavailable(cause));
      return;
    }
    this.held.push(w);
    w.timer = setTimeout(() => {
      const i = this.held.indexOf(w);
      if (i < 0) return;
      this.held.splice(i, 1);
      w.reject(this.unavailable(cause));
    }, wait);
    // The database may have come back while this write failed.
    if (this.availability().available) this.releaseHeld();
  }

  // ---- group commit ----

  /** Queue a write: it runs with the others of this turn of the event loop, and resolves after their COMMIT. */
  private write<T>(op: (tx: SqlSession) => Promise<T>, o: { notify?: WorkKind; failFast?: boolean; once?: boolean } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ op, resolve: resolve as (r: never) => void, reject, retries: 0, ...o, deadline: this.now() + this.holdMs });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      // The database is away: accepts fail at once (451), the other writes wait for it.
      if (!this.availability().available) {
        for (const w of this.pending.splice(0)) this.hold(w);
        return;
      }
      while (this.pending.length > 0 && this.inFlight.size < this.maxWriters) {
        const batch = this.pending.splice(0, this.groupCommit ? this.maxBatch : 1);
        const run = this.runBatch(batch).finally(() => {
          this.inFlight.delete(run);
          // The writes queued meanwhile go in the next transaction.
          if (this.pending.length > 0) this.schedule();
        });
        this.inFlight.add(run);
      }
    });
  }

  private async runBatch(batch: QueuedWrite[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const values = await this.client.transaction(async (tx) => {
          const out: unknown[] = [];
          for (const b of batch) out.push(await b.op(tx));
          await this.notifyIn(tx, batch);
          return out;
        });
        batch.forEach((b, i) => b.resolve(values[i] as never));
        return;
      } catch (err) {
        // The answer to COMMIT was lost: the batch may be committed. Running it again could accept a
        // message twice; its writes fail instead (a listener answers 451, the peer sends again, and
        // `seen` makes that copy a duplicate if the first one was committed after all).
        if (commitInDoubt(err)) {
          for (const b of batch) this.inDoubt(b, err);
          return;
        }
        // The database went away before COMMIT: nothing is committed. Accepts fail (451), the rest waits for it.
        if (err instanceof GatewayError && err.kind === 'STORE_UNAVAILABLE') {
          for (const b of batch) this.hold(b, err.cause);
          return;
        }
        // One write failed and took the transaction with it (or a deadlock, or the connection before
        // COMMIT): nothing of the batch is committed. Each runs again alone, in order, so that only the
        // failing one fails.
      }
    }
    for (const b of batch) await this.runAlone(b);
  }

  private async runAlone(b: QueuedWrite): Promise<void> {
    for (;;) {
      try {
        b.resolve((await this.client.transaction(async (tx) => {
          const out = await b.op(tx);
          await this.notifyIn(tx, [b]);
          return out;
        })) as never);
        return;
      } catch (err) {
        if (commitInDoubt(err)) {
          this.inDoubt(b, err);
          return;
        }
        if (err instanceof GatewayError && err.kind === 'STORE_UNAVAILABLE') {
          this.hold(b, err.cause);
          return;
        }
        // A deadlock lost to another node, or a serialization failure: the write can run again as it is.
        if (!commitInDoubt(err) && RETRYABLE_SQLSTATES.has(sqlState(err) ?? '') && b.retries++ < MAX_RETRIES) continue;
        b.reject(err);
        return;
      }
    }
  }

  private guard(): void {
    if (this.closed) throw new Error('store is closed');
  }

  // ---- accept ----

  accept(input: AcceptInput, now: number): Promise<AcceptResult> {
    // A notice accepted with all its routes is due at once: any node may send it.
    const routed = input.recipients.length > 0 && input.recipients.every((r) => input.routes?.[r]);
    // A received message fails at once while the server is away (its sender is answered 451 and sends
    // again); a notice the gateway writes waits for it like the stage writes.
    return this.write((tx) => this.acceptIn(tx, input, now), { once: true, failFast: input.source !== 'gateway', ...(routed ? { notify: 'deliveries' as const } : {}) });
  }

  private async acceptIn(tx: SqlSession, input: AcceptInput, now: number): Promise<AcceptResult> {
    const receivedAt = input.receivedAt ?? now;
    const id = newMessageId(receivedAt);
    // A notice the gateway writes is keyed (e.g. `failure:ID`): queued again after a restart, it is a duplicate.
    // A received message is not judged here: whether it is a resend depends on what it says (claimContent, after opening).
    const key = input.source === 'gateway' && input.noticeKey ? { network: 'gateway', id: input.noticeKey } : null;
    // Keyed, a recipient named twice is a duplicate the second time (its `seen` row is the first one's).
    const candidates = key ? [...new Set(input.recipients)] : input.recipients;
    const claim = input.claimedBy ?? null;
    const size = input.raw.byteLength;
    const { rows } = await tx.query<{ fresh: string[] }>(ACCEPT, [
      id, input.source, input.mailFrom, input.messageId, receivedAt, size,
      input.remote ? JSON.stringify(input.remote) : null, input.relatedId ?? null,
      claim?.owner ?? null, claim ? now + claim.leaseMs : null,
      candidates, candidates.map((r) => input.routes?.[r]?.network ?? null), candidates.map((r) => input.routes?.[r]?.address ?? null),
      key?.network ?? null, key?.id ?? null, now, Buffer.from(input.raw.buffer, input.raw.byteOffset, size), input.recipients.length,
    ]);
    const fresh = rows[0]!.fresh;
    const left = [...fresh];
    const duplicates = input.recipients.filter((r) => {
      const i = left.indexOf(r);
      if (i < 0) return true;
      left.splice(i, 1);
      return false;
    });
    const envelope: Envelope = {
      id, source: input.source, mailFrom: input.mailFrom, recipients: fresh, messageId: input.messageId, receivedAt,
      size, rawRef: `db:${id}`, ...(input.remote ? { remote: input.remote } : {}),
    };
    return { id, duplicates, envelope };
  }

  private async insertEvents(tx: SqlSession, id: string, events: readonly NewEvent[], now: number): Promise<void> {
    if (events.length === 0) return;
    await tx.query(EVENTS, [id, now, ...eventColumns(events)]);
  }

  // ---- stages ----

  recordRouting(id: string, r: RoutingResult, now: number): Promise<MessageState> {
    return this.write(async (tx) => {
      const { rows } = await tx.query<{ state: MessageState }>(ROUTING, [
        id, now, r.failures.map((f) => f.recipient), r.failures.map((f) => f.reply),
        r.routes.map((x) => x.recipient), r.routes.map((x) => x.network), r.routes.map((x) => x.address), ...eventColumns(r.events),
      ]);
      if (!rows[0]) throw new Error(`no message ${id}`);
      return rows[0].state;
    }, r.routes.length > 0 ? { notify: 'deliveries' } : {});
  }

  recordOutcomes(id: string, updates: OutcomeUpdate[], events: NewEvent[], now: number): Promise<MessageState> {
    return this.write(async (tx) => {
      const { rows } = await tx.query<{ state: MessageState | null }>(OUTCOMES, [
        id, now, updates.map((u) => u.deliveryId), updates.map((u) => u.state), updates.map((u) => u.reply),
        updates.map((u) => (u.state === 'queued' ? u.nextAttemptAt : null)), updates.map((u) => (u.state === 'quarantined' ? 0 : 1)),
        ...eventColumns(events),
      ]);
      const state = rows[0]?.state;
      if (!state) throw new Error(`no message ${id}`);
      return state;
    });
  }

  quarantine(id: string, q: QuarantineRecord, now: number): Promise<void> {
    return this.write(async (tx) => {
      const events: NewEvent[] = [...(q.events ?? []), { stage: q.stage, level: 'error', detail: `quarantined: ${q.reason}` }];
      await tx.query(QUARANTINE, [id, now, q.reply, q.stage, q.reason, q.deliveryIds ?? [], ...eventColumns(events)]);
    });
  }

  claimContent(id: string, claim: ContentClaim, now: number): Promise<ClaimResult> {
    return this.write(async (tx) => {
      // Most messages are new: every recipient's row inserted at once, with the message's state, in
      // one round trip. A row already there for a recipient (a resend, a reused Message-ID, this
      // message run again, another node's claim) takes every recipient through the decisions below,
      // where a row this statement inserted reads as this message's own.
      const first = (await tx.query<{ inserted: number; state: MessageState | null }>(CLAIM_NEW_CONTENT,
        [id, claim.network, claim.messageId, claim.digest, claim.recipients])).rows[0];
      if (first && first.inserted === claim.recipients.length) {
        return { fresh: [...claim.recipients], duplicates: [], reused: [], state: first.state ?? 'received' };
      }
      const result: ClaimResult = { fresh: [], duplicates: [], reused: [], state: 'received' };
      const events: NewEvent[] = [];
      for (const recipient of claim.recipients) {
        const seenOf = async () => (await tx.query<{ digest: string; message_ref: string }>(
          'SELECT digest, message_ref FROM seen WHERE network = $1 AND message_id = $2 AND recipient = $3 ORDER BY message_ref',
          [claim.network, claim.messageId, recipient])).rows;
        let rows = await seenOf();
        let others = rows.filter((x) => x.message_ref !== id);
        // An empty digest: a row written before digests were kept, read as the same content.
        let same = others.find((x) => x.digest === claim.digest || x.digest === '');
        if (!same) {
          // Another node may claim the same content at this moment: the primary key decides, the loser reads the winner.
          const ins = await tx.query('INSERT INTO seen (network, message_id, recipient, digest, message_ref) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
            [claim.network, claim.messageId, recipient, claim.digest, id]);
          if (ins.count === 0 && !rows.some((x) => x.message_ref === id && x.digest === claim.digest)) {
            rows = await seenOf();
            others = rows.filter((x) => x.message_ref !== id);
            same = others.find((x) => x.digest === claim.digest);
          }
        }
        if (same) {
          const del = await tx.query(`DELETE FROM deliveries WHERE message_ref = $1 AND recipient = $2 AND state = 'pending'`, [id, recipient]);
          if (del.count === 0) continue; // not pending: already decided
          result.duplicates.push({ recipient, of: same.message_ref });
          events.push({ stage: 'duplicate', level: 'info', recipient, detail: claim.digest.startsWith('raw:')
            ? `duplicate of message ${same.message_ref}: same Message-ID, the same bytes that could not be opened; not processed again`
            : `duplicate of message ${same.message_ref}: same Message-ID, same content; not delivered again` });
          continue;
        }
        result.fresh.push(recipient);
        const other = others.find((x) => x.digest !== claim.digest);
        if (other && !rows.some((x) => x.message_ref === id && x.digest === claim.digest)) {
          result.reused.push({ recipient, of: other.message_ref });
          events.push({ stage: 'duplicate', level: 'info', recipient, detail: other.digest.startsWith('raw:')
            ? `reuses the Message-ID of message ${other.message_ref}, which could not be opened: a new message, not a duplicate`
            : `reuses the Message-ID of message ${other.message_ref} with different content: a new message, not a duplicate` });
        }
      }
      await this.insertEvents(tx, id, events, now);
      const st = (await tx.query<{ state: MessageState; open: boolean }>(
        `SELECT state, EXISTS (SELECT 1 FROM deliveries WHERE message_ref = $1 AND state IN ${OPEN}) AS open FROM messages WHERE id = $1`, [id])).rows[0];
      const state = st?.state ?? 'received';
      if (st && !st.open && result.duplicates.length > 0 && (state === 'received' || state === 'opened')) {
        await tx.query(`UPDATE messages SET state = 'duplicate', owner = NULL, lease_until = NULL, updated_at = $2 WHERE id = $1`, [id, now]);
        result.state = 'duplicate';
      } else {
        result.state = state;
      }
      return result;
    });
  }

  recordBounce(bounceId: string, originalId: string, marks: BounceMark[], now: number): Promise<number[]> {
    return this.write(async (tx) => {
      const changed: number[] = [];
      const events: NewEvent[] = [];
      for (const m of marks) {
        if ((await tx.query(BOUNCE_MARK, [m.deliveryId, originalId, m.reply, bounceId, now])).count !== 1) continue;
        changed.push(m.deliveryId);
        events.push(m.event);
      }
      await this.insertEvents(tx, originalId, events, now);
      // Done, and its notice (if it changed anything) due: queued from row state, on any node, after any crash.
      await tx.query(BOUNCE_SETTLE, [bounceId, originalId, now, changed.length > 0]);
      return changed;
    }, { once: true }); // run again after it committed, it would find nothing changed and clear the notice it made due
  }

  async bouncedBy(bounceId: string): Promise<DeliveryRow[]> {
    this.guard();
    const { rows } = await this.client.query<DeliveryRecord>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE bounced_by = $1 ORDER BY id`, [bounceId]);
    return rows.map(toDeliveryRow);
  }

  // ---- reads ----

  async message(id: string): Promise<MessageRow | null> {
    this.guard();
    const { rows } = await this.client.query<MessageRecord>(MESSAGE, [id]);
    return rows[0] ? toMessageRow(rows[0]) : null;
  }

  async envelope(id: string): Promise<Envelope | null> {
    this.guard();
    const { rows } = await this.client.query<MessageRecord & { recipients: string[] }>(
      `SELECT m.id, m.source, m.mail_from, m.message_id, m.received_at, m.size, m.remote,
         coalesce((SELECT array_agg(d.recipient ORDER BY d.id) FROM deliveries d WHERE d.message_ref = m.id), '{}') AS recipients
       FROM messages m WHERE m.id = $1`, [id]);
    const m = rows[0];
    if (!m) return null;
    return {
      id: m.id, source: m.source as Origin, mailFrom: m.mail_from, recipients: m.recipients, messageId: m.message_id,
      receivedAt: m.received_at, size: m.size, rawRef: `db:${m.id}`,
      ...(m.remote ? { remote: JSON.parse(m.remote) as RemotePeer } : {}),
    };
  }

  async raw(id: string): Promise<Uint8Array | null> {
    this.guard();
    const { rows } = await this.client.query<{ bytes: Buffer }>('SELECT bytes FROM raw_messages WHERE id = $1', [id]);
    const b = rows[0]?.bytes;
    return b ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : null;
  }

  async deliveries(id: string): Promise<DeliveryRow[]> {
    this.guard();
    const { rows } = await this.client.query<DeliveryRecord>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE message_ref = $1 ORDER BY id`, [id]);
    return rows.map(toDeliveryRow);
  }

  async pendingDeliveries(id: string): Promise<DeliveryRow[]> {
    this.guard();
    const { rows } = await this.client.query<DeliveryRecord>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE message_ref = $1 AND state = 'pending' ORDER BY id`, [id]);
    return rows.map(toDeliveryRow);
  }

  // ---- claims ----

  async claimUnprocessed(now: number, limit: number, by: Claimant, receivedBefore = Number.MAX_SAFE_INTEGER): Promise<string[]> {
    this.guard();
    const { rows } = await this.client.query<{ id: string }>(CLAIM_UNPROCESSED, [by.owner, now + by.leaseMs, receivedBefore, now, limit]);
    return rows.map((r) => r.id).sort();
  }

  async claimDue(now: number, limit: number, by: Claimant): Promise<DeliveryRow[]> {
    this.guard();
    // Two statements, each a transaction of its own: the lapsed sends go back to the queue (with their
    // events) whoever claims them next, then due sends are claimed, the lapsed ones among them. A
    // worker asks after every wake, hundreds of times a second under load: the lapsed ones are looked
    // for at most every quarter of this claimant's lease (and every second), a round trip saved on the others.
    if (now - this.lapsedCheckedAt >= Math.min(LAPSED_CHECK_MS, by.leaseMs / 4) || now < this.lapsedCheckedAt) {
      await this.client.query(RECLAIM_LAPSED, [now]);
      this.lapsedCheckedAt = now;
    }
    const { rows } = await this.client.query<DeliveryRecord>(CLAIM_DUE, [now, limit, by.owner, now + by.leaseMs]);
    return rows.sort((a, b) => a.id - b.id).map(toDeliveryRow);
  }

  async renewClaims(by: Claimant, now: number, only?: { deliveries: number[]; messages: string[] }): Promise<number> {
    this.guard();
    const { rows } = await this.client.query<{ n: number }>(RENEW, [now + by.leaseMs, by.owner, only?.deliveries ?? null, only?.messages ?? null]);
    return rows[0]?.n ?? 0;
  }

  async releaseClaimsOfNode(node: string, current: string, now: number): Promise<{ requeued: number; unprocessed: number }> {
    this.guard();
    const { rows } = await this.client.query<{ requeued: number; unprocessed: number }>(RELEASE_NODE, [now, `${node}/`, current]);
    const out = { requeued: rows[0]?.requeued ?? 0, unprocessed: rows[0]?.unprocessed ?? 0 };
    if (out.requeued > 0) await this.notifyNow('deliveries');
    if (out.unprocessed > 0) await this.notifyNow('messages');
    return out;
  }

  // ---- notices ----

  noticesQueued(id: string): Promise<void> {
    return this.write(async (tx) => void (await tx.query('UPDATE messages SET notices_due = false WHERE id = $1', [id])));
  }

  async noticesDue(limit: number, settledBefore = Number.MAX_SAFE_INTEGER): Promise<NoticeDue[]> {
    this.guard();
    const { rows } = await this.client.query<NoticeDue & { related_id: string | null }>(
      'SELECT id, state, stage, reply, related_id FROM messages WHERE notices_due AND updated_at < $1 ORDER BY id LIMIT $2', [settledBefore, limit]);
    return rows.map((r) => ({ id: r.id, state: r.state, stage: r.stage, reply: r.reply, relatedId: r.related_id }));
  }

  events(messageRef: string, events: NewEvent[], now: number): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.write((tx) => this.insertEvents(tx, messageRef, events, now));
  }

  // ---- operators ----

  release(id: string, now: number, by?: Actor): Promise<boolean> {
    return this.write(async (tx) => {
      const { count } = await tx.query(`UPDATE messages SET state = 'received', stage = NULL, reason = NULL, reply = NULL, owner = NULL,
        lease_until = NULL, notices_due = false, updated_at = $2 WHERE id = $1 AND state = 'quarantined'`, [id, now]);
      if (count !== 1) return false;
      await tx.query(`UPDATE deliveries SET state = 'pending', last_error = NULL, target_network = NULL, target_address = NULL, updated_at = $2
        WHERE message_ref = $1 AND state = 'quarantined'`, [id, now]);
      await this.insertEvents(tx, id, [{ stage: 'quarantine', level: 'info', detail: `released by ${operator(by)}: the pipeline runs again` }], now);
      return true;
    }, { notify: 'messages', once: true });
  }

  drop(id: string, now: number, by?: Actor): Promise<boolean> {
    return this.write(async (tx) => {
      const { count } = await tx.query(`UPDATE messages SET state = 'dropped', updated_at = $2 WHERE id = $1 AND state = 'quarantined'`, [id, now]);
      if (count !== 1) return false;
      await tx.query(`UPDATE deliveries SET state = 'failed', last_error = coalesce(last_error, 'dropped'), updated_at = $2
        WHERE message_ref = $1 AND state IN ('pending', 'quarantined')`, [id, now]);
      await tx.query('DELETE FROM raw_messages WHERE id = $1', [id]);
      await this.insertEvents(tx, id, [{ stage: 'quarantine', level: 'warn', detail: `dropped by ${operator(by)}: raw bytes erased` }], now);
      return true;
    }, { once: true });
  }

  retryNow(id: string, now: number, by?: Actor): Promise<number> {
    return this.write(async (tx) => {
      const { count } = await tx.query(`UPDATE deliveries SET next_attempt_at = $2, updated_at = $2 WHERE message_ref = $1 AND state = 'queued'`, [id, now]);
      if (count > 0) await this.insertEvents(tx, id, [{ stage: 'queue', level: 'info', detail: `retry now requested by ${operator(by)} (${count} deliver${count === 1 ? 'y' : 'ies'})` }], now);
      return count;
    });
  }

  holdNetwork(network: NetworkId, held: boolean, now: number, by: Actor): Promise<boolean> {
    return this.write(async (tx) => {
      const { count } = held
        ? await tx.query('INSERT INTO network_holds (network, held_at, held_by) VALUES ($1, $2, $3) ON CONFLICT (network) DO NOTHING', [network, now, by])
        : await tx.query('DELETE FROM network_holds WHERE network = $1', [network]);
      return count === 1;
    }).then(async (changed) => {
      // A release: the other nodes claim at once.
      if (changed && !held) await this.notifyNow('deliveries');
      return changed;
    });
  }

  async holds(): Promise<NetworkHold[]> {
    this.guard();
    const { rows } = await this.client.query<NetworkHold>('SELECT network, held_at AS since, held_by AS "by" FROM network_holds ORDER BY network');
    return rows;
  }

  async searchMessages(q: MessageQuery): Promise<MessageRow[]> {
    this.guard();
    const { where, params } = messageFilter(q, (n) => `$${n}`);
    const { rows } = await this.client.query<MessageRecord>(
      `SELECT id, source, mail_from, message_id, received_at, size, state, stage, reason, reply, related_id, remote
       FROM messages m${where ? ` WHERE ${where}` : ''} ORDER BY id DESC LIMIT $${params.length + 1}`, [...params, q.limit]);
    return rows.map(toMessageRow);
  }

  async purgeRaw(doneBefore: number, limit: number, now: number): Promise<number> {
    this.guard();
    const detail = `purged: raw bytes erased by the retention (done before ${new Date(doneBefore).toISOString()}); trace kept`;
    const { count } = await this.client.query(PURGE_RAW, [messageIdTimeBound(doneBefore), doneBefore, limit, now, detail]);
    return count;
  }

  // ---- periodic jobs across nodes ----

  /**
   * `JobLock` on PostgreSQL: a session advisory lock (`pg_try_advisory_lock`, key: see
   * `JOB_KEY`) on a connection of its own, outside the pool, held while `fn` runs, then
   * unlocked and closed. Should the node die, its connection closes and the server frees the
   * lock at once: no lease to wait for (`by.leaseMs` is not used). A connection that breaks
   * while `fn` runs aborts its signal (another node may take the lock from then on).
   */
  async runExclusive<T>(job: string, _by: JobHolder, _clock: Clock, fn: (signal: AbortSignal) => Promise<T>): Promise<Exclusive<T>> {
    this.guard();
    if (!this.client.dedicated) throw new Error('this PostgreSQL client cannot hold a session of its own (no exclusive jobs)');
    const session = await this.client.dedicated();
    this.jobSessions.add(session);
    try {
      const { rows } = await session.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${JOB_KEY}) AS ok`, [job]);
      if (!rows[0]?.ok) return { ran: false };
      const value = await fn(session.broken);
      await session.query(`SELECT pg_advisory_unlock(${JOB_KEY})`, [job]).catch(() => undefined);
      return { ran: true, value };
    } finally {
      this.jobSessions.delete(session);
      await session.end();
    }
  }

  async trace(id: string): Promise<Trace | null> {
    const message = await this.message(id);
    if (!message) return null;
    const [deliveries, ev] = await Promise.all([
      this.deliveries(id),
      this.client.query<EventRow>('SELECT at, stage, level, detail, recipient FROM events WHERE message_ref = $1 ORDER BY id', [id]),
    ]);
    return {
      message,
      deliveries,
      events: ev.rows.map((e) => ({ at: e.at, stage: e.stage, level: e.level, detail: e.detail, recipient: e.recipient })),
    };
  }

  async summary(): Promise<QueueSummary> {
    this.guard();
    const [d, m, next, oldest] = await Promise.all([
      this.client.query<{ state: string; n: number }>('SELECT state, count(*) AS n FROM deliveries GROUP BY state'),
      this.client.query<{ state: string; n: number }>('SELECT state, count(*) AS n FROM messages GROUP BY state'),
      this.client.query<{ t: number | null }>(`SELECT min(next_attempt_at) AS t FROM deliveries WHERE state = 'queued'`),
      this.client.query<{ t: number | null }>(
        `SELECT min(m.received_at) AS t FROM deliveries d JOIN messages m ON m.id = d.message_ref WHERE d.state IN ('pending', 'queued', 'sending')`,
      ),
    ]);
    return {
      deliveries: Object.fromEntries(d.rows.map((r) => [r.state, r.n])),
      messages: Object.fromEntries(m.rows.map((r) => [r.state, r.n])),
      nextDue: next.rows[0]?.t ?? null,
      oldestOpenAt: oldest.rows[0]?.t ?? null,
    };
  }

  async listMessages(state: MessageState, limit: number): Promise<MessageRow[]> {
    this.guard();
    const { rows } = await this.client.query<MessageRecord>(
      `SELECT id, source, mail_from, message_id, received_at, size, state, stage, reason, reply, related_id, remote
       FROM messages WHERE state = $1 ORDER BY id DESC LIMIT $2`, [state, limit]);
    return rows.map(toMessageRow);
  }

  /** Commits what is queued, waits for the batches in flight, then closes the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.pending.length > 0 || this.inFlight.size > 0 || this.flushScheduled) {
      if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      else await new Promise((r) => setImmediate(r));
    }
    this.closed = true;
    // The jobs' sessions first: their advisory locks are freed at once (a job still running is cut off).
    await Promise.all([...this.jobSessions].map((j) => j.end()));
    for (const w of this.held.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error('store is closed'));
    }
    await this.link?.close();
    await this.client.end();
  }
}

/** Events as four parallel arrays (stages, levels, details, recipients), for `unnest`. */
function eventColumns(events: readonly NewEvent[]): [string[], string[], string[], (string | null)[]] {
  return [events.map((e) => e.stage), events.map((e) => e.level), events.map((e) => e.detail), events.map((e) => e.recipient ?? null)];
}

function toMessageRow(m: MessageRecord): MessageRow {
  return {
    id: m.id, source: m.source as Origin, mailFrom: m.mail_from, messageId: m.message_id, receivedAt: m.received_at,
    size: m.size, state: m.state as MessageState, stage: m.stage, reason: m.reason, reply: m.reply, relatedId: m.related_id,
  };
}

function toDeliveryRow(d: DeliveryRecord): DeliveryRow {
  return {
    id: d.id, messageRef: d.message_ref, recipient: d.recipient, targetNetwork: d.target_network as NetworkId | null,
    targetAddress: d.target_address, state: d.state as DeliveryState, attempts: d.attempts, nextAttemptAt: d.next_attempt_at,
    lastError: d.last_error, uncertain: d.uncertain,
  };
}
