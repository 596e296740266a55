/**
 * The address book's side build of a first load's search index (`SearchSideBuilder`,
 * `storage/sqlite/search-side-file.ts`) on a thread of its own (Node edge): the import's
 * thread posts its new rows (ids, lines, aliases) every `SIDE_HAND_ROWS` and goes on writing
 * rows; this thread makes their words and writes them into FTS5 in the side file meanwhile,
 * on the machine's other core.
 *
 * @example
 * SqliteDirectoryStore.open(path, config, { searchSide: threadedSearchSide });
 */
import { Worker } from 'node:worker_threads';
import type { SearchSideBuilder } from '../../storage/sqlite/search-side-file.js';
import type { FromSearchSide, SearchSideStart, ToSearchSide } from './search-side-thread.js';

/** As `pipeline-pool.ts`: compiled, the thread's code is `.js` beside this file; from source, a tsx entry. */
const WORKER_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./search-side-worker.mjs', import.meta.url)
  : new URL('./search-side-thread.js', import.meta.url);

/**
 * Hands posted and not yet written past which `ready` waits (each 2,500 rows' lines, about
 * 0.6 MB: `SIDE_HAND_ROWS`). The import asks between its 20,000-line batches, so at most
 * 15 hands are in flight, about 9 MB.
 */
const IN_FLIGHT = 8;

/**
 * The thread's JavaScript heap (MB): what it holds is the batches in flight; bounded, V8
 * collects them as they go instead of growing the heap (a million lines: 30 MB less RSS).
 * The young generation holds about three hands: at 4 MB each hand (2,500 lines, 0.6 MB)
 * still being written was copied by a scavenge and promoted, 651 scavenges and 15 full
 * collections in a million-line first load; at 8 MB, 306 and none, and the thread's CPU for
 * those lines 6.4–8.9 s (median 6.9) → 5.2–6.8 s (median 5.4), alternating runs.
 */
const SIDE_HEAP = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 };

export const threadedSearchSide: SearchSideBuilder = (path, definition) => {
  const worker = new Worker(WORKER_ENTRY, { workerData: { path, definition } satisfies SearchSideStart, resourceLimits: SIDE_HEAP });
  let failure: Error | null = null;
  let done: { resolve(): void; reject(e: Error): void } | null = null;
  let ended = false;
  let inFlight = 0;
  let caughtUp: (() => void) | null = null;
  const fail = (err: Error) => {
    failure ??= err;
    done?.reject(failure);
    caughtUp?.();
  };
  worker.on('message', (m: FromSearchSide) => {
    if (m.error) fail(new Error(`search side build: ${m.error}`));
    else if (m.written) {
      inFlight--;
      if (inFlight < IN_FLIGHT) caughtUp?.();
    } else if (m.finished) {
      ended = true;
      done?.resolve();
    }
  });
  worker.on('error', fail);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('exit', (code) => {
    if (!ended) fail(new Error(`the search side thread ended (exit code ${code})`));
  });
  return {
    add(ids, network, records, aliases) {
      if (failure) throw failure;
      inFlight++;
      worker.postMessage({ ids, network, records, aliases } satisfies ToSearchSide);
    },
    ready() {
      if (failure) return Promise.reject(failure);
      if (inFlight < IN_FLIGHT) return Promise.resolve();
      return new Promise<void>((resolve) => {
        caughtUp = () => {
          caughtUp = null;
          resolve();
        };
      }).then(() => {
        if (failure) throw failure;
      });
    },
    finish() {
      return new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        done = { resolve, reject };
        worker.postMessage({ finish: true } satisfies ToSearchSide);
      });
    },
    // Told, not terminated: a thread ended in the middle of a SQLite call that fails takes
    // the process with it. It closes its file after the batch in hand and ends.
    abort() {
      if (!ended) {
        ended = true;
        worker.postMessage({ abort: true } satisfies ToSearchSide);
      }
      return exited;
    },
  };
};
