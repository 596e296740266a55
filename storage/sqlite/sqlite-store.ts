/**
 * `Store` over better-sqlite3 (Node edge) with the drizzle schema of `schema.ts`.
 *
 * Writes use group commit: every write queued in the same turn of the event loop (accepts,
 * routing decisions, delivery outcomes) is committed in one transaction, each in its own
 * savepoint so that one failure does not undo the others. Many SMTP sessions share one
 * fsync, and each still gets its `250` only after its own rows are on disk. The fsync of
 * the write-ahead log runs in libuv's thread pool (`fdatasync`), not inside the commit, so
 * the event loop keeps serving other sessions while the disk flushes: the same guarantee as
 * `synchronous=FULL` (a commit is in the WAL, and the WAL is on disk, before it is
 * acknowledged; checkpoints sync the database file themselves). Hot statements are
 * prepared once.
 *
 * @example
 * const store = SqliteStore.open('./var/passerelle.db');
 * const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@x.lnp.test',
 *   recipients: ['b@interop.lnp.test'], messageId: '<1@x>', raw });
 */
import { and, asc, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import type Database from 'better-sqlite3';
import { openDatabase, type Db, type OpenDatabaseOptions } from './database.js';
import { fdatasync, openSync, closeSync, existsSync } from 'node:fs';
import { deliveries, events, messages, rawMessages, seen } from './schema.js';
import { newMessageId } from './ids.js';
import type { Envelope, Origin, RemotePeer } from '../../core/model/envelope.js';
import type { NetworkId } from '../../core/model/network.js';
import type {
  AcceptInput, AcceptResult, BounceMark, DeliveryRow, DeliveryState, EventRow, MessageRow, MessageState, NewEvent, OutcomeUpdate,
  RoutingResult, Store, Trace,
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

export class SqliteStore implements Store {
  private pending: QueuedWrite[] = [];
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
      insertMessage: S(`INSERT INTO messages (id, source, mail_from, message_id, received_at, size, state, remote, related_id, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertRaw: S('INSERT INTO raw_messages (id, bytes) VALUES (?, ?)'),
      insertDelivery: S(`INSERT INTO deliveries (message_ref, recipient, target_network, target_address, state, next_attempt_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
      insertSeen: S('INSERT INTO seen (network, message_id, recipient, message_ref) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      insertEvent: S('INSERT INTO events (message_ref, at, stage, level, detail, recipient) VALUES (?, ?, ?, ?, ?, ?)'),
      routeOne: S(`UPDATE deliveries SET target_network = ?, target_address = ?, state = 'queued', next_attempt_at = ?, updated_at = ?
        WHERE message_ref = ? AND recipient = ? AND state = 'pending'`),
      failPending: S(`UPDATE deliveries SET state = 'failed', last_error = ?, attempts = attempts + 1, updated_at = ?
        WHERE message_ref = ? AND recipient = ? AND state = 'pending'`),
      setState: S('UPDATE messages SET state = ?, stage = ?, reason = ?, updated_at = ? WHERE id = ?'),
      // Settling (done, quarantined) and "notices to queue" in one write: a crash after it leaves the flag for the restart.
      settleState: S(`UPDATE messages SET state = ?, stage = ?, reason = ?, updated_at = ?,
        notices_due = CASE WHEN source = 'gateway' THEN 0 ELSE 1 END WHERE id = ?`),
      noticesQueued: S('UPDATE messages SET notices_due = 0 WHERE id = ?'),
      noticesDue: S('SELECT id FROM messages WHERE notices_due = 1 ORDER BY id LIMIT ?'),
      outcome: S(`UPDATE deliveries SET state = ?, last_error = ?, next_attempt_at = coalesce(?, next_attempt_at),
        attempts = attempts + ?, lease_until = NULL, updated_at = ? WHERE id = ?`),
      openCount: S(`SELECT count(*) AS n FROM deliveries WHERE message_ref = ? AND state IN ('pending', 'queued', 'sending')`),
      messageState: S('SELECT state FROM messages WHERE id = ?'),
      unprocessed: S(`SELECT id FROM messages WHERE state IN ('received', 'opened') AND received_at < ? ORDER BY id LIMIT ?`),
      // One statement claims the due deliveries and returns them (no read-then-write race).
      claim: S(`UPDATE deliveries SET state = 'sending', lease_until = @lease, updated_at = @now
        WHERE id IN (SELECT id FROM deliveries WHERE state = 'queued' AND next_attempt_at <= @now ORDER BY next_attempt_at LIMIT @limit)
        RETURNING id, message_ref AS messageRef, recipient, target_network AS targetNetwork, target_address AS targetAddress,
          state, attempts, next_attempt_at AS nextAttemptAt, last_error AS lastError, uncertain`),
    };
  }

  static open(path: string, opts: OpenDatabaseOptions = {}): SqliteStore {
    const { db, sqlite } = openDatabase(path, { synchronous: 'NORMAL' });
    return new SqliteStore(db, sqlite, (opts.synchronous ?? 'FULL') === 'FULL');
  }

  // ---- group commit ----

  accept(input: AcceptInput): Promise<AcceptResult> {
    return this.enqueue(() => this.acceptNow(input), true);
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
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      this.sqlite.transaction(() => {
        for (const b of batch) {
          try {
            results.push({ ok: true, value: this.sqlite.transaction(b.op)() });
          } catch (err) {
            results.push({ ok: false, value: err });
          }
        }
      })();
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
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

  /** The write-ahead log's file descriptor, opened once (null for an in-memory database). */
  private wal(): number | null {
    if (this.walFd !== null) return this.walFd;
    const name = this.sqlite.name;
    if (!name || name === ':memory:' || !existsSync(`${name}-wal`)) return null;
    this.walFd = openSync(`${name}-wal`, 'r');
    return this.walFd;
  }

  private acceptNow(input: AcceptInput): AcceptResult {
    const h = this.h;
    const now = Date.now();
    const receivedAt = input.receivedAt ?? now;
    const id = newMessageId(receivedAt);
    const duplicates: string[] = [];
    const fresh: string[] = [];
    for (const r of input.recipients) {
      // A notice the gateway writes is keyed (e.g. `failure:ID`): queued again after a restart, it is a duplicate.
      if (input.source === 'gateway' && input.noticeKey) {
        if (h.insertSeen.run('gateway', input.noticeKey, r, id).changes === 0) {
          duplicates.push(r);
          continue;
        }
      } else if (input.messageId && input.source !== 'gateway') {
        if (h.insertSeen.run(input.source, input.messageId, r, id).changes === 0) {
          duplicates.push(r);
          continue;
        }
      }
      fresh.push(r);
    }
    h.insertRaw.run(id, Buffer.from(input.raw.buffer, input.raw.byteOffset, input.raw.byteLength));
    h.insertMessage.run(id, input.source, input.mailFrom, input.messageId, receivedAt, input.raw.byteLength,
      fresh.length ? 'received' : 'duplicate', input.remote ? JSON.stringify(input.remote) : null, input.relatedId ?? null, now);
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

  recordRouting(id: string, r: RoutingResult, now: number): Promise<void> {
    const h = this.h;
    return this.enqueue(() => {
      for (const e of r.events) h.insertEvent.run(id, now, e.stage, e.level, e.detail, e.recipient ?? null);
      for (const f of r.failures) h.failPending.run(f.reply, now, id, f.recipient);
      for (const x of r.routes) h.routeOne.run(x.network, x.address, now, now, id, x.recipient);
      h.setState.run('routed', null, null, now, id);
    }, false);
  }

  recordOutcomes(id: string, updates: OutcomeUpdate[], events: NewEvent[], now: number): Promise<MessageState> {
    const h = this.h;
    return this.enqueue(() => {
      for (const e of events) h.insertEvent.run(id, now, e.stage, e.level, e.detail, e.recipient ?? null);
      for (const u of updates) {
        const next = u.state === 'queued' ? u.nextAttemptAt : null;
        const inc = u.state === 'quarantined' ? 0 : 1;
        h.outcome.run(u.state, u.reply, next, inc, now, u.deliveryId);
      }
      return this.settleNow(id, now);
    }, false);
  }

  recordBounce(bounceId: string, originalId: string, marks: BounceMark[], now: number): Promise<number[]> {
    const h = this.h;
    return this.enqueue(() => {
      const changed: number[] = [];
      const fail = this.sqlite.prepare(`UPDATE deliveries SET state = 'failed', last_error = ?, updated_at = ?
        WHERE id = ? AND message_ref = ? AND state = 'delivered'`);
      for (const m of marks) {
        if (fail.run(m.reply, now, m.deliveryId, originalId).changes !== 1) continue;
        changed.push(m.deliveryId);
        h.insertEvent.run(originalId, now, m.event.stage, m.event.level, m.event.detail, m.event.recipient ?? null);
      }
      this.sqlite.prepare(`UPDATE deliveries SET state = 'delivered', last_error = ?, updated_at = ?
        WHERE message_ref = ? AND state = 'pending'`).run('250 2.0.0 Read by the gateway (relay bounce)', now, bounceId);
      h.setState.run('done', null, null, now, bounceId);
      return changed;
    }, false);
  }

  private settleNow(id: string, now: number): MessageState {
    const m = this.h.messageState.get(id) as { state: MessageState } | undefined;
    if (!m) throw new Error(`no message ${id}`);
    const open = (this.h.openCount.get(id) as { n: number }).n > 0;
    if (open || m.state === 'quarantined' || m.state === 'duplicate' || m.state === 'done') return m.state;
    this.h.settleState.run('done', null, null, now, id);
    return 'done';
  }

  // ---- reads ----

  message(id: string): MessageRow | null {
    const m = this.q.message.get({ id });
    if (!m) return null;
    return {
      id: m.id, source: m.source as Origin, mailFrom: m.mailFrom, messageId: m.messageId, receivedAt: m.receivedAt,
      size: m.size, state: m.state as MessageState, stage: m.stage, reason: m.reason, relatedId: m.relatedId,
    };
  }

  envelope(id: string): Envelope | null {
    const m = this.q.message.get({ id });
    if (!m) return null;
    const recipients = this.q.deliveriesOf.all({ id }).map((d) => d.recipient);
    return {
      id: m.id, source: m.source as Origin, mailFrom: m.mailFrom, recipients, messageId: m.messageId,
      receivedAt: m.receivedAt, size: m.size, rawRef: `db:${m.id}`,
      ...(m.remote ? { remote: JSON.parse(m.remote) as RemotePeer } : {}),
    };
  }

  raw(id: string): Uint8Array | null {
    const r = this.q.raw.get({ id });
    return r ? new Uint8Array(r.bytes as Buffer) : null;
  }

  deliveries(id: string): DeliveryRow[] {
    return this.q.deliveriesOf.all({ id }).map(toDeliveryRow);
  }

  pendingDeliveries(id: string): DeliveryRow[] {
    return this.q.pendingOf.all({ id }).map(toDeliveryRow);
  }

  // ---- state changes ----

  setMessageState(id: string, state: MessageState, why?: { stage: string; reason: string }): void {
    const st = state === 'quarantined' ? this.h.settleState : this.h.setState;
    st.run(state, why?.stage ?? null, why?.reason ?? null, Date.now(), id);
  }

  noticesQueued(id: string): void {
    this.h.noticesQueued.run(id);
  }

  noticesDue(limit: number): string[] {
    return (this.h.noticesDue.all(limit) as { id: string }[]).map((r) => r.id);
  }

  claimDue(now: number, limit: number, leaseMs: number): DeliveryRow[] {
    const rows = this.h.claim.all({ now, limit, lease: now + leaseMs }) as (typeof deliveries.$inferSelect)[];
    return rows.sort((a, b) => a.id - b.id).map(toDeliveryRow);
  }

  quarantinePending(id: string, reply: string, now: number): void {
    this.sqlite.prepare(`UPDATE deliveries SET state = 'quarantined', last_error = ?, updated_at = ? WHERE message_ref = ? AND state = 'pending'`)
      .run(reply, now, id);
  }

  release(id: string, now: number): boolean {
    return this.sqlite.transaction(() => {
      const m = this.h.messageState.get(id) as { state: string } | undefined;
      if (m?.state !== 'quarantined') return false;
      this.sqlite.prepare(`UPDATE deliveries SET state = 'pending', last_error = NULL, target_network = NULL, target_address = NULL, updated_at = ?
        WHERE message_ref = ? AND state = 'quarantined'`).run(now, id);
      this.h.setState.run('received', null, null, now, id);
      this.h.insertEvent.run(id, now, 'quarantine', 'info', 'released by an operator: the pipeline runs again', null);
      return true;
    })();
  }

  drop(id: string, now: number): boolean {
    return this.sqlite.transaction(() => {
      const m = this.h.messageState.get(id) as { state: string } | undefined;
      if (m?.state !== 'quarantined') return false;
      this.sqlite.prepare(`UPDATE deliveries SET state = 'failed', last_error = coalesce(last_error, 'dropped'), updated_at = ?
        WHERE message_ref = ? AND state IN ('pending', 'quarantined')`).run(now, id);
      this.sqlite.prepare('DELETE FROM raw_messages WHERE id = ?').run(id);
      this.sqlite.prepare(`UPDATE messages SET state = 'dropped', updated_at = ? WHERE id = ?`).run(now, id);
      this.h.insertEvent.run(id, now, 'quarantine', 'warn', 'dropped by an operator: raw bytes erased', null);
      return true;
    })();
  }

  unprocessed(limit: number, receivedBefore = Number.MAX_SAFE_INTEGER): string[] {
    return (this.h.unprocessed.all(receivedBefore, limit) as { id: string }[]).map((r) => r.id);
  }

  recover(now: number): { requeued: number; unprocessed: number } {
    return this.sqlite.transaction(() => {
      const cut = this.db.select({ id: deliveries.id, messageRef: deliveries.messageRef, recipient: deliveries.recipient })
        .from(deliveries).where(eq(deliveries.state, 'sending')).all();
      for (const c of cut) {
        this.db.update(deliveries).set({ state: 'queued', uncertain: 1, nextAttemptAt: now, leaseUntil: null, updatedAt: now })
          .where(eq(deliveries.id, c.id)).run();
        this.event(c.messageRef, 'recover', 'warn', 'send was in progress when the gateway stopped: outcome unknown, sending again', c.recipient);
      }
      const open = this.db.select({ n: sql<number>`count(*)` }).from(messages).where(inArray(messages.state, ['received', 'opened'])).get();
      return { requeued: cut.length, unprocessed: open?.n ?? 0 };
    })();
  }

  settle(id: string, now: number): MessageState {
    return this.settleNow(id, now);
  }

  event(messageRef: string, stage: string, level: EventRow['level'], detail: string, recipient?: string): void {
    this.h.insertEvent.run(messageRef, Date.now(), stage, level, detail, recipient ?? null);
  }

  trace(id: string): Trace | null {
    const message = this.message(id);
    if (!message) return null;
    const ev = this.db.select().from(events).where(eq(events.messageRef, id)).orderBy(asc(events.id)).all();
    return {
      message,
      deliveries: this.deliveries(id),
      events: ev.map((e) => ({ at: e.at, stage: e.stage, level: e.level as EventRow['level'], detail: e.detail, recipient: e.recipient })),
    };
  }

  summary(): { deliveries: Record<string, number>; messages: Record<string, number>; nextDue: number | null } {
    const d = this.db.select({ state: deliveries.state, n: sql<number>`count(*)` }).from(deliveries).groupBy(deliveries.state).all();
    const m = this.db.select({ state: messages.state, n: sql<number>`count(*)` }).from(messages).groupBy(messages.state).all();
    const next = this.db.select({ t: sql<number | null>`min(${deliveries.nextAttemptAt})` }).from(deliveries).where(eq(deliveries.state, 'queued')).get();
    return {
      deliveries: Object.fromEntries(d.map((r) => [r.state, r.n])),
      messages: Object.fromEntries(m.map((r) => [r.state, r.n])),
      nextDue: next?.t ?? null,
    };
  }

  listMessages(state: MessageState, limit: number): MessageRow[] {
    return this.db.select().from(messages).where(eq(messages.state, state)).orderBy(desc(messages.id)).limit(limit).all()
      .map((m) => this.message(m.id)!);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
    this.sqlite.close();
  }
}

function toDeliveryRow(d: typeof deliveries.$inferSelect): DeliveryRow {
  return {
    id: d.id, messageRef: d.messageRef, recipient: d.recipient, targetNetwork: d.targetNetwork as NetworkId | null,
    targetAddress: d.targetAddress, state: d.state as DeliveryState, attempts: d.attempts, nextAttemptAt: d.nextAttemptAt,
    lastError: d.lastError, uncertain: d.uncertain === 1,
  };
}
