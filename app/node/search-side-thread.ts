/**
 * The worker side of `threaded-search-side.ts` (Node edge): writes the batches it is posted
 * into the side file's FTS5 table (`writeSearchSideFile`), then, told to finish, commits,
 * closes the file and says so; told to abort, closes it. Either way the thread then ends (its
 * port closed). An error is posted back once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { writeSearchSideFile } from '../../storage/sqlite/search-side-file.js';

export interface SearchSideStart { path: string; definition: string }
export type ToSearchSide = { ids: number[]; network: string; records: string[]; aliases: Array<string | null>; finish?: undefined; abort?: undefined } | { finish: true; abort?: undefined } | { abort: true; finish?: undefined };
export interface FromSearchSide { written?: true; finished?: true; error?: string }

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
