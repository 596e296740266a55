/**
 * The worker side of the threaded directory import (Node edge): opens its own connection to
 * the gateway's SQLite file, runs one import over the chunks the main thread posts, and
 * answers with the report or the error (its class kept by name, so the HTTP route answers
 * 400 or 409 as it would in-thread), then folds the import's write-ahead log into the file
 * before it ends. See `threaded-directory.ts`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nameThread, THREAD_NAMES } from './thread-name.js';
import { SqliteDirectoryStore } from '../../storage/sqlite/directory-store.js';
import { threadedLineKeys } from './threaded-line-keys.js';
import { threadedSearchSide } from './threaded-search-side.js';
import { nodeUtf8 } from './native-text.js';
import type { DirectoryConfig, ImportOptions } from '../../core/ports/directory-store.js';

export interface ImportThreadData {
  path: string;
  config: Omit<DirectoryConfig, 'clock'>;
  /** The main thread's clock minus the system's, so the run's times are the configured clock's. */
  clockOffset: number;
  source: 'national' | 'legacy';
  opts: Omit<ImportOptions, 'onProgress'>;
}

/** From the main thread: a chunk of the file, or its end. */
export type ToImportThread = { chunk: Uint8Array } | { end: true } | { abort: string };
/** To the main thread: a chunk consumed (credit back), bytes read, the result. */
export type FromImportThread =
  | { took: number }
  | { progress: number }
  | { report: unknown }
  | { error: { name: string; message: string; line?: number } };

nameThread(THREAD_NAMES.directoryImport);
const data = workerData as ImportThreadData;
const port = parentPort!;

// Listening from the start: what the main thread posts while the database opens waits here.
const queue: ToImportThread[] = [];
let wake: (() => void) | null = null;
port.on('message', (m: ToImportThread) => {
  queue.push(m);
  wake?.();
  wake = null;
});

/** The chunks as an async iterable: each one taken gives the main thread a credit back. */
function chunks(): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const m = queue.shift()!;
        if ('end' in m) return;
        if ('abort' in m) throw new Error(m.abort);
        port.postMessage({ took: m.chunk.byteLength } satisfies FromImportThread);
        yield m.chunk;
      }
    },
  };
}

// A re-import's lines are keyed on one more thread, beside this one's writes; the lines decoded by Node (a byte a character).
const store = SqliteDirectoryStore.open(data.path, { ...data.config, clock: { now: () => Date.now() + data.clockOffset }, lineKeyer: threadedLineKeys, decodeUtf8: nodeUtf8 }, { searchSide: threadedSearchSide, deferCheckpoint: true });
try {
  let last = 0;
  const opts: ImportOptions = {
    ...data.opts,
    onProgress: (bytes) => {
      // Progress at most every 256 KiB: enough for a progress bar, few messages.
      if (bytes - last >= 1 << 18) port.postMessage({ progress: (last = bytes) } satisfies FromImportThread);
    },
  };
  const input = chunks();
  const report = data.source === 'national' ? await store.importNational(input, opts) : await store.importLegacy(input, opts);
  port.postMessage({ report } satisfies FromImportThread);
  // The report is out (the sync answered, the rows served through the log): the log is
  // folded into the file here, on this thread, while the main thread goes on.
  store.directory.checkpoint();
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  port.postMessage({ error: { name: e.name, message: e.message, ...('line' in e && typeof e.line === 'number' ? { line: e.line } : {}) } } satisfies FromImportThread);
} finally {
  await store.close();
  port.close();
}
