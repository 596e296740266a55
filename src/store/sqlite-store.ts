/**
 * `Store` over better-sqlite3 (Node edge) with the drizzle schema of `schema.ts`.
 *
 * Acceptance uses group commit: every `accept` made in the same turn of the event loop is
 * written in one transaction, so many SMTP sessions share one fsync and each still gets its
 * `250` only after its own rows are committed. Hot statements are prepared once.
 *
 * @example
 * const store = SqliteStore.open('./var/passerelle.db');
 * const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@x.lnp.test',
 *   recipients: ['b@interop.lnp.test'], messageId: '<1@x>', raw });
 */
import { and, asc, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import type Database from 'better-sqlite3';
import { openDatabase, type Db, type OpenDatabaseOptions } from './database.js';
import { deliveries, events, messages, rawMessages, seen } from './schema.js';
import { newMessageId } from './ids.js';
import type { Envelope, Origin, RemotePeer } from '../model/envelope.js';
import type { NetworkId } from '../model/network.js';
import type {
  AcceptInput, AcceptResult, DeliveryRow, DeliveryState, EventRow, MessageRow, MessageState, Store, Trace,
} from './store.js';

const p = sql.placeholder;
/** A placeholder usable where drizzle expects a value expression (UPDATE … SET). */
const v = (name: string) => sql`${sql.placeholder(name)}`;

interface PendingAccept {
  input: AcceptInput;
  resolve: (r: AcceptResult) => void;
  reject: (e: unknown) => void;
}

export class SqliteStore implements Store {
  private pending: PendingAccept[] = [];
  private flushScheduled = false;
  private closed = false;

  private readonly q;

  constructor(readonly db: Db, readonly sqlite: Database.Database) {
    const d = db;
    this.q = {
      insertMessage: d.insert(messages).values({
        id: p('id'), source: p('source'), mailFrom: p('mailFrom'), messageId: p('messageId'),
        receivedAt: p('receivedAt'), size: p('size'), state: p('state'), remote: p('remote'),
        relatedId: p('relatedId'), updatedAt: p('updatedAt'),
      }).prepare(),
      insertRaw: d.insert(rawMessages).values({ id: p('id'), bytes: p('bytes') }).prepare(),
      insertDelivery: d.insert(deliveries).values({
        messageRef: p('messageRef'), recipient: p('recipient'), targetNetwork: p('targetNetwork'),
        targetAddress: p('targetAddress'), state: p('state'), nextAttemptAt: p('nextAttemptAt'), updatedAt: p('updatedAt'),
      }).onConflictDoNothing().prepare(),
      insertSeen: d.insert(seen).values({
        network: p('network'), messageId: p('messageId'), recipient: p('recipient'), messageRef: p('messageRef'),
      }).onConflictDoNothing().prepare(),
      insertEvent: d.insert(events).values({
        messageRef: p('messageRef'), at: p('at'), stage: p('stage'), level: p('level'), detail: p('detail'), recipient: p('recipient'),
      }).prepare(),
      message: d.select().from(messages).where(eq(messages.id, p('id'))).prepare(),
      raw: d.select({ bytes: rawMessages.bytes }).from(rawMessages).where(eq(rawMessages.id, p('id'))).prepare(),
      deliveriesOf: d.select().from(deliveries).where(eq(deliveries.messageRef, p('id'))).orderBy(asc(deliveries.id)).prepare(),
      pendingOf: d.select().from(deliveries)
        .where(and(eq(deliveries.messageRef, p('id')), eq(deliveries.state, 'pending'))).orderBy(asc(deliveries.id)).prepare(),
      setState: d.update(messages).set({ state: v('state'), stage: v('stage'), reason: v('reason'), updatedAt: v('now') })
        .where(eq(messages.id, p('id'))).prepare(),
      routeOne: d.update(deliveries).set({
        targetNetwork: v('network'), targetAddress: v('address'), state: 'queued', nextAttemptAt: v('now'), updatedAt: v('now'),
      }).where(and(eq(deliveries.messageRef, p('id')), eq(deliveries.recipient, p('recipient')), eq(deliveries.state, 'pending'))).prepare(),
      dueIds: d.select({ id: deliveries.id }).from(deliveries)
        .where(and(eq(deliveries.state, 'queued'), lte(deliveries.nextAttemptAt, p('now'))))
        .orderBy(asc(deliveries.nextAttemptAt)).limit(p('limit')).prepare(),
      delivered: d.update(deliveries).set({ state: 'delivered', lastError: v('reply'), attempts: sql`${deliveries.attempts} + 1`, leaseUntil: null, updatedAt: v('now') })
        .where(eq(deliveries.id, p('id'))).prepare(),
      retry: d.update(deliveries).set({ state: 'queued', lastError: v('error'), nextAttemptAt: v('next'), attempts: sql`${deliveries.attempts} + 1`, leaseUntil: null, updatedAt: v('now') })
        .where(eq(deliveries.id, p('id'))).prepare(),
      release: d.update(deliveries).set({ state: 'queued', nextAttemptAt: v('now'), leaseUntil: null, updatedAt: v('now') })
        .where(eq(deliveries.id, p('id'))).prepare(),
      finalState: d.update(deliveries).set({ state: v('state'), lastError: v('error'), attempts: sql`${deliveries.attempts} + ${sql.placeholder('inc')}`, leaseUntil: null, updatedAt: v('now') })
        .where(eq(deliveries.id, p('id'))).prepare(),
    };
  }

  static open(path: string, opts: OpenDatabaseOptions = {}): SqliteStore {
    const { db, sqlite } = openDatabase(path, opts);
    return new SqliteStore(db, sqlite);
  }

  // ---- acceptance (group commit) ----

  accept(input: AcceptInput): Promise<AcceptResult> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
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
    let results: AcceptResult[];
    try {
      results = this.sqlite.transaction(() => batch.map((b) => this.acceptNow(b.input)))();
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => b.resolve(results[i]));
  }

  private acceptNow(input: AcceptInput): AcceptResult {
    const now = Date.now();
    const receivedAt = input.receivedAt ?? now;
    const id = newMessageId(receivedAt);
    const duplicates: string[] = [];
    const fresh: string[] = [];
    for (const r of input.recipients) {
      if (input.messageId && input.source !== 'gateway') {
        const res = this.q.insertSeen.run({ network: input.source, messageId: input.messageId, recipient: r, messageRef: id });
        if (res.changes === 0) { duplicates.push(r); continue; }
      }
      fresh.push(r);
    }
    this.q.insertRaw.run({ id, bytes: Buffer.from(input.raw.buffer, input.raw.byteOffset, input.raw.byteLength) });
    this.q.insertMessage.run({
      id, source: input.source, mailFrom: input.mailFrom, messageId: input.messageId, receivedAt,
      size: input.raw.byteLength, state: fresh.length ? 'received' : 'duplicate',
      remote: input.remote ? JSON.stringify(input.remote) : null, relatedId: input.relatedId ?? null, updatedAt: now,
    });
    for (const r of fresh) {
      const route = input.routes?.[r];
      this.q.insertDelivery.run({
        messageRef: id, recipient: r, targetNetwork: route?.network ?? null, targetAddress: route?.address ?? null,
        state: route ? 'queued' : 'pending', nextAttemptAt: receivedAt, updatedAt: now,
      });
    }
    this.q.insertEvent.run({
      messageRef: id, at: now, stage: 'receive', level: 'info', recipient: null,
      detail: `accepted from ${input.source}, ${input.raw.byteLength} bytes, ${fresh.length} recipient(s)` +
        (duplicates.length ? `, ${duplicates.length} already accepted earlier (not delivered again)` : ''),
    });
    return { id, duplicates };
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
    this.q.setState.run({ id, state, stage: why?.stage ?? null, reason: why?.reason ?? null, now: Date.now() });
  }

  route(id: string, routes: { recipient: string; network: NetworkId; address: string }[], now: number): void {
    this.sqlite.transaction(() => {
      for (const r of routes) this.q.routeOne.run({ id, recipient: r.recipient, network: r.network, address: r.address, now });
      this.q.setState.run({ id, state: 'routed', stage: null, reason: null, now });
    })();
  }

  claimDue(now: number, limit: number, leaseMs: number): DeliveryRow[] {
    return this.sqlite.transaction(() => {
      const ids = this.q.dueIds.all({ now, limit }).map((r) => r.id);
      if (ids.length === 0) return [];
      this.db.update(deliveries).set({ state: 'sending', leaseUntil: now + leaseMs, updatedAt: now })
        .where(inArray(deliveries.id, ids)).run();
      return this.db.select().from(deliveries).where(inArray(deliveries.id, ids)).orderBy(asc(deliveries.id)).all().map(toDeliveryRow);
    })();
  }

  markDelivered(deliveryId: number, reply: string, now: number): void {
    this.q.delivered.run({ id: deliveryId, reply, now });
  }

  markRetry(deliveryId: number, nextAttemptAt: number, error: string, now: number): void {
    this.q.retry.run({ id: deliveryId, next: nextAttemptAt, error, now });
  }

  release(deliveryId: number, now: number): void {
    this.q.release.run({ id: deliveryId, now });
  }

  markFailed(deliveryId: number, error: string, now: number): void {
    this.q.finalState.run({ id: deliveryId, state: 'failed', error, inc: 1, now });
  }

  markQuarantined(deliveryId: number, error: string, now: number): void {
    this.q.finalState.run({ id: deliveryId, state: 'quarantined', error, inc: 0, now });
  }

  unprocessed(limit: number): string[] {
    return this.db.select({ id: messages.id }).from(messages)
      .where(inArray(messages.state, ['received', 'opened'])).orderBy(asc(messages.id)).limit(limit).all().map((r) => r.id);
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
    const rows = this.q.deliveriesOf.all({ id });
    const m = this.q.message.get({ id });
    if (!m) throw new Error(`no message ${id}`);
    const open = rows.some((r) => r.state === 'pending' || r.state === 'queued' || r.state === 'sending');
    if (open || m.state === 'quarantined' || m.state === 'duplicate') return m.state as MessageState;
    this.q.setState.run({ id, state: 'done', stage: m.stage, reason: m.reason, now });
    return 'done';
  }

  event(messageRef: string, stage: string, level: EventRow['level'], detail: string, recipient?: string): void {
    this.q.insertEvent.run({ messageRef, at: Date.now(), stage, level, detail, recipient: recipient ?? null });
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
