/**
 * Retention of raw messages: the bytes of a message done for more than `rawDays` days are
 * erased, its trace kept (`MessageStore.purgeRaw`). Done in batches, each its own short
 * commit, so no lock is held long and the gateway keeps accepting meanwhile.
 *
 * @example
 * const n = await purgeDoneRaw(store, { rawDays: 30 }, systemClock); // messages purged
 */
import type { Clock } from '../ports/clock.js';
import type { MessageStore } from '../ports/message-store.js';

export const DAY_MS = 86_400_000;

export interface RetentionRun {
  /** Days a done message keeps its raw bytes (at least 1). */
  rawDays: number;
  /** Messages per commit (default 500). */
  batch?: number;
  /** Stops between batches when it aborts. */
  signal?: AbortSignal;
}

/** Purges every message done before `rawDays` ago, batch after batch; resolves to how many. */
export async function purgeDoneRaw(store: Pick<MessageStore, 'purgeRaw'>, r: RetentionRun, clock: Clock): Promise<number> {
  if (!Number.isInteger(r.rawDays) || r.rawDays < 1) throw new Error(`retention: ${r.rawDays} is not a whole number of days ≥ 1`);
  const batch = r.batch ?? 500;
  const cutoff = clock.now() - r.rawDays * DAY_MS;
  let total = 0;
  while (!r.signal?.aborted) {
    const n = await store.purgeRaw(cutoff, batch, clock.now());
    total += n;
    if (n < batch) break;
    await new Promise((done) => setTimeout(done, 0)); // let the gateway's own work in between batches
  }
  return total;
}
