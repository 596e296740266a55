/**
 * `Store` over better-sqlite3 (Node edge) with the drizzle schema of `schema.ts`.
 *
 * Writes use group commit: every write queued in the same turn of the event loop (accepts,
 * content claims, routing decisions, claims of work, delivery outcomes) is committed in one
 * transaction; should one write fail, the batch is rolled back and committed again with each
 * write in its own savepoint, so that one failure does not undo the others. Many SMTP sessions
 * share one fsync, and each still gets its `250` only after its own rows are on disk. The fsync of
 * the write-ahead log runs in libuv's thread pool (`fdatasync`), not inside the commit, so
 * the event loop keeps serving other sessions while the disk flushes: the same guarantee as
 * `synchronous=FULL` (a commit is in the WAL, and the WAL is on disk, before it is
 * acknowledged; checkpoints sync the database file themselves). Hot statements are
 * prepared once, a stage's events are one multi-row INSERT (`docs/performance.md`). Every
 * method is async (the `MessageStore` contract); claims carry an owner and a lease so that
 * several gateway processes can share the file.
 *
 * @example
 * const store = SqliteStore.open('./var/passerelle.db');
 * const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@x.lnp.test',
 *   recipients: ['b@interop.lnp.test'], messageId: '<1@x>', raw }, Date.now());
 */
import { messageFilter, operator } from '../shared/message-query.js';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type Database from 'better-sqlite3';
import { openDatabase, type Db, type OpenDatabaseOptions } from './database.js';
import { fdatasync, openSync, closeSync, existsSync } from 'node:fs';
import { deliveries, events, messages, rawMessages, seen } from './schema.js';
import { messageIdTimeBound, newMessageId } from './ids.js';
import type { Clock } from '../../core/ports/clock.js';
import type { Exclusive, JobHolder, JobLock } from '../../core/ports/job-lock.js';
import type { Envelope, Origin, RemotePeer } from '../../core/model/envelope.js';
import type { NetworkId } from '../../core/model/network.js';
import type {
  AcceptInput, AcceptResult, BounceMark, Claimant, ClaimResult, ContentClaim, DeliveryRow, DeliveryState, EventRow, MessageRow, MessageState, MessageStore, NewEvent,
  NoticeDue, OutcomeUpdate, QuarantineRecord, RoutingResult, Trace, Actor, MessageQuery, NetworkHold,
  QueueSummary,
} from '../../core/ports/message-store.js';

const p = sql.placeholder;
/** A placeholder usable where drizzle expects a value expression (UPDATE … SET). */
const v = (name: string) => sql`${sql.placeholder(name)}`;

interface QueuedWrite {
  op: () => unknown;
  /** Must reach the disk (fsync) before it resolves: acceptance. */
  durable: boolean;
  resolve: (r: never) => void;
  reject: (e: unknown) => void;
}

export class SqliteStore implements MessageStore, JobLock {
  private pending: QueuedWrite[] = [];
  /** Lease renewals of the jobs this store's holders run (stopped at close: the leases then lapse). */
  private readonly renewals = new Set<ReturnType<typeof setInterval>>();
  private flushScheduled = false;
  private closed = false;

  private readonly q;
  /** Hot-path statements, prepared once on the raw connection (same schema). */
  private readonly h;

  /**
   * @param durableAccept fsync every acceptance commit (power-loss safe) — the gateway's
   *   `durability: FULL`. Later state changes are plain WAL commits: they survive a process
   *   crash, reach the disk with the next durable commit, and are redone from the raw
   *   message should power fail before that.
   */
  private walFd: number | null = null;

  constructor(readonly db: Db, readonly sqlite: Database.Database, private readonly durableAccept = true) {
    const d = db;
    this.h = this.prepareHot();
    this.savepoint = sqlite.transaction((op: () => unknown) => op());
    this.commitAll = sqlite.transaction((batch: QueuedWrite[], results: { ok: boolean; value: unknown }[]) => {
      for (const b of batch) results.push({ ok: true, value: b.op() });
    });
    this.commitBatch = sqlite.transaction((batch: QueuedWrite[], results: { ok: boolean; value: unknown }[]) => {
      for (const b of batch) {
        try {
          results.push({ ok: true, value: this.savepoint(b.op) });
        } catch (err) {
          results.push({ ok: false, value: err });
        }
      }
    });
    this.q = {
      message: d.select().from(messages).where(eq(messages.id, p('id'))).prepare(),
      raw: d.select({ bytes: rawMessages.bytes }).from(rawMessages).where(eq(rawMessages.id, p('id'))).prepare(),
      deliveriesOf: d.select().from(deliveries).where(eq(deliveries.messageRef, p('id'))).orderBy(asc(deliveries.id)).prepare(),
      pendingOf: d.select().from(deliveries)
        .where(and(eq(deliveries.messageRef, p('id')), eq(deliveries.state, 'pending'))).orderBy(asc(deliveries.id)).prepare(),
    };
  }

  private prepareHot() {
    const S = (sql: string) => this.sqlite.prepare(sql);
    return {
      insertMessage: S(`INSERT INTO messages (id, source, mail_from, message_id, received_at, size, state, remote, related_id, owner, lease_until, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertRaw: S('INSERT INTO raw_messages (id, bytes) VALUES (?, ?)'),
      insertDelivery: S(`INSERT INTO deliveries (message_ref, recipient, target_network, target_address, state, next_attempt_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
      insertSeen: S('INSERT INTO seen (network, message_id, recipient, message_ref) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      seenOf: S('SELECT digest, message_ref AS messageRef FROM seen WHERE network = ? AND message_id = ? AND recipient = ? ORDER BY rowid'),
      claimSeen: S('INSERT INTO seen (network, message_id, recipient, digest, message_ref) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      dropPending: S(`DELETE FROM deliveries WHERE message_ref = ? AND recipient = ? AND state = 'pending'`),
      insertEvent: S('INSERT INTO events (message_ref, at, stage, level, detail, recipient) VALUES (?, ?, ?, ?, ?, ?)'),
      routeOne: S(`UPDATE deliveries SET target_network = ?, target_address = ?, state = 'queued', next_attempt_at = ?, updated_at = ?
        WHERE message_ref = ? AND recipient = ? AND state = 'pending'`),
      failPending: S(`UPDATE deliveries SET state = 'failed', last_error = ?, attempts = attempts + 1, updated_at = ?
        WHERE message_ref = ? AND recipient = ? AND state = 'pending'`),
      setState: S('UPDATE messages SET state = ?, stage = ?, reason = ?, owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?'),
      // Settling (done, quarantined) and "notices to queue" in one write: a crash after it leaves the flag for the restart.
      settleState: S(`UPDATE messages SET state = ?, stage = ?, reason = ?, reply = ?, owner = NULL, lease_until = NULL, updated_at = ?,
        notices_due = CASE WHEN source = 'gateway' THEN 0 ELSE 1 END WHERE id = ?`),
      noticesQueued: S('UPDATE messages SET notices_due = 0 WHERE id = ?'),
      bouncedBy: S('SELECT * FROM deliveries WHERE bounced_by = ? ORDER BY id'),
      noticesDue: S('SELECT id, state, stage, reply, related_id AS relatedId FROM messages WHERE notices_due = 1 AND updated_at < ? ORDER BY id LIMIT ?'),
      outcome: S(`UPDATE deliveries SET state = ?, last_error = ?, next_attempt_at = coalesce(?, next_attempt_at),
        attempts = attempts + ?, owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?`),
      messageState: S('SELECT state FROM messages WHERE id = ?'),
      // The state and the open deliveries in one statement (settling after each stage's writes).
      stateAndOpen: S(`SELECT state, (SELECT count(*) FROM deliveries WHERE message_ref = messages.id AND state IN ('pending', 'queued', 'sending')) AS n
        FROM messages WHERE id = ?`),
      envelopeOf: S(`SELECT id, source, mail_from AS mailFrom, message_id AS messageId, received_at AS receivedAt, size, remote
        FROM messages WHERE id = ?`),
      recipientsOf: S('SELECT recipient FROM deliveries WHERE message_ref = ? ORDER BY id').pluck(),
      // Read first (readers never wait in WAL): a poll with nothing to claim takes no write lock,
      // so an idle worker never waits on another connection's write (a directory import's batch).
      anyUnprocessed: S(`SELECT 1 FROM messages WHERE state IN ('received', 'opened') AND received_at < @before
        AND (lease_until IS NULL OR lease_until <= @now) LIMIT 1`).pluck(),
      anyDue: S(`SELECT 1 FROM deliveries WHERE (state = 'queued' AND next_attempt_at <= @now) OR (state = 'sending' AND lease_until <= @now) LIMIT 1`).pluck(),
      // One statement claims the messages to process and returns them (no read-then-write race).
      claimUnprocessed: S(`UPDATE messages SET owner = @owner, lease_until = @lease
        WHERE id IN (SELECT id FROM messages WHERE state IN ('received', 'opened') AND received_at < @before
          AND (lease_until IS NULL OR lease_until <= @now) ORDER BY id LIMIT @limit)
        RETURNING id`),
      // Sends whose claim lapsed (a worker died or stalled): back to the queue, flagged uncertain.
      reclaimLapsed: S(`UPDATE deliveries SET state = 'queued', uncertain = 1, next_attempt_at = @now, owner = NULL, lease_until = NULL, updated_at = @now
        WHERE state = 'sending' AND lease_until <= @now
        RETURNING message_ref AS messageRef, recipient`),
      // One statement claims the due deliveries and returns them (no read-then-write race).
      claim: S(`UPDATE deliveries SET state = 'sending', owner = @owner, lease_until = @lease, updated_at = @now
        WHERE id IN (SELECT id FROM deliveries WHERE state = 'queued' AND next_attempt_at <= @now
          AND NOT EXISTS (SELECT 1 FROM network_holds h WHERE h.network = deliveries.target_network) ORDER BY next_attempt_at LIMIT @limit)
        RETURNING id, message_ref AS messageRef, recipient, target_network AS targetNetwork, target_address AS targetAddress,
          state, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, uncertain`),
    };
  }

  static open(path: string, opts: OpenDatabaseOptions = {}): SqliteStore {
    const { db, sqlite } = openDatabase(path, { synchronous: 'NORMAL' });
    return new SqliteStore(db, sqlite, (opts.synchronous ?? 'FULL') === 'FULL');
  }

  // ---- group commit ----

  accept(input: AcceptInput, now: number): Promise<AcceptResult> {
    return this.enqueue(() => this.acceptNow(input, now), true);
  }

  private enqueue<T>(op: () => T, durable: boolean): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ op, durable, resolve: resolve as (r: never) => void, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const durable = this.durableAccept && batch.some((b) => b.durable);
    let results: { ok: boolean; value: unknown }[] = [];
    try {
      this.commitAll(batch, results);
    } catch {
      // A write failed (rolled back with the whole batch): again, each write in a savepoint,
      // so that only the failing ones fail.
      results = [];
      try {
        this.commitBatch(batch, results);
      } catch (err) {
        for (const b of batch) b.reject(err);
        return;
      }
    }
    const settle = (b: QueuedWrite, i: number) => (results[i].ok ? b.resolve(results[i].value as never) : b.reject(results[i].value));
    if (!durable) {
      batch.forEach(settle);
      return;
    }
    // Writes that need no fsync are answered now; the durable ones once the WAL is on disk.
    batch.forEach((b, i) => !b.durable && settle(b, i));
    const fd = this.wal();
    if (fd === null) {
      this.sqlite.pragma('wal_checkpoint(FULL)');
      batch.forEach((b, i) => b.durable && settle(b, i));
      return;
    }
    fdatasync(fd, (err) => {
      batch.forEach((b, i) => {
        if (!b.durable) return;
        if (err) b.reject(err);
        else settle(b, i);
      });
    });
  }

  /**
   * The batch in one transaction (`commitAll`); should a write fail, the batch again with each
   * write in a savepoint of its own (`commitBatch`): writes seldom fail, and a savepoint costs
   * two statements per write. The wrappers are made once (better-sqlite3 builds a function and
   * looks up its statements for each `transaction`).
   */
  private readonly commitAll: (batch: QueuedWrite[], results: { ok: boolean; value: unknown }[]) => void;
  private readonly commitBatch: (batch: QueuedWrite[], results: { ok: boolean; value: unknown }[]) => void;
  private readonly savepoint: (op: () => unknown) => unknown;

  /** The write-ahead log's file descriptor, opened once (null for an in-memory database). */
  private wal(): number | null {
    if (this.walFd !== null) return this.walFd;
    const name = this.sqlite.name;
    if (!name || name === ':memory:' || !existsSync(`${name}-wal`)) return null;
    this.walFd = openSync(`${name}-wal`, 'r');
    return this.walFd;
  }

  /** A read, answered as a promise (the contract is async; better-sqlite3 reads are synchronous). */
  private read<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private acceptNow(input: AcceptInput, now: number): AcceptResult {
    const h = this.h;
    const receivedAt = input.receivedAt ?? now;
    const id = newMessageId(receivedAt);
    const duplicates: string[] = [];
    const fresh: string[] = [];
    for (const r of input.recipients) {
      // A notice the gateway writes is keyed (e.g. `failure:ID`): queued again after a restart, it is a duplicate.
      // A received message is not judged here: whether it is a resend depends on what it says (claimContent, after opening).
      if (input.source === 'gateway' && input.noticeKey) {
        if (h.insertSeen.run('gateway', input.noticeKey, r, id).changes === 0) {
          duplicates.push(r);
          continue;
        }
      }
      fresh.push(r);
    }
    // A message whose every route is known at acceptance (a notice) is routed at once.
    const allRouted = fresh.length > 0 && fresh.every((r) => input.routes?.[r]);
    const state: MessageState = fresh.length === 0 ? 'duplicate' : allRouted ? 'routed' : 'received';
    const claim = state === 'received' && input.claimedBy ? input.claimedBy : null;
    h.insertRaw.run(id, Buffer.from(input.raw.buffer, input.raw.byteOffset, input.raw.byteLength));
    h.insertMessage.run(id, input.source, input.mailFrom, input.messageId, receivedAt, input.raw.byteLength,
      state, input.remote ? JSON.stringify(input.remote) : null, input.relatedId ?? null,
      claim?.owner ?? null, claim ? now + claim.leaseMs : null, now);
    for (const r of fresh) {
      const route = input.routes?.[r];
      h.insertDelivery.run(id, r, route?.network ?? null, route?.address ?? null, route ? 'queued' : 'pending', receivedAt, now);
    }
    h.insertEvent.run(id, now, 'receive', 'info',
      `accepted from ${input.source}, ${input.raw.byteLength} bytes, ${fresh.length} recipient(s)` +
        (duplicates.length ? `, ${duplicates.length} already accepted earlier (not delivered again)` : ''), null);
    const envelope: Envelope = {
      id, source: input.source, mailFrom: input.mailFrom, recipients: fresh, messageId: input.messageId, receivedAt,
      size: input.raw.byteLength, rawRef: `db:${id}`, ...(input.remote ? { remote: input.remote } : {}),
    };
    return { id, duplicates, envelope };
  }

  claimContent(id: string, claim: ContentClaim, now: number): Promise<ClaimResult> {
    const h = this.h;
    return this.enqueue(() => {
      const result: ClaimResult = { fresh: [], duplicates: [], reused: [], state: 'received' };
      for (const recipient of claim.recipients) {
        const rows = h.seenOf.all(claim.network, claim.messageId, recipient) as { digest: string; messageRef: string }[];
        const others = rows.filter((x) => x.messageRef !== id);
        // An empty digest: a row written before digests were kept, read as the same content (exactly-once as before).
        const same = others.find((x) => x.digest === claim.digest || x.digest === '');
        if (same) {
          if (h.dropPending.run(id, recipient).changes === 0) continue; // not pending: already decided
          result.duplicates.push({ recipient, of: same.messageRef });
          h.insertEvent.run(id, now, 'duplicate', 'info', claim.digest.startsWith('raw:')
            ? `duplicate of message ${same.messageRef}: same Message-ID, the same bytes that could not be opened; not processed again`
            : `duplicate of message ${same.messageRef}: same Message-ID, same content; not delivered again`, recipient);
          continue;
        }
        h.claimSeen.run(claim.network, claim.messageId, recipient, claim.digest, id);
        result.fresh.push(recipient);
        const other = others.find((x) => x.digest !== claim.digest);
        if (other && !rows.some((x) => x.messageRef === id && x.digest === claim.digest)) {
          result.reused.push({ recipient, of: other.messageRef });
          h.insertEvent.run(id, now, 'duplicate', 'info', other.digest.startsWith('raw:')
            ? `reuses the Message-ID of message ${other.messageRef}, which could not be opened: a new message, not a duplicate`
            : `reuses the Message-ID of message ${other.messageRef} with different content: a new message, not a duplicate`, recipient);
        }
      }
      const st = h.stateAndOpen.get(id) as { state: MessageState; n: number } | undefined;
      const open = (st?.n ?? 0) > 0;
      const state = st?.state ?? 'received';
      if (!open && result.duplicates.length > 0 && (state === 'received' || state === 'opened')) {
        h.setState.run('duplicate', null, null, now, id);
        result.state = 'duplicate';
      } else {
        result.state = state;
      }
      return result;
    }, false);
  }

  /** A stage's events in one statement (multi-row INSERT, prepared once per row count up to 16). */
  private insertEvents(id: string, events: readonly NewEvent[], now: number): void {
    for (let i = 0; i < events.length; i += 16) {
      const part = events.slice(i, i + 16);
      if (part.length === 1) {
        const e = part[0]!;
        this.h.insertEvent.run(id, now, e.stage, e.level, e.detail, e.recipient ?? null);
        continue;
      }
      let stmt = this.insertEventRows.get(part.length);
      if (!stmt) {
        stmt = this.sqlite.prepare(`INSERT INTO events (message_ref, at, stage, level, detail, recipient) VALUES ${Array(part.length).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`);
        this.insertEventRows.set(part.length, stmt);
      }
      const args: unknown[] = [];
      for (const e of part) args.push(id, now, e.stage, e.level, e.detail, e.recipient ?? null);
      stmt.run(...args);
    }
  }
  private readonly insertEventRows = new Map<number, Database.Statement>();

  recordRouting(id: string, r: RoutingResult, now: number): Promise<MessageState> {
    const h = this.h;
    return this.enqueue(() => {
      this.insertEvents(id, r.events, now);
      for (const f of r.failures) h.failPending.run(f.reply, now, id, f.recipient);
      for (const x of r.routes) h.routeOne.run(x.network, x.address, now, now, id, x.recipient);
      h.setState.run('routed', null, null, now, id);
      return this.settleNow(id, now);
    }, false);
  }

  recordOutcomes(id: string, updates: OutcomeUpdate[], events: NewEvent[], now: number): Promise<MessageState> {
    const h = this.h;
    return this.enqueue(() => {
      this.insertEvents(id, events, now);
      for (const u of updates) {
        const next = u.state === 'queued' ? u.nextAttemptAt : null;
        const inc = u.state === 'quarantined' ? 0 : 1;
        h.outcome.run(u.state, u.reply, next, inc, now, u.deliveryId);
      }
      return this.settleNow(id, now);
    }, false);
  }

  quarantine(id: string, q: QuarantineRecord, now: number): Promise<void> {
    return this.enqueue(() => {
      this.sqlite.prepare(`UPDATE deliveries SET state = 'quarantined', last_error = ?, owner = NULL, lease_until = NULL, updated_at = ?
        WHERE message_ref = ? AND state = 'pending'`).run(q.reply, now, id);
      if (q.deliveryIds?.length) {
        const one = this.sqlite.prepare(`UPDATE deliveries SET state = 'quarantined', last_error = ?, owner = NULL, lease_until = NULL, updated_at = ?
          WHERE id = ? AND message_ref = ?`);
        for (const d of q.deliveryIds) one.run(q.reply, now, d, id);
      }
      this.insertEvents(id, q.events ?? [], now);
      this.h.settleState.run('quarantined', q.stage, q.reason, q.reply, now, id);
      this.h.insertEvent.run(id, now, q.stage, 'error', `quarantined: ${q.reason}`, null);
    }, false);
  }

  recordBounce(bounceId: string, originalId: string, marks: BounceMark[], now: number): Promise<number[]> {
    const h = this.h;
    return this.enqueue(() => {
      const changed: number[] = [];
      const fail = this.sqlite.prepare(`UPDATE deliveries SET state = 'failed', last_error = ?, bounced_by = ?, updated_at = ?
        WHERE id = ? AND message_ref = ? AND state = 'delivered'`);
      for (const m of marks) {
        if (fail.run(m.reply, bounceId, now, m.deliveryId, originalId).changes !== 1) continue;
        changed.push(m.deliveryId);
        h.insertEvent.run(originalId, now, m.event.stage, m.event.level, m.event.detail, m.event.recipient ?? null);
      }
      this.sqlite.prepare(`UPDATE deliveries SET state = 'delivered', last_error = ?, updated_at = ?
        WHERE message_ref = ? AND state = 'pending'`).run('250 2.0.0 Read by the gateway (relay bounce)', now, bounceId);
      this.sqlite.prepare('UPDATE messages SET related_id = ? WHERE id = ?').run(originalId, bounceId);
      // Done, and its notice (if it changed anything) due: queued from row state, on any node, after any crash.
      h.settleState.run('done', null, null, null, now, bounceId);
      if (changed.length === 0) h.noticesQueued.run(bounceId);
      return changed;
    }, false);
  }

  bouncedBy(bounceId: string): Promise<DeliveryRow[]> {
    return this.read(() => (this.h.bouncedBy.all(bounceId) as RawDelivery[]).map(fromRaw));
  }

  private settleNow(id: string, now: number): MessageState {
    const m = this.h.stateAndOpen.get(id) as { state: MessageState; n: number } | undefined;
    if (!m) throw new Error(`no message ${id}`);
    const open = m.n > 0;
    if (open || m.state === 'quarantined' || m.state === 'duplicate' || m.state === 'done') return m.state;
    this.h.settleState.run('done', null, null, null, now, id);
    return 'done';
  }

  // ---- reads ----

  private messageNow(id: string): MessageRow | null {
    const m = this.q.message.get({ id });
    if (!m) return null;
    return {
      id: m.id, source: m.source as Origin, mailFrom: m.mailFrom, messageId: m.messageId, receivedAt: m.receivedAt,
      size: m.size, state: m.state as MessageState, stage: m.stage, reason: m.reason, reply: m.reply, relatedId: m.relatedId,
    };
  }

  message(id: string): Promise<MessageRow | null> {
    return this.read(() => this.messageNow(id));
  }

  envelope(id: string): Promise<Envelope | null> {
    return this.read(() => {
      // Raw prepared statements: the deliver stage and the notices read it for every message.
      const m = this.h.envelopeOf.get(id) as { id: string; source: string; mailFrom: string; messageId: string | null; receivedAt: number; size: number; remote: string | null } | undefined;
      if (!m) return null;
      const recipients = this.h.recipientsOf.all(id) as string[];
      return {
        id: m.id, source: m.source as Origin, mailFrom: m.mailFrom, recipients, messageId: m.messageId,
        receivedAt: m.receivedAt, size: m.size, rawRef: `db:${m.id}`,
        ...(m.remote ? { remote: JSON.parse(m.remote) as RemotePeer } : {}),
      };
    });
  }

  raw(id: string): Promise<Uint8Array | null> {
    return this.read(() => {
      const r = this.q.raw.get({ id });
      return r ? new Uint8Array(r.bytes as Buffer) : null;
    });
  }

  deliveries(id: string): Promise<DeliveryRow[]> {
    return this.read(() => this.q.deliveriesOf.all({ id }).map(toDeliveryRow));
  }

  pendingDeliveries(id: string): Promise<DeliveryRow[]> {
    return this.read(() => this.q.pendingOf.all({ id }).map(toDeliveryRow));
  }

  // ---- claims ----

  // Claims are writes: they join the group commit (one commit with the accepts, routings and
  // outcomes of the same turn) rather than commit on their own.
  claimUnprocessed(now: number, limit: number, by: Claimant, receivedBefore = Number.MAX_SAFE_INTEGER): Promise<string[]> {
    if (this.h.anyUnprocessed.get({ now, before: receivedBefore }) === undefined) return Promise.resolve([]);
    return this.enqueue(() => (this.h.claimUnprocessed.all({ owner: by.owner, lease: now + by.leaseMs, now, before: receivedBefore, limit }) as { id: string }[])
      .map((r) => r.id).sort(), false);
  }

  claimDue(now: number, limit: number, by: Claimant): Promise<DeliveryRow[]> {
    if (this.h.anyDue.get({ now }) === undefined) return Promise.resolve([]);
    return this.enqueue(() => {
      const lapsed = this.h.reclaimLapsed.all({ now }) as { messageRef: string; recipient: string }[];
      for (const c of lapsed) {
        this.h.insertEvent.run(c.messageRef, now, 'recover', 'warn', 'the claim on this send lapsed (its worker stopped): outcome unknown, sending again', c.recipient);
      }
      const rows = this.h.claim.all({ now, limit, lease: now + by.leaseMs, owner: by.owner }) as (typeof deliveries.$inferSelect)[];
      return rows.sort((a, b) => a.id - b.id).map(toDeliveryRow);
    }, false);
  }

  /**
   * Extend the leases this worker holds (it is alive and still working on them). Resolves to
   * the number of claims renewed.
   */
  renewClaims(by: Claimant, now: number, only?: { deliveries: number[]; messages: string[] }): Promise<number> {
    return this.read(() => this.sqlite.transaction(() => {
      const lease = now + by.leaseMs;
      if (only) {
        const d = this.sqlite.prepare(`UPDATE deliveries SET lease_until = ? WHERE owner = ? AND state = 'sending' AND id IN (SELECT value FROM json_each(?))`)
          .run(lease, by.owner, JSON.stringify(only.deliveries)).changes;
        const m = this.sqlite.prepare(`UPDATE messages SET lease_until = ? WHERE owner = ? AND state IN ('received', 'opened') AND id IN (SELECT value FROM json_each(?))`)
          .run(lease, by.owner, JSON.stringify(only.messages)).changes;
        return d + m;
      }
      const d = this.sqlite.prepare(`UPDATE deliveries SET lease_until = ? WHERE owner = ? AND state = 'sending'`).run(lease, by.owner).changes;
      const m = this.sqlite.prepare(`UPDATE messages SET lease_until = ? WHERE owner = ? AND state IN ('received', 'opened')`).run(lease, by.owner).changes;
      return d + m;
    })());
  }

  /**
   * Let go at once of the claims of a previous run of this node (`owner` starting with
   * `node/`, other than the current one): that run is over, so there is no need to wait for
   * its leases to lapse. Sends it had in hand go back to the queue flagged uncertain.
   */
  releaseClaimsOfNode(node: string, current: string, now: number): Promise<{ requeued: number; unprocessed: number }> {
    return this.read(() => this.sqlite.transaction(() => {
      const prefix = `${node}/`;
      const cut = this.sqlite.prepare(`UPDATE deliveries SET state = 'queued', uncertain = 1, next_attempt_at = ?, owner = NULL, lease_until = NULL, updated_at = ?
        WHERE state = 'sending' AND substr(owner, 1, ?) = ? AND owner <> ?
        RETURNING message_ref AS messageRef, recipient`).all(now, now, prefix.length, prefix, current) as { messageRef: string; recipient: string }[];
      for (const c of cut) {
        this.h.insertEvent.run(c.messageRef, now, 'recover', 'warn', 'send was in progress when the gateway stopped: outcome unknown, sending again', c.recipient);
      }
      const unprocessed = this.sqlite.prepare(`UPDATE messages SET owner = NULL, lease_until = NULL
        WHERE state IN ('received', 'opened') AND substr(owner, 1, ?) = ? AND owner <> ?`).run(prefix.length, prefix, current).changes;
      return { requeued: cut.length, unprocessed };
    })());
  }

  // ---- notices ----

  noticesQueued(id: string): Promise<void> {
    return this.enqueue(() => void this.h.noticesQueued.run(id), false);
  }

  noticesDue(limit: number, settledBefore = Number.MAX_SAFE_INTEGER): Promise<NoticeDue[]> {
    return this.read(() => (this.h.noticesDue.all(settledBefore, limit) as NoticeDue[]));
  }

  events(messageRef: string, events: NewEvent[], now: number): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.enqueue(() => this.insertEvents(messageRef, events, now), false);
  }

  // ---- operators ----

  release(id: string, now: number, by?: Actor): Promise<boolean> {
    return this.read(() => this.sqlite.transaction(() => {
      const m = this.h.messageState.get(id) as { state: string } | undefined;
      if (m?.state !== 'quarantined') return false;
      this.sqlite.prepare(`UPDATE deliveries SET state = 'pending', last_error = NULL, target_network = NULL, target_address = NULL, updated_at = ?
        WHERE message_ref = ? AND state = 'quarantined'`).run(now, id);
      this.sqlite.prepare(`UPDATE messages SET state = 'received', stage = NULL, reason = NULL, reply = NULL, owner = NULL, lease_until = NULL,
        notices_due = 0, updated_at = ? WHERE id = ?`).run(now, id);
      this.h.insertEvent.run(id, now, 'quarantine', 'info', `released by ${operator(by)}: the pipeline runs again`, null);
      return true;
    })());
  }

  drop(id: string, now: number, by?: Actor): Promise<boolean> {
    return this.read(() => this.sqlite.transaction(() => {
      const m = this.h.messageState.get(id) as { state: string } | undefined;
      if (m?.state !== 'quarantined') return false;
      this.sqlite.prepare(`UPDATE deliveries SET state = 'failed', last_error = coalesce(last_error, 'dropped'), updated_at = ?
        WHERE message_ref = ? AND state IN ('pending', 'quarantined')`).run(now, id);
      this.sqlite.prepare('DELETE FROM raw_messages WHERE id = ?').run(id);
      this.sqlite.prepare(`UPDATE messages SET state = 'dropped', updated_at = ? WHERE id = ?`).run(now, id);
      this.h.insertEvent.run(id, now, 'quarantine', 'warn', `dropped by ${operator(by)}: raw bytes erased`, null);
      return true;
    })());
  }

  retryNow(id: string, now: number, by?: Actor): Promise<number> {
    return this.read(() => this.sqlite.transaction(() => {
      const n = this.sqlite.prepare(`UPDATE deliveries SET next_attempt_at = ?, updated_at = ? WHERE message_ref = ? AND state = 'queued'`).run(now, now, id).changes;
      if (n > 0) this.h.insertEvent.run(id, now, 'queue', 'info', `retry now requested by ${operator(by)} (${n} deliver${n === 1 ? 'y' : 'ies'})`, null);
      return n;
    })());
  }

  holdNetwork(network: NetworkId, held: boolean, now: number, by: Actor): Promise<boolean> {
    return this.read(() => (held
      ? this.sqlite.prepare('INSERT INTO network_holds (network, held_at, held_by) VALUES (?, ?, ?) ON CONFLICT (network) DO NOTHING').run(network, now, by)
      : this.sqlite.prepare('DELETE FROM network_holds WHERE network = ?').run(network)).changes === 1);
  }

  holds(): Promise<NetworkHold[]> {
    return this.read(() => (this.sqlite.prepare('SELECT network, held_at AS since, held_by AS "by" FROM network_holds ORDER BY network').all() as NetworkHold[]));
  }

  searchMessages(q: MessageQuery): Promise<MessageRow[]> {
    const { where, params } = messageFilter(q, () => '?');
    return this.read(() => (this.sqlite.prepare(`SELECT id FROM messages m${where ? ` WHERE ${where}` : ''} ORDER BY id DESC LIMIT ?`)
      .all(...params, q.limit) as { id: string }[]).map((r) => this.messageNow(r.id)!));
  }

  /**
   * Retention (see the port): the raw rows are scanned by id, oldest first, up to the ids of
   * messages received at `doneBefore` (a message done before then was received before then),
   * so a batch reads the rows it purges and the few old ones kept (quarantined, in progress),
   * never the purged history. One short transaction per batch.
   */
  purgeRaw(doneBefore: number, limit: number, now: number): Promise<number> {
    return this.read(() => this.sqlite.transaction(() => {
      // CROSS JOIN keeps raw_messages the outer loop (SQLite does not reorder it): read by id, oldest first.
      const ids = (this.sqlite.prepare(`SELECT r.id FROM raw_messages r CROSS JOIN messages m ON m.id = r.id
        WHERE r.id < ? AND m.state IN ('done', 'duplicate') AND m.notices_due = 0 AND m.updated_at < ?
        ORDER BY r.id LIMIT ?`).all(messageIdTimeBound(doneBefore), doneBefore, limit) as { id: string }[]).map((r) => r.id);
      const del = this.sqlite.prepare('DELETE FROM raw_messages WHERE id = ?');
      const detail = purgedDetail(doneBefore);
      for (const id of ids) {
        del.run(id);
        this.h.insertEvent.run(id, now, 'retention', 'info', detail, null);
      }
      return ids.length;
    })());
  }

  // ---- periodic jobs across processes ----

  /**
   * `JobLock` on one SQLite file: a lease row per job (`job_locks`). The file is shared by
   * processes of one machine at most, so a row with the holder and a lease, written in a
   * short transaction, is all it takes; holding a write transaction (`BEGIN IMMEDIATE`) for
   * the job's length instead would stop every acceptance on the file (one writer at a time).
   * The lease is renewed every third of `leaseMs` while `fn` runs, the row deleted when it
   * settles; a holder that dies leaves its row, and the lock frees once the lease lapses.
   * Times come from `clock`.
   */
  async runExclusive<T>(job: string, by: JobHolder, clock: Clock, fn: (signal: AbortSignal) => Promise<T>): Promise<Exclusive<T>> {
    const at = clock.now();
    const taken = await this.read(() => this.sqlite.prepare(`INSERT INTO job_locks (job, holder, lease_until) VALUES (@job, @holder, @until)
      ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until WHERE job_locks.lease_until <= @now`)
      .run({ job, holder: by.holder, until: at + by.leaseMs, now: at }).changes === 1);
    if (!taken) return { ran: false };
    const lost = new AbortController();
    const timer = setInterval(() => {
      if (this.closed) return;
      try {
        const kept = this.sqlite.prepare('UPDATE job_locks SET lease_until = ? WHERE job = ? AND holder = ?').run(clock.now() + by.leaseMs, job, by.holder).changes;
        if (kept === 0) lost.abort(new Error(`the lock of job ${job} was lost (its lease lapsed)`));
      } catch {
        /* the file is busy: the next renewal tries again */
      }
    }, Math.max(1, Math.floor(by.leaseMs / 3)));
    this.renewals.add(timer);
    try {
      return { ran: true, value: await fn(lost.signal) };
    } finally {
      clearInterval(timer);
      this.renewals.delete(timer);
      if (!this.closed) this.sqlite.prepare('DELETE FROM job_locks WHERE job = ? AND holder = ?').run(job, by.holder);
    }
  }

  trace(id: string): Promise<Trace | null> {
    return this.read(() => {
      const message = this.messageNow(id);
      if (!message) return null;
      const ev = this.db.select().from(events).where(eq(events.messageRef, id)).orderBy(asc(events.id)).all();
      return {
        message,
        deliveries: this.q.deliveriesOf.all({ id }).map(toDeliveryRow),
        events: ev.map((e) => ({ at: e.at, stage: e.stage, level: e.level as EventRow['level'], detail: e.detail, recipient: e.recipient })),
      };
    });
  }

  summary(): Promise<QueueSummary> {
    return this.read(() => {
      const d = this.db.select({ state: deliveries.state, n: sql<number>`count(*)` }).from(deliveries).groupBy(deliveries.state).all();
      const m = this.db.select({ state: messages.state, n: sql<number>`count(*)` }).from(messages).groupBy(messages.state).all();
      const next = this.db.select({ t: sql<number | null>`min(${deliveries.nextAttemptAt})` }).from(deliveries).where(eq(deliveries.state, 'queued')).get();
      // Open deliveries through the (state, next_attempt_at) index, their messages by primary key.
      const oldest = this.sqlite.prepare(
        `SELECT min(m.received_at) FROM deliveries d JOIN messages m ON m.id = d.message_ref WHERE d.state IN ('pending', 'queued', 'sending')`,
      ).pluck().get() as number | null;
      return {
        deliveries: Object.fromEntries(d.map((r) => [r.state, r.n])),
        messages: Object.fromEntries(m.map((r) => [r.state, r.n])),
        nextDue: next?.t ?? null,
        oldestOpenAt: oldest ?? null,
      };
    });
  }

  listMessages(state: MessageState, limit: number): Promise<MessageRow[]> {
    return this.read(() => this.db.select().from(messages).where(eq(messages.state, state)).orderBy(desc(messages.id)).limit(limit).all()
      .map((m) => this.messageNow(m.id)!));
  }

  async close(): Promise<void> {
    this.closeNow();
  }

  /** Close at once (commits what is queued first). */
  closeNow(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const t of this.renewals) clearInterval(t);
    this.renewals.clear();
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
    this.sqlite.close();
  }
}

/** The `purged` event of a message whose raw bytes the retention erased (a date, never content). */
function purgedDetail(doneBefore: number): string {
  return `purged: raw bytes erased by the retention (done before ${new Date(doneBefore).toISOString()}); trace kept`;
}

interface RawDelivery {
  id: number; message_ref: string; recipient: string; target_network: string | null; target_address: string | null; state: string;
  attempts: number; next_attempt_at: number; last_error: string | null; uncertain: number;
}

function fromRaw(d: RawDelivery): DeliveryRow {
  return {
    id: d.id, messageRef: d.message_ref, recipient: d.recipient, targetNetwork: d.target_network as NetworkId | null,
    targetAddress: d.target_address, state: d.state as DeliveryState, attempts: d.attempts, nextAttemptAt: d.next_attempt_at,
    lastError: d.last_error, uncertain: d.uncertain === 1,
  };
}

function toDeliveryRow(d: typeof deliveries.$inferSelect): DeliveryRow {
  return {
    id: d.id, messageRef: d.messageRef, recipient: d.recipient, targetNetwork: d.targetNetwork as NetworkId | null,
    targetAddress: d.targetAddress, state: d.state as DeliveryState, attempts: d.attempts, nextAttemptAt: d.nextAttemptAt,
    lastError: d.lastError, uncertain: d.uncertain === 1,
  };
}
