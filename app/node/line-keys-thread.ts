/**
 * The worker side of `threaded-line-keys.ts` (Node edge): cuts the chunks the import's thread
 * posts into whole lines and keys them (`directory/line-keys.ts`), one answer per chunk, in
 * order. It imports nothing else, so that it starts in a few milliseconds.
 */
import { parentPort } from 'node:worker_threads';
import { nameThread, THREAD_NAMES } from './thread-name.js';
import { LineKeyer } from '../../directory/line-keys.js';

/** From the import's thread: a chunk of the file, or its end. */
export type ToLineKeys = { chunk: Uint8Array } | { end: true };
/** One answer per message, in order: the lines it completed (none: `count` 0, no bytes). */
export type FromLineKeys = { bytes: Uint8Array | null; keys: Float64Array | null; count: number };

nameThread(THREAD_NAMES.lineKeys);
const port = parentPort!;
const keyer = new LineKeyer();
port.on('message', (m: ToLineKeys) => {
  const block = 'chunk' in m ? keyer.push(m.chunk) : keyer.end();
  if (!block) {
    port.postMessage({ bytes: null, keys: null, count: 0 } satisfies FromLineKeys);
    return;
  }
  // The block's bytes are this thread's own (a posted copy, or joined here): handed over, not copied.
  port.postMessage({ bytes: block.bytes, keys: block.keys, count: block.count } satisfies FromLineKeys, [block.bytes.buffer as ArrayBuffer, block.keys.buffer as ArrayBuffer]);
});
