import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { RetrySchedule } from '../../core/queue/retry-schedule.js';

const raw = new TextEncoder().encode('Message-ID: <1@x>\r\n\r\nhello\r\n');

describe('SqliteStore', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-store-'));
    store = SqliteStore.open(join(dir, 'db.sqlite'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits a message, its raw bytes and one delivery per recipient', async () => {
    const { id, duplicates } = await store.accept({ source: 'legacy', mailFrom: 'a@x.lnp.test', recipients: ['b@interop.lnp.test', 'c@interop.lnp.test'], messageId: '<1@x>', raw });
    expect(duplicates).toEqual([]);
    expect(store.raw(id)).toEqual(raw);
    expect(store.envelope(id)?.recipients).toEqual(['b@interop.lnp.test', 'c@interop.lnp.test']);
    expect(store.pendingDeliveries(id).map((d) => d.state)).toEqual(['pending', 'pending']);
    expect(store.trace(id)?.events[0].stage).toBe('receive');
  });

  it('batches concurrent accepts into one commit and keeps every one', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: `<${i}@x>`, raw })));
    expect(new Set(results.map((r) => r.id)).size).toBe(50);
    expect(store.summary().deliveries.pending).toBe(50);
  });

  it('never queues the same (network, Message-ID, recipient) twice', async () => {
    const a = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: '<dup@x>', raw });
    const b = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y', 'c@y'], messageId: '<dup@x>', raw });
    expect(b.duplicates).toEqual(['b@y']);
    expect(store.deliveries(a.id)).toHaveLength(1);
    expect(store.deliveries(b.id).map((d) => d.recipient)).toEqual(['c@y']);
    const c = await store.accept({ source: 'mssante', mailFrom: 'a@x', recipients: ['b@y'], messageId: '<dup@x>', raw });
    expect(c.duplicates).toEqual([]);
  });

  it('claims due deliveries once, and recovers cut sends after a restart', async () => {
    const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: '<2@x>', raw });
    await store.recordRouting(id, { routes: [{ recipient: 'b@y', network: 'mssante', address: 'b@national.test' }], failures: [], events: [] }, 1000);
    const claimed = store.claimDue(2000, 10, 60_000);
    expect(claimed).toHaveLength(1);
    expect(store.claimDue(2000, 10, 60_000)).toHaveLength(0);
    expect(store.recover(3000)).toEqual({ requeued: 1, unprocessed: 0 });
    const again = store.claimDue(3000, 10, 60_000);
    expect(again[0].uncertain).toBe(true);
    const state = await store.recordOutcomes(id, [{ deliveryId: again[0].id, state: 'delivered', reply: '250 ok' }], [{ stage: 'deliver', level: 'info', detail: 'delivered' }], 3001);
    expect(state).toBe('done');
    expect(store.deliveries(id)[0]).toMatchObject({ state: 'delivered', attempts: 1, lastError: '250 ok' });
  });
});

describe('RetrySchedule', () => {
  it('follows the table, repeats the last delay and expires', () => {
    const s = RetrySchedule.from({ delays: ['5m', '15m', '1h'], maxAge: '48h' });
    const t0 = 0;
    expect(s.next({ attempts: 1, receivedAt: t0, now: t0 })).toBe(5 * 60_000);
    expect(s.next({ attempts: 2, receivedAt: t0, now: t0 })).toBe(15 * 60_000);
    expect(s.next({ attempts: 9, receivedAt: t0, now: t0 })).toBe(3_600_000);
    expect(s.next({ attempts: 50, receivedAt: t0, now: 47.5 * 3_600_000 })).toBeNull();
    expect(() => RetrySchedule.from({ delays: ['soon'], maxAge: '1h' })).toThrow(/not a duration/);
  });
});
