/**
 * What the console's charts draw (issue 14): deliveries per minute and flow, latency p50/p99
 * per minute, from the node's memory, through the admin API's `/api/stats/history`.
 */
import { describe, expect, it } from 'vitest';
import { MinuteHistory, LATENCY_BOUNDS_MS } from '../../app/node/minute-history.js';
import { adminApi } from '../../app/http/api/admin-api.js';
import { newToken } from '../../app/http/api/tokens.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';

const T = Date.parse('2026-12-05T10:00:30Z');

describe('MinuteHistory', () => {
  it('counts per minute and flow, and gives each minute its latency quantiles (bucket upper bounds)', () => {
    const h = new MinuteHistory(10);
    for (let i = 0; i < 99; i++) h.record('legacy→mssante', 20, T);
    h.record('legacy→mssante', 900, T);
    h.record('mssante→legacy', 5, T + 60_000);
    const s = h.series(T + 60_000, 3);
    expect(s.step).toBe(60);
    expect(s.start).toBe(Math.floor(T / 60_000) * 60 - 60);
    expect(s.flows).toEqual({ 'legacy→mssante': [0, 100, 0], 'mssante→legacy': [0, 0, 1] });
    const bound = (ms: number) => LATENCY_BOUNDS_MS.find((b) => b >= ms);
    expect(s.p50).toEqual([null, bound(20), bound(5)]);
    expect(s.p99[1]).toBe(bound(20));
    h.record('legacy→mssante', 900, T);
    expect(h.series(T + 60_000, 3).p99[1]).toBe(bound(900));
  });

  it('forgets a minute once the ring comes round to it again', () => {
    const h = new MinuteHistory(5);
    h.record('legacy→mssante', 10, T);
    h.record('legacy→mssante', 10, T + 5 * 60_000);
    expect(h.series(T + 5 * 60_000, 5).flows['legacy→mssante']).toEqual([0, 0, 0, 0, 1]);
  });

  it('is served by the admin API to readers', async () => {
    const store = SqliteStore.open(':memory:');
    const h = new MinuteHistory();
    h.record('legacy→mssante', 42, Date.now());
    const r = await newToken('supervision', 'reader');
    const api = adminApi({ store, tokens: () => [r.entry], history: (m) => h.series(Date.now(), m) });
    const res = await api.request('/api/stats/history?minutes=5', { headers: { Authorization: `Bearer ${r.token}` } });
    expect(res.status).toBe(200);
    const body = await res.json() as { flows: Record<string, number[]>; p50: (number | null)[] };
    expect(body.flows['legacy→mssante']).toEqual([0, 0, 0, 0, 1]);
    expect(body.p50.at(-1)).toBeGreaterThanOrEqual(42);
    expect((await api.request('/api/stats/history?minutes=999', { headers: { Authorization: `Bearer ${r.token}` } })).status).toBe(400);
    store.closeNow();
  });
});
