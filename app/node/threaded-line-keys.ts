/**
 * `DirectoryConfig.lineKeyer` on a thread of its own (Node edge): a national re-import's file
 * is cut into lines and keyed (`directory/line-keys.ts`: the line hashes, most of the
 * reading's work) on a worker thread while the import's thread decides and writes the lines
 * already keyed. Chunks are posted as they come (copied: a stream's chunk may share its
 * memory), at most `IN_FLIGHT` ahead; the blocks come back in order, their memory handed over.
 *
 * @example
 * SqliteDirectoryStore.open(path, { ...config, lineKeyer: threadedLineKeys });
 */
import { Worker } from 'node:worker_threads';
import type { KeyedLines } from '../../core/ports/directory-store.js';
import type { FromLineKeys, ToLineKeys } from './line-keys-thread.js';

/** As `pipeline-pool.ts`: compiled, the thread's code is `.js` beside this file; from source, a tsx entry. */
const WORKER_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./line-keys-worker.mjs', import.meta.url)
  : new URL('./line-keys-thread.js', import.meta.url);

/** Chunks posted ahead of the block being read (1 MiB chunks: a few MiB in flight). */
const IN_FLIGHT = 4;

export async function* threadedLineKeys(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<KeyedLines> {
  const worker = new Worker(WORKER_ENTRY);
  const waiting: { resolve: (m: FromLineKeys) => void; reject: (e: unknown) => void }[] = [];
  let failure: unknown = null;
  const fail = (err: unknown) => {
    failure ??= err;
    for (const w of waiting.splice(0)) w.reject(failure);
  };
  worker.on('message', (m: FromLineKeys) => waiting.shift()?.resolve(m));
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the line keys thread ended (exit code ${code})`)));
  const ask = (m: ToLineKeys): Promise<FromLineKeys> => {
    if (failure) return Promise.reject(failure);
    const p = new Promise<FromLineKeys>((resolve, reject) => waiting.push({ resolve, reject }));
    p.catch(() => undefined); // read in order below; an early end must not leave it unhandled
    worker.postMessage(m);
    return p;
  };
  const pending: Promise<FromLineKeys>[] = [];
  const blockOf = (m: FromLineKeys): KeyedLines | null => (m.count && m.bytes && m.keys ? { bytes: m.bytes, keys: m.keys, count: m.count } : null);
  try {
    for await (const chunk of chunks) {
      pending.push(ask({ chunk }));
      if (pending.length >= IN_FLIGHT) {
        const block = blockOf(await pending.shift()!);
        if (block) yield block;
      }
    }
    pending.push(ask({ end: true }));
    while (pending.length) {
      const block = blockOf(await pending.shift()!);
      if (block) yield block;
    }
  } finally {
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}
