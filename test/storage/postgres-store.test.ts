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
 * - raw bytes go through `bytea` unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../storage/postgres/postgres-store.js';
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

  it('accepts a (network, Message-ID, recipient) once across two nodes accepting it at the same time', async () => {
    const [a, b] = (await nodes(2)) as [PostgresStore, PostgresStore];
    try {
      const send = (s: MessageStore, i: number) =>
        s.accept({ source: 'mssante', mailFrom: 'a@x', recipients: ['r1@y', 'r2@y'], messageId: `<${i}@x>`, raw }, T);
      const keys = Array.from({ length: 40 }, (_, i) => i);
      // In opposite orders, so that the two nodes' batches deadlock on `seen` and one of them runs its writes again.
      const [onA, onB] = await Promise.all([Promise.all(keys.map((i) => send(a, i))), Promise.all([...keys].reverse().map((i) => send(b, i)))]);
      onB.reverse();
      for (const i of keys) {
        const pair = [onA[i]!, onB[i]!];
        // Each recipient is fresh on exactly one of the two nodes.
        for (const r of ['r1@y', 'r2@y']) expect(pair.filter((p) => p.envelope.recipients.includes(r))).toHaveLength(1);
        expect(pair.flatMap((p) => p.duplicates).sort()).toEqual(['r1@y', 'r2@y']);
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
      expect(rows[0]!.n).toBe(1);
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
});
