import { formatDuration, parseDuration } from './duration.js';

/**
 * When to try a delivery again, as data. `delays[i]` is the wait after the (i+1)-th failed
 * attempt; past the end of the list the last delay repeats. A message older than `maxAge`
 * is not tried again: it expires and its sender gets a failure notice.
 *
 * The default is close to common MTA practice: 5 min, 15 min, 1 h, then hourly up to 48 h.
 *
 * @example
 * const s = RetrySchedule.from({ delays: ['5m', '15m', '1h'], maxAge: '48h' });
 * s.next({ attempts: 1, receivedAt: t0, now: t0 + 1000 }); // t0 + 1000 + 5 min
 */
export interface RetryPolicy {
  delays: string[];
  maxAge: string;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { delays: ['5m', '15m', '1h'], maxAge: '48h' };

export class RetrySchedule {
  private constructor(readonly delays: number[], readonly maxAge: number) {}

  static from(policy: RetryPolicy): RetrySchedule {
    if (policy.delays.length === 0) throw new Error('retry schedule: at least one delay is needed');
    const delays = policy.delays.map(parseDuration);
    if (delays.some((d) => d <= 0)) throw new Error('retry schedule: delays must be positive');
    return new RetrySchedule(delays, parseDuration(policy.maxAge));
  }

  /** Time of the next attempt after `attempts` failed ones, or null when the message has expired. */
  next(o: { attempts: number; receivedAt: number; now: number }): number | null {
    const i = Math.min(Math.max(o.attempts - 1, 0), this.delays.length - 1);
    const at = o.now + this.delays[i];
    return at > o.receivedAt + this.maxAge ? null : at;
  }

  describe(): string {
    return `${this.delays.map(formatDuration).join(', ')} (then every ${formatDuration(this.delays[this.delays.length - 1])}), give up after ${formatDuration(this.maxAge)}`;
  }
}
