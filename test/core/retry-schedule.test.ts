import { describe, it, expect } from 'vitest';
import { RetrySchedule } from '../../core/queue/retry-schedule.js';

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
