/**
 * The SQLite address book with its imports on a worker thread (Node edge). A national
 * extraction of a million lines takes seconds of CPU to parse, plan and write; on the
 * gateway's event loop that stalls every SMTP session and `/health` for as long. Here the
 * import runs on a thread of its own with its own connection to the address book's file (WAL:
 * the main thread keeps reading the last committed state and resolving), the upload is
 * streamed to it a megabyte at a time with a bounded window (backpressure: at most `WINDOW_BYTES`
 * in flight, so a fast upload does not pile up in memory), and its progress and report come
 * back by message. The import answers once committed; its thread then folds the write-ahead
 * log into the file (a first load's 600 MB: about 2 s) and ends, which `close` waits for.
 * Every other method is the main thread's `SqliteDirectoryStore`.
 *
 * The address book has a file of its own (`storage/sqlite/directory-database.ts`): the
 * import's write lock is never the one the message store commits under, so it commits in the
 * engine's usual batches.
 *
 * @example
 * const directory = ThreadedImportDirectory.open('./var/passerelle.directory.db', config);
 * await directory.importNational(body, { fileName }); // parsed and written on the thread
 */
import { Worker } from 'node:worker_threads';
import { SqliteDirectoryStore } from '../../storage/sqlite/directory-store.js';
import type { OpenDirectoryOptions } from '../../storage/sqlite/directory-database.js';
import { DirectoryFormatError, StaleDirectoryFileError } from '../../directory/errors.js';
import type { DirectoryConfig, DirectoryStore, ImportOptions, ImportReport } from '../../core/ports/directory-store.js';
import type { FromImportThread, ImportThreadData, ToImportThread } from './directory-import-thread.js';

/** As `pipeline-pool.ts`: compiled, the thread's code is `.js` beside this file; from source, a tsx entry. */
const WORKER_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./directory-import-worker.mjs', import.meta.url)
  : new URL('./directory-import-thread.js', import.meta.url);

/** Bytes posted to the thread and not yet taken by its reader. */
const WINDOW_BYTES = 4 << 20;

/**
 * The upload is gathered into pieces of at least this many bytes before each is posted. An
 * HTTP body arrives 64 KB at a time; the thread then decoded and cut 3,800 pieces of a
 * million-line file, each decoded text small enough to be copied by the young generation's
 * collections while its lines waited for their batch (709 scavenges against 595). Posted a
 * megabyte at a time (as the CLI reads its file), CLI first loads alternating 64 KB and 1 MB
 * pieces: 10.78, 10.21, 9.62 s against 8.89, 9.49, 8.73 s until committed.
 */
const POST_BYTES = 1 << 20;

/**
 * The import thread's JavaScript heap, at most (MB; its young generation 8 MB). What an import
 * keeps is mostly in typed arrays outside it (the saved copy, the key tables); left to itself,
 * V8 lets a first load's garbage grow the heap by tens of MB before collecting it (a million
 * lines: peak RSS 437 → 375 MB with the side thread's heap bounded too; no slower; the
 * same run fits in 96 MB).
 */
const IMPORT_HEAP_MB = 192;

/** The error classes an import may end with, rebuilt by name on this side. */
const ERRORS: Record<string, { prototype: Error }> = { DirectoryFormatError, StaleDirectoryFileError };

export class ThreadedImportDirectory extends SqliteDirectoryStore implements DirectoryStore {
  /** Import threads that have answered and fold their write-ahead log into the file before they end. */
  private readonly ending = new Set<Promise<void>>();

  constructor(
    directory: SqliteDirectoryStore['directory'],
    private readonly path: string,
    private readonly cfg: DirectoryConfig,
  ) {
    super(directory);
  }

  /** `path`: the address book's own file; `opts.adoptFrom` as `SqliteDirectoryStore.open`. */
  static override open(path: string, config: DirectoryConfig, opts: OpenDirectoryOptions = {}): ThreadedImportDirectory {
    return new ThreadedImportDirectory(SqliteDirectoryStore.open(path, config, opts).directory, path, config);
  }

  override importNational(input: AsyncIterable<Uint8Array>, opts?: ImportOptions): Promise<ImportReport> {
    return this.onThread('national', input, opts ?? {});
  }

  override importLegacy(input: AsyncIterable<Uint8Array>, opts?: ImportOptions): Promise<ImportReport> {
    return this.onThread('legacy', input, opts ?? {});
  }

  private async onThread(source: 'national' | 'legacy', input: AsyncIterable<Uint8Array>, opts: ImportOptions): Promise<ImportReport> {
    const { onProgress, ...rest } = opts;
    const { clock, ...config } = this.cfg;
    const data: ImportThreadData = {
      path: this.path, config, clockOffset: clock ? clock.now() - Date.now() : 0, source,
      opts: rest,
    };
    const worker = new Worker(WORKER_ENTRY, { workerData: data, resourceLimits: { maxOldGenerationSizeMb: IMPORT_HEAP_MB, maxYoungGenerationSizeMb: 8 } });
    const exited = new Promise<void>((r) => worker.once('exit', () => r()));
    let inFlight = 0;
    let credit: (() => void) | null = null;
    let settled = false;
    const done = new Promise<ImportReport>((resolve, reject) => {
      worker.on('message', (m: FromImportThread) => {
        if ('took' in m) {
          inFlight -= m.took;
          credit?.();
          credit = null;
        } else if ('progress' in m) onProgress?.(m.progress);
        else if ('report' in m) resolve(m.report as ImportReport);
        else reject(rebuild(m.error));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the directory import thread stopped (exit ${code})`)));
    }).finally(() => {
      settled = true;
      credit?.();
    });
    // A failure on the thread ends the upload early: the route answers without reading the rest.
    done.catch(() => {});
    let gathered: Uint8Array[] = [];
    let gatheredBytes = 0;
    const post = async () => {
      // Copied into a buffer of its own, transferred: no second copy across threads.
      const own = new Uint8Array(gatheredBytes);
      let at = 0;
      for (const c of gathered) {
        own.set(c, at);
        at += c.byteLength;
      }
      gathered = [];
      gatheredBytes = 0;
      inFlight += own.byteLength;
      worker.postMessage({ chunk: own } satisfies ToImportThread, [own.buffer]);
      while (inFlight > WINDOW_BYTES && !settled) await new Promise<void>((r) => (credit = r));
    };
    try {
      for await (const chunk of input) {
        if (settled) break;
        gathered.push(chunk);
        gatheredBytes += chunk.byteLength;
        if (gatheredBytes >= POST_BYTES) await post();
      }
      if (!settled && gatheredBytes > 0) await post();
      if (!settled) worker.postMessage({ end: true } satisfies ToImportThread);
    } catch (err) {
      if (!settled) worker.postMessage({ abort: err instanceof Error ? err.message : String(err) } satisfies ToImportThread);
    }
    let answered = false;
    try {
      const report = await done;
      answered = true;
      return report;
    } finally {
      if (answered) {
        // The report is out; the thread folds the log into the file and ends on its own.
        this.ending.add(exited);
        void exited.then(() => this.ending.delete(exited));
      } else {
        await worker.terminate();
      }
    }
  }

  /** Waits for the import threads still folding their log, then closes the connection. */
  override async close(): Promise<void> {
    await Promise.all(this.ending);
    await super.close();
  }
}

function rebuild(e: { name: string; message: string; line?: number }): Error {
  const proto = ERRORS[e.name]?.prototype ?? Error.prototype;
  const err = Object.create(proto) as Error & { line?: number };
  Object.defineProperties(err, {
    name: { value: e.name, writable: true, configurable: true },
    message: { value: e.message, writable: true, configurable: true },
    stack: { value: `${e.name}: ${e.message}\n    (on the directory import thread)`, writable: true, configurable: true },
  });
  if (e.line !== undefined) err.line = e.line;
  return err;
}
