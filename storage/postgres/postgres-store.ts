/**
 * `MessageStore` on PostgreSQL, for several gateway nodes sharing one database.
 *
 * - **Group commit.** Writes queued in the same turn of the event loop (accepts, routing
 *   decisions, outcomes, notices…) run in one transaction on one connection, and each promise
 *   resolves only after the COMMIT returned: with `synchronous_commit` on, once the WAL is on
 *   disk. Should one of them fail, the transaction is rolled back and each write of the batch
 *   runs again alone, in order, so that only the failing one fails (savepoints would cost two
 *   round trips per write on the happy path). A batch still in flight does not hold the next
 *   one back: it takes another connection of the pool. A write that loses a deadlock to
 *   another node, or a serialization failure, is run again.
 * - **Claims** (`claimUnprocessed`, `claimDue`) are single statements that lock their rows
 *   with `FOR UPDATE SKIP LOCKED`, so nodes claiming at once never wait for each other nor
 *   get the same row, and write the owner and the lease with the claim.
 * - **`seen`** has a primary key: `INSERT … ON CONFLICT DO NOTHING` decides, across every
 *   node, which copy of a (network, Message-ID, recipient) is the first.
 * - Raw messages are `bytea`; times are `bigint` milliseconds given by the caller, never read
 *   from the database's clock.
 *
 * @example
 * const store = await PostgresStore.open('postgres://passerelle@db.example/passerelle');
 * const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@x.lnp.test',
 *   recipients: ['b@interop.lnp.test'], messageId: '<1@x>', raw }, Date.now());
 */
import { migratePostgres } from './database.js';
import { nodePostgresClient } from './node-postgres-client.js';
import { RETRYABLE_SQLSTATES, sqlState, type SqlClient, type SqlClientOptions, type SqlSession } from './sql-client.js';
import { newMessageId } from '../sqlite/ids.js';
import type { Envelope, Origin, RemotePeer } from '../../core/model/envelope.js';
import type { NetworkId } from '../../core/model/network.js';
import type {
  AcceptInput, AcceptResult, BounceMark, Claimant, DeliveryRow, DeliveryState, EventRow, MessageRow, MessageState, MessageStore, NewEvent,
  NoticeDue, OutcomeUpdate, QuarantineRecord, RoutingResult, Trace,
} from '../../core/ports/message-store.js';

export interface PostgresStoreOptions extends SqlClientOptions {
  /** Group the writes of one turn of the event loop into one transaction (default true). */
  groupCommit?: boolean;
  /** At most this many writes in one transaction (default 64). */
  maxBatch?: number;
}

interface QueuedWrite {
  op: (tx: SqlSession) => Promise<unknown>;
  resolve: (r: never) => void;
  reject: (e: unknown) => void;
  /** Times it was run again after a deadlock or a serialization failure. */
  retries: number;
}

const MAX_RETRIES = 5;

// ---- statements (one text each: prepared once per connection) ----

const SEEN = `INSERT INTO seen (network, message_id, recipient, message_ref)
  SELECT $1, $2, u.r, $3 FROM unnest($4::text[]) WITH ORDINALITY AS u(r, i) ORDER BY u.i
  ON CONFLICT DO NOTHING RETURNING recipient`;

/** The message, its raw bytes, its deliveries and its `receive` event: one statement. */
const ACCEPT = `WITH m AS (
    INSERT INTO messages (id, source, mail_from, message_id, received_at, size, state, remote, related_id, owner, lease_until, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
  ), r AS (
    INSERT INTO raw_messages (id, bytes) VALUES ($1, $13)
  ), d AS (
    INSERT INTO deliveries (message_ref, recipient, target_network, target_address, state, next_attempt_at, updated_at)
    SELECT $1, u.r, u.n, u.a, CASE WHEN u.n IS NULL THEN 'pending' ELSE 'queued' END, $5, $12
    FROM unnest($14::text[], $15::text[], $16::text[]) WITH ORDINALITY AS u(r, n, a, i) ORDER BY u.i
    ON CONFLICT DO NOTHING
  )
  INSERT INTO events (message_ref, at, stage, level, detail, recipient) VALUES ($1, $12, 'receive', 'info', $17, NULL)`;

const EVENTS = `INSERT INTO events (message_ref, at, stage, level, detail, recipient)
  SELECT $1, $2, u.s, u.l, u.d, u.r FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(s, l, d, r, i) ORDER BY u.i`;

const FAIL_PENDING = `UPDATE deliveries d SET state = 'failed', last_error = u.reply, attempts = d.attempts + 1, updated_at = $2
  FROM unnest($3::text[], $4::text[]) AS u(r, reply)
  WHERE d.message_ref = $1 AND d.recipient = u.r AND d.state = 'pending'`;

const ROUTE = `UPDATE deliveries d SET target_network = u.n, target_address = u.a, state = 'queued', next_attempt_at = $2, updated_at = $2
  FROM unnest($3::text[], $4::text[], $5::text[]) AS u(r, n, a)
  WHERE d.message_ref = $1 AND d.recipient = u.r AND d.state = 'pending'`;

const OPEN_DELIVERIES = `EXISTS (SELECT 1 FROM deliveries WHERE message_ref = $1 AND state IN ('pending', 'queued', 'sending'))`;
/** Settling (done) and "notices to queue" in one write: a crash after it leaves the flag for any node. */
const NOTICES_DUE = `(source <> 'gateway')`;

/** The route stage's end: `routed`, or `done` at once when nothing is left to deliver. */
const ROUTED = `UPDATE messages SET
    state = CASE WHEN ${OPEN_DELIVERIES} THEN 'routed' ELSE 'done' END,
    notices_due = CASE WHEN ${OPEN_DELIVERIES} THEN notices_due ELSE ${NOTICES_DUE} END,
    reply = CASE WHEN ${OPEN_DELIVERIES} THEN reply ELSE NULL END,
    stage = NULL, reason = NULL, owner = NULL, lease_until = NULL, updated_at = $2
  WHERE id = $1 RETURNING state`;

/** `done` when nothing is left to deliver (and it is not settled already); resolves to the state. */
const SETTLE = `WITH s AS (
    UPDATE messages SET state = 'done', stage = NULL, reason = NULL, reply = NULL, owner = NULL, lease_until = NULL, updated_at = $2,
      notices_due = ${NOTICES_DUE}
    WHERE id = $1 AND state NOT IN ('quarantined', 'duplicate', 'done') AND NOT ${OPEN_DELIVERIES}
    RETURNING state)
  SELECT coalesce((SELECT state FROM s), (SELECT state FROM messages WHERE id = $1)) AS state`;

const OUTCOMES = `UPDATE deliveries d SET state = u.s, last_error = u.reply, next_attempt_at = coalesce(u.next, d.next_attempt_at),
    attempts = d.attempts + u.inc, owner = NULL, lease_until = NULL, updated_at = $1
  FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::int[]) AS u(id, s, reply, next, inc)
  WHERE d.id = u.id`;

const QUARANTINE = `WITH d AS (
    UPDATE deliveries SET state = 'quarantined', last_error = $3, owner = NULL, lease_until = NULL, updated_at = $2
    WHERE message_ref = $1 AND (state = 'pending' OR id = ANY($6::bigint[]))
  )
  UPDATE messages SET state = 'quarantined', stage = $4, reason = $5, reply = $3, owner = NULL, lease_until = NULL, updated_at = $2,
    notices_due = ${NOTICES_DUE}
  WHERE id = $1`;

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
    ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
  )
  UPDATE deliveries d SET state = 'sending', owner = $3, lease_until = $4, updated_at = $1
  FROM c WHERE d.id = c.id
  RETURNING d.id, d.message_ref, d.recipient, d.target_network, d.target_address, d.state, d.attempts, d.next_attempt_at, d.last_error, d.uncertain`;

const RENEW = `WITH d AS (
    UPDATE deliveries SET lease_until = $1 WHERE owner = $2 AND state = 'sending' RETURNING 1
  ), m AS (
    UPDATE messages SET lease_until = $1 WHERE owner = $2 AND state IN ('received', 'opened') RETURNING 1
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

const MESSAGE = `SELECT id, source, mail_from, message_id, received_at, size, state, stage, reason, reply, related_id, remote FROM messages WHERE id = $1`;

interface MessageRecord {
  id: string; source: string; mail_from: string; message_id: string | null; received_at: number; size: number; state: string;
  stage: string | null; reason: string | null; reply: string | null; related_id: string | null; remote: string | null;
}

interface DeliveryRecord {
  id: number; message_ref: string; recipient: string; target_network: string | null; target_address: string | null; state: string;
  attempts: number; next_attempt_at: number; last_error: string | null; uncertain: boolean;
}

export class PostgresStore implements MessageStore {
  private pending: QueuedWrite[] = [];
  private flushScheduled = false;
  private inFlight = new Set<Promise<void>>();
  private closed = false;
  private readonly groupCommit: boolean;
  private readonly maxBatch: number;

  constructor(readonly client: SqlClient, opts: PostgresStoreOptions = {}) {
    this.groupCommit = opts.groupCommit ?? true;
    this.maxBatch = Math.max(1, opts.maxBatch ?? 64);
  }

  /** Connects (a pool over node-postgres), applies the migrations of `drizzle-pg/`, and opens the store. */
  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    await migratePostgres(url, opts.schema);
    return new PostgresStore(nodePostgresClient(url, opts), opts);
  }

  // ---- group commit ----

  /** Queue a write: it runs with the others of this turn of the event loop, and resolves after their COMMIT. */
  private write<T>(op: (tx: SqlSession) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ op, resolve: resolve as (r: never) => void, reject, retries: 0 });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.groupCommit ? this.maxBatch : 1);
        const run = this.runBatch(batch).finally(() => this.inFlight.delete(run));
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
          return out;
        });
        batch.forEach((b, i) => b.resolve(values[i] as never));
        return;
      } catch {
        // One write failed and took the transaction with it (or a deadlock, or the connection): nothing of
        // the batch is committed. Each runs again alone, in order, so that only the failing one fails.
      }
    }
    for (const b of batch) await this.runAlone(b);
  }

  private async runAlone(b: QueuedWrite): Promise<void> {
    for (;;) {
      try {
        b.resolve((await this.client.transaction((tx) => b.op(tx))) as never);
        return;
      } catch (err) {
        // A deadlock lost to another node, or a serialization failure: the write can run again as it is.
        if (RETRYABLE_SQLSTATES.has(sqlState(err) ?? '') && b.retries++ < MAX_RETRIES) continue;
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
    return this.write((tx) => this.acceptIn(tx, input, now));
  }

  private async acceptIn(tx: SqlSession, input: AcceptInput, now: number): Promise<AcceptResult> {
    const receivedAt = input.receivedAt ?? now;
    const id = newMessageId(receivedAt);
    // A notice the gateway writes is keyed (e.g. `failure:ID`): queued again after a restart, it is a duplicate.
    const key = input.source === 'gateway' ? (input.noticeKey ? { network: 'gateway', id: input.noticeKey } : null)
      : input.messageId ? { network: input.source as string, id: input.messageId } : null;
    const duplicates: string[] = [];
    const fresh: string[] = [];
    if (key && input.recipients.length > 0) {
      const { rows } = await tx.query<{ recipient: string }>(SEEN, [key.network, key.id, id, input.recipients]);
      const first = new Map<string, number>();
      for (const r of rows) first.set(r.recipient, (first.get(r.recipient) ?? 0) + 1);
      for (const r of input.recipients) {
        const n = first.get(r) ?? 0;
        if (n > 0) {
          first.set(r, n - 1);
          fresh.push(r);
        } else duplicates.push(r);
      }
    } else fresh.push(...input.recipients);
    // A message whose every route is known at acceptance (a notice) is routed at once.
    const allRouted = fresh.length > 0 && fresh.every((r) => input.routes?.[r]);
    const state: MessageState = fresh.length === 0 ? 'duplicate' : allRouted ? 'routed' : 'received';
    const claim = state === 'received' && input.claimedBy ? input.claimedBy : null;
    const size = input.raw.byteLength;
    const detail = `accepted from ${input.source}, ${size} bytes, ${fresh.length} recipient(s)` +
      (duplicates.length ? `, ${duplicates.length} already accepted earlier (not delivered again)` : '');
    await tx.query(ACCEPT, [
      id, input.source, input.mailFrom, input.messageId, receivedAt, size, state,
      input.remote ? JSON.stringify(input.remote) : null, input.relatedId ?? null,
      claim?.owner ?? null, claim ? now + claim.leaseMs : null, now,
      Buffer.from(input.raw.buffer, input.raw.byteOffset, size),
      fresh, fresh.map((r) => input.routes?.[r]?.network ?? null), fresh.map((r) => input.routes?.[r]?.address ?? null),
      detail,
    ]);
    const envelope: Envelope = {
      id, source: input.source, mailFrom: input.mailFrom, recipients: fresh, messageId: input.messageId, receivedAt,
      size, rawRef: `db:${id}`, ...(input.remote ? { remote: input.remote } : {}),
    };
    return { id, duplicates, envelope };
  }

  private async insertEvents(tx: SqlSession, id: string, events: readonly NewEvent[], now: number): Promise<void> {
    if (events.length === 0) return;
    await tx.query(EVENTS, [id, now, events.map((e) => e.stage), events.map((e) => e.level), events.map((e) => e.detail),
      events.map((e) => e.recipient ?? null)]);
  }

  private async settleIn(tx: SqlSession, id: string, now: number): Promise<MessageState> {
    const { rows } = await tx.query<{ state: MessageState | null }>(SETTLE, [id, now]);
    const state = rows[0]?.state;
    if (!state) throw new Error(`no message ${id}`);
    return state;
  }

  // ---- stages ----

  recordRouting(id: string, r: RoutingResult, now: number): Promise<MessageState> {
    return this.write(async (tx) => {
      await this.insertEvents(tx, id, r.events, now);
      if (r.failures.length) await tx.query(FAIL_PENDING, [id, now, r.failures.map((f) => f.recipient), r.failures.map((f) => f.reply)]);
      if (r.routes.length) {
        await tx.query(ROUTE, [id, now, r.routes.map((x) => x.recipient), r.routes.map((x) => x.network), r.routes.map((x) => x.address)]);
      }
      const { rows } = await tx.query<{ state: MessageState }>(ROUTED, [id, now]);
      if (!rows[0]) throw new Error(`no message ${id}`);
      return rows[0].state;
    });
  }

  recordOutcomes(id: string, updates: OutcomeUpdate[], events: NewEvent[], now: number): Promise<MessageState> {
    return this.write(async (tx) => {
      await this.insertEvents(tx, id, events, now);
      if (updates.length) {
        await tx.query(OUTCOMES, [now, updates.map((u) => u.deliveryId), updates.map((u) => u.state), updates.map((u) => u.reply),
          updates.map((u) => (u.state === 'queued' ? u.nextAttemptAt : null)), updates.map((u) => (u.state === 'quarantined' ? 0 : 1))]);
      }
      return this.settleIn(tx, id, now);
    });
  }

  quarantine(id: string, q: QuarantineRecord, now: number): Promise<void> {
    return this.write(async (tx) => {
      await tx.query(QUARANTINE, [id, now, q.reply, q.stage, q.reason, q.deliveryIds ?? []]);
      await this.insertEvents(tx, id, [...(q.events ?? []), { stage: q.stage, level: 'error', detail: `quarantined: ${q.reason}` }], now);
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
    });
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
    // events) whoever claims them next, then due sends are claimed, the lapsed ones among them.
    await this.client.query(RECLAIM_LAPSED, [now]);
    const { rows } = await this.client.query<DeliveryRecord>(CLAIM_DUE, [now, limit, by.owner, now + by.leaseMs]);
    return rows.sort((a, b) => a.id - b.id).map(toDeliveryRow);
  }

  async renewClaims(by: Claimant, now: number): Promise<number> {
    this.guard();
    const { rows } = await this.client.query<{ n: number }>(RENEW, [now + by.leaseMs, by.owner]);
    return rows[0]?.n ?? 0;
  }

  async releaseClaimsOfNode(node: string, current: string, now: number): Promise<{ requeued: number; unprocessed: number }> {
    this.guard();
    const { rows } = await this.client.query<{ requeued: number; unprocessed: number }>(RELEASE_NODE, [now, `${node}/`, current]);
    return { requeued: rows[0]?.requeued ?? 0, unprocessed: rows[0]?.unprocessed ?? 0 };
  }

  // ---- notices ----

  noticesQueued(id: string): Promise<void> {
    return this.write(async (tx) => void (await tx.query('UPDATE messages SET notices_due = false WHERE id = $1', [id])));
  }

  async noticesDue(limit: number, settledBefore = Number.MAX_SAFE_INTEGER): Promise<NoticeDue[]> {
    this.guard();
    const { rows } = await this.client.query<NoticeDue>(
      'SELECT id, state, stage, reply FROM messages WHERE notices_due AND updated_at < $1 ORDER BY id LIMIT $2', [settledBefore, limit]);
    return rows.map((r) => ({ id: r.id, state: r.state, stage: r.stage, reply: r.reply }));
  }

  events(messageRef: string, events: NewEvent[], now: number): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.write((tx) => this.insertEvents(tx, messageRef, events, now));
  }

  // ---- operators ----

  release(id: string, now: number): Promise<boolean> {
    return this.write(async (tx) => {
      const { count } = await tx.query(`UPDATE messages SET state = 'received', stage = NULL, reason = NULL, reply = NULL, owner = NULL,
        lease_until = NULL, notices_due = false, updated_at = $2 WHERE id = $1 AND state = 'quarantined'`, [id, now]);
      if (count !== 1) return false;
      await tx.query(`UPDATE deliveries SET state = 'pending', last_error = NULL, target_network = NULL, target_address = NULL, updated_at = $2
        WHERE message_ref = $1 AND state = 'quarantined'`, [id, now]);
      await this.insertEvents(tx, id, [{ stage: 'quarantine', level: 'info', detail: 'released by an operator: the pipeline runs again' }], now);
      return true;
    });
  }

  drop(id: string, now: number): Promise<boolean> {
    return this.write(async (tx) => {
      const { count } = await tx.query(`UPDATE messages SET state = 'dropped', updated_at = $2 WHERE id = $1 AND state = 'quarantined'`, [id, now]);
      if (count !== 1) return false;
      await tx.query(`UPDATE deliveries SET state = 'failed', last_error = coalesce(last_error, 'dropped'), updated_at = $2
        WHERE message_ref = $1 AND state IN ('pending', 'quarantined')`, [id, now]);
      await tx.query('DELETE FROM raw_messages WHERE id = $1', [id]);
      await this.insertEvents(tx, id, [{ stage: 'quarantine', level: 'warn', detail: 'dropped by an operator: raw bytes erased' }], now);
      return true;
    });
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

  async summary(): Promise<{ deliveries: Record<string, number>; messages: Record<string, number>; nextDue: number | null }> {
    this.guard();
    const [d, m, next] = await Promise.all([
      this.client.query<{ state: string; n: number }>('SELECT state, count(*) AS n FROM deliveries GROUP BY state'),
      this.client.query<{ state: string; n: number }>('SELECT state, count(*) AS n FROM messages GROUP BY state'),
      this.client.query<{ t: number | null }>(`SELECT min(next_attempt_at) AS t FROM deliveries WHERE state = 'queued'`),
    ]);
    return {
      deliveries: Object.fromEntries(d.rows.map((r) => [r.state, r.n])),
      messages: Object.fromEntries(m.rows.map((r) => [r.state, r.n])),
      nextDue: next.rows[0]?.t ?? null,
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
    await this.client.end();
  }
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
