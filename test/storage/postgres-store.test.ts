/**
 * What the PostgreSQL engine promises beyond the contract suite, on a private server: two
 * stores on one database stand for two gateway nodes (each its own pool).
 *
 * - `seen` holds across nodes: the same (network, Message-ID, recipient) accepted on both at
 *   once is fresh on exactly one;
 * - claims never overlap across nodes (`FOR UPDATE SKIP LOCKED`);
 * - group commit: a write that fails in a batch fails alone, the others are committed;
 * - nodes opening together apply the migrations once (advisory lock);
 * - every connection commits with `synchronous_commit` on, whatever the database's default;
 * - raw bytes go through `bytea` unchanged;
 * - on the same sequence of writes, edge cases included (a recipient named twice, routes
 *   known for some recipients only, a recipient both failed and routed…), it ends in the
 *   same state, with the same answers and the same trace, as the SQLite engine.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../storage/postgres/postgres-store.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../support/postgres-server.js';
import type { MessageStore } from '../../core/ports/message-store.js';

const why = postgresUnavailable();
if (why) console.warn(`[PostgreSQL store tests skipped] ${why}`);

const T = 1_000_000;
const raw = new TextEncoder().encode('Message-ID: <1@x>\r\n\r\nhello\r\n');

describe.skipIf(why !== null)('PostgresStore on a shared database', () => {
  let server: PostgresServer;
  let url: string;
  let n = 0;
  const nodes = async (count: number, schema = `s_${++n}`): Promise<PostgresStore[]> => {
    const out: PostgresStore[] = [];
    for (let i = 0; i < count; i++) out.push(await PostgresStore.open(url, { schema, max: 4 }));
    return out;
  };
  const closeAll = (stores: MessageStore[]) => Promise.all(stores.map((s) => s.close()));

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('engine');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gives a (network, Message-ID, recipient, content) to one message only, across two nodes claiming it at the same time', async () => {
    const [a, b] = (await nodes(2)) as [PostgresStore, PostgresStore];
    try {
      const digest = 'd'.repeat(64);
      const copy = async (s: MessageStore, i: number) => {
        const r = await s.accept({ source: 'mssante', mailFrom: 'a@x', recipients: ['r1@y', 'r2@y'], messageId: `<${i}@x>`, raw }, T);
        return r.envelope.id;
      };
      const keys = Array.from({ length: 40 }, (_, i) => i);
      const idsA = await Promise.all(keys.map((i) => copy(a, i)));
      const idsB = await Promise.all(keys.map((i) => copy(b, i)));
      const claim = (s: MessageStore, id: string, i: number) => s.claimContent(id, { network: 'mssante', messageId: `<${i}@x>`, digest, recipients: ['r1@y', 'r2@y'] }, T);
      // In opposite orders, so that the two nodes' transactions cross on `seen`.
      const [onA, onB] = await Promise.all([
        Promise.all(keys.map((i) => claim(a, idsA[i]!, i))),
        Promise.all([...keys].reverse().map((i) => claim(b, idsB[i]!, i))),
      ]);
      onB.reverse();
      for (const i of keys) {
        const pair = [onA[i]!, onB[i]!];
        // Each recipient is fresh on exactly one of the two nodes, a duplicate on the other.
        for (const r of ['r1@y', 'r2@y']) expect(pair.filter((p) => p.fresh.includes(r))).toHaveLength(1);
        expect(pair.flatMap((p) => p.duplicates.map((d) => d.recipient)).sort()).toEqual(['r1@y', 'r2@y']);
      }
      expect((await a.summary()).deliveries.pending).toBe(80);
    } finally {
      await closeAll([a, b]);
    }
  });

  it('never gives one delivery to two nodes claiming at the same time', async () => {
    const [a, b] = (await nodes(2)) as [PostgresStore, PostgresStore];
    try {
      const route = { 'r@y': { network: 'legacy' as const, address: 'r@y' } };
      await Promise.all(Array.from({ length: 300 }, () =>
        a.accept({ source: 'mssante', mailFrom: 'a@x', recipients: ['r@y'], messageId: null, raw, routes: route }, T)));
      const claimed: number[] = [];
      const worker = async (s: MessageStore, owner: string) => {
        for (;;) {
          const ds = await s.claimDue(T, 7, { owner, leaseMs: 60_000 });
          if (ds.length === 0) return;
          claimed.push(...ds.map((d) => d.id));
        }
      };
      await Promise.all([worker(a, 'a/1'), worker(a, 'a/2'), worker(b, 'b/1'), worker(b, 'b/2')]);
      expect(claimed).toHaveLength(300);
      expect(new Set(claimed).size).toBe(300);
      expect((await b.summary()).deliveries).toEqual({ sending: 300 });
    } finally {
      await closeAll([a, b]);
    }
  });

  it('fails only the write that fails when several are committed together', async () => {
    const [s] = (await nodes(1)) as [PostgresStore];
    try {
      const accepts = Array.from({ length: 5 }, (_, i) =>
        s.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: `<g${i}@x>`, raw }, T));
      const bad = s.recordOutcomes('NO-SUCH-MESSAGE', [], [], T); // same turn of the event loop: same batch
      const settled = await Promise.allSettled([...accepts, bad]);
      expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
      expect((await s.summary()).messages).toEqual({ received: 5 });
    } finally {
      await s.close();
    }
  });

  it('applies the migrations once when several nodes open a new database together', async () => {
    const schema = `s_${++n}`;
    const stores = await Promise.all(Array.from({ length: 3 }, () => PostgresStore.open(url, { schema, max: 2 })));
    try {
      const { rows } = await stores[0]!.client.query<{ n: number }>(`SELECT count(*) AS n FROM ${schema}.__drizzle_migrations`);
      // Each migration of the journal once, not once per node.
      const journal = JSON.parse(readFileSync(join(import.meta.dirname, '../../drizzle-pg/meta/_journal.json'), 'utf8')) as { entries: unknown[] };
      expect(rows[0]!.n).toBe(journal.entries.length);
      const { id } = await stores[2]!.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: null, raw }, T);
      expect((await stores[1]!.message(id))?.state).toBe('received');
    } finally {
      await closeAll(stores);
    }
  });

  it('commits with synchronous_commit on even where the database defaults to off', async () => {
    await server.psql('ALTER DATABASE engine SET synchronous_commit = off');
    const [s] = (await nodes(1)) as [PostgresStore];
    try {
      const seen = await Promise.all(Array.from({ length: 4 }, () => s.client.query<{ synchronous_commit: string }>('SHOW synchronous_commit')));
      expect(seen.map((r) => r.rows[0]!.synchronous_commit)).toEqual(['on', 'on', 'on', 'on']);
    } finally {
      await s.close();
      await server.psql('ALTER DATABASE engine RESET synchronous_commit');
    }
  });

  it('keeps raw bytes exactly (bytea)', async () => {
    const [s] = (await nodes(1)) as [PostgresStore];
    try {
      const bytes = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) % 256);
      const { id } = await s.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: null, raw: bytes.subarray(3, 1000) }, T);
      expect(await s.raw(id)).toEqual(bytes.subarray(3, 1000));
      expect((await s.message(id))?.size).toBe(997);
    } finally {
      await s.close();
    }
  });

  it('answers and records as the SQLite engine on the same sequence of writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-pg-diff-'));
    const sqlite = SqliteStore.open(join(dir, 'db.sqlite'));
    const [pg] = (await nodes(1)) as [PostgresStore];
    try {
      const [fromPg, fromSqlite] = await Promise.all([scenario(pg), scenario(sqlite)]);
      expect(fromPg).toEqual(fromSqlite);
    } finally {
      await pg.close();
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const A = { owner: 'node-a/1', leaseMs: 10_000 };

/** A sequence of writes with edge cases; returns every answer and the final traces, ids replaced by their order. */
async function scenario(store: MessageStore): Promise<unknown> {
  const out: unknown[] = [];
  const ids: string[] = [];
  const accept = async (over: Partial<Parameters<MessageStore['accept']>[0]>, now = T) => {
    const r = await store.accept({ source: 'mssante', mailFrom: 'a@x', recipients: ['b@y'], messageId: null, raw, ...over }, now);
    ids.push(r.id);
    out.push({ duplicates: r.duplicates, recipients: r.envelope.recipients });
    return r.id;
  };
  const keyed = await accept({ recipients: ['b@y', 'b@y', 'c@y'], messageId: '<k@x>' });
  await accept({ recipients: ['b@y', 'd@y'], messageId: '<k@x>' }); // b@y already accepted
  const twice = await accept({ recipients: ['d@y', 'd@y'] }); // unkeyed, named twice
  const partial = await accept({ recipients: ['e@y', 'f@y'], routes: { 'e@y': { network: 'legacy', address: 'e@y' } }, claimedBy: A });
  await accept({ source: 'gateway', mailFrom: '', recipients: ['s@x'], noticeKey: 'failure:1', routes: { 's@x': { network: 'legacy', address: 's@x' } } });
  await accept({ source: 'gateway', mailFrom: '', recipients: ['s@x'], noticeKey: 'failure:1', routes: { 's@x': { network: 'legacy', address: 's@x' } } });
  await accept({ recipients: [] });
  out.push(await store.recordRouting(partial, { routes: [{ recipient: 'f@y', network: 'mssante', address: 'f@z' }],
    failures: [{ recipient: 'f@y', reply: '550 5.1.1 unknown' }], events: [{ stage: 'route', level: 'warn', detail: 'f failed', recipient: 'f@y' }] }, T + 1));
  out.push(await store.recordRouting(keyed, { routes: [{ recipient: 'b@y', network: 'legacy', address: 'b@l' }, { recipient: 'c@y', network: 'legacy', address: 'c@l' }],
    failures: [], events: [] }, T + 2));
  out.push(await store.recordRouting(twice, { routes: [], failures: [{ recipient: 'd@y', reply: '550 5.1.1 no' }], events: [] }, T + 3));
  const claimed = await store.claimDue(T + 10, 10, A);
  out.push(claimed.map((d) => [ids.indexOf(d.messageRef), d.recipient, d.state, d.attempts]));
  const of = (id: string) => claimed.filter((d) => d.messageRef === id);
  const [b, c] = of(keyed) as [typeof claimed[0], typeof claimed[0]];
  out.push(await store.recordOutcomes(keyed, [{ deliveryId: b.id, state: 'delivered', reply: '250 ok' },
    { deliveryId: c.id, state: 'queued', nextAttemptAt: T + 100, reply: '451 later' }], [{ stage: 'deliver', level: 'info', detail: 'one of two' }], T + 11));
  out.push(await store.recordOutcomes(partial, of(partial).map((d) => ({ deliveryId: d.id, state: 'delivered' as const, reply: '250 ok' })), [], T + 12));
  const [c2] = await store.claimDue(T + 100, 10, A);
  out.push(await store.recordOutcomes(keyed, [{ deliveryId: c2!.id, state: 'failed', reply: '550 gone' }], [], T + 101));
  const q = await accept({ recipients: ['q@y', 'r@y'] }, T + 200);
  await store.quarantine(q, { stage: 'open', reply: '550 5.6.0 bad', reason: '550 5.6.0 bad (rule)', events: [{ stage: 'open', level: 'info', detail: 'tried' }] }, T + 201);
  out.push(await store.release(q, T + 202), await store.release(q, T + 203));
  await store.quarantine(q, { stage: 'route', reply: '550 5.6.0 bad', reason: 'again' }, T + 204);
  out.push(await store.drop(q, T + 205), await store.raw(q));
  const bounce = await accept({ source: 'legacy', mailFrom: '', recipients: ['gw@x'] }, T + 300);
  out.push(await store.recordBounce(bounce, keyed, [{ deliveryId: b.id, reply: '550 5.2.1 suspended', event: { stage: 'bounce', level: 'error', detail: 'bounced' } }], T + 301));
  out.push((await store.bouncedBy(bounce)).map((d) => d.recipient));
  // Ids made in the same millisecond sort at random: compare the set.
  out.push((await store.noticesDue(20)).map((n) => ({ ...n, id: ids.indexOf(n.id), relatedId: n.relatedId && ids.indexOf(n.relatedId) })).sort((x, y) => x.id - y.id));
  out.push(await store.summary());
  for (const id of ids) {
    const t = await store.trace(id);
    const { id: _id, ...message } = t!.message;
    out.push({
      message: { ...message, relatedId: message.relatedId ? ids.indexOf(message.relatedId) : null },
      deliveries: t!.deliveries.map(({ id: _d, messageRef: _m, ...d }) => d),
      events: t!.events,
      envelope: (await store.envelope(id))?.recipients,
    });
  }
  return out;
}
