/**
 * The worker side of `threaded-search-side.ts` (Node edge): writes the batches it is posted
 * into the side file's FTS5 table (`writeSearchSideFile`), then, told to finish, commits,
 * closes the file and says so; told to abort, closes it. Either way the thread then ends (its
 * port closed). An error is posted back once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getPriority, setPriority } from 'node:os';
import { nameThread, THREAD_NAMES } from './thread-name.js';
import { writeSearchSideFile } from '../../storage/sqlite/search-side-file.js';

/**
 * How much nicer than the process the side build runs (Linux, this thread only). A
 * 1,000,000-line sync into a gateway carrying 20 letters/s, alternating: 12.5, 11.4, 14.2 s
 * at the process's own value against 10.2, 11.1, 13.4 s ten nicer.
 */
export const SIDE_NICE = 10;

export interface SearchSideStart { path: string; definition: string }
export type ToSearchSide = { ids: number[]; network: string; records: string[]; aliases: Array<string | null>; finish?: undefined; abort?: undefined } | { finish: true; abort?: undefined } | { abort: true; finish?: undefined };
export interface FromSearchSide { written?: true; finished?: true; error?: string }

nameThread(THREAD_NAMES.searchSide);
// The side build yields the CPU: on two cores it shares them with the import's own thread
// (the critical path: the import waits for the side build only when eight hands are pending,
// `threaded-search-side.ts`, and at its end, beside the index sorts) and, in a running
// gateway, with the listeners. Linux sets a nice value per thread;
// elsewhere the call would lower the whole process (the gateway's listeners with it), so not there.
if (process.platform === 'linux') setPriority(Math.min(19, getPriority() + SIDE_NICE));
const port = parentPort!;
const start = workerData as SearchSideStart;
let failed = false;
const fail = (err: unknown) => {
  if (failed) return;
  failed = true;
  port.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies FromSearchSide);
};
let side: ReturnType<typeof writeSearchSideFile> | null = null;
try {
  side = writeSearchSideFile(start.path, start.definition);
} catch (err) {
  fail(err);
}
port.on('message', (m: ToSearchSide) => {
  if (m.abort) {
    side?.abort();
    port.close();
    return;
  }
  if (failed || !side) return;
  try {
    if (m.finish) {
      side.finish();
      port.postMessage({ finished: true } satisfies FromSearchSide);
      port.close();
    } else {
      side.add(m.ids, m.network, m.records, m.aliases);
      port.postMessage({ written: true } satisfies FromSearchSide);
    }
  } catch (err) {
    side.abort();
    fail(err);
  }
});
