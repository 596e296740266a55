/**
 * What a national re-import needs of each line to tell it unchanged, computed from the
 * line's bytes alone (no plan, no state): its bounds, its address's two key hashes
 * (`keyHashes`) and its own hash (`hash53` of the decoded text). Pure and small (it imports
 * only the hashes), so that the work, which is most of a re-import's reading, can run on
 * another thread than the import's (`app/node/threaded-line-keys.ts`) or on the same one
 * (`localLineKeys`): the import then only compares numbers (`NationalImportPlan.unchangedKeys`).
 *
 * @example
 * for await (const block of localLineKeys(chunks)) for (let at = 0; at < block.count * LINE_KEY_NUMBERS; at += LINE_KEY_NUMBERS) …
 */
import { hash53PairAsciiLower, hash53Utf8 } from './hash53.js';
import { KEY_SEED } from './hashed-set.js';
import type { KeyedLines } from '../core/ports/directory-store.js';

/**
 * Numbers a line: its start and end in the block (the end before its `\r\n` or `\n`), its
 * address's two key hashes (-1 when column 2 is missing or not ASCII: the string path reads
 * it), its hash (`hash53` of its text; -1 exactly when the bytes are not valid UTF-8: the
 * string path decodes them, and fails).
 */
export const LINE_KEY_NUMBERS = 5;

const isAsciiSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
const scratch = new Float64Array(2);

/** The keys of the line `b[start, end)` (its line end excluded), written at `out[at…]`. */
export function lineKeys(b: Uint8Array, start: number, end: number, out: Float64Array, at: number): void {
  out[at] = start;
  out[at + 1] = end;
  out[at + 2] = -1;
  out[at + 3] = -1;
  out[at + 4] = hash53Utf8(b, start, end);
  const p1 = b.indexOf(124, start);
  const p2 = p1 < 0 ? -1 : b.indexOf(124, p1 + 1);
  if (p2 < 0 || p2 >= end) return;
  // The address between them, as the string path reads it: trimmed, lower-cased.
  let a = p1 + 1;
  let z = p2;
  while (a < z && isAsciiSpace(b[a]!)) a++;
  while (z > a && isAsciiSpace(b[z - 1]!)) z--;
  if (!hash53PairAsciiLower(b, a, z, KEY_SEED, scratch)) return;
  out[at + 2] = scratch[0]!;
  out[at + 3] = scratch[1]!;
}

/**
 * Cuts a stream of chunks into blocks of whole lines, keyed. A line that straddles chunks is
 * joined with the start of the next (only the chunk's part up to its last line end is
 * copied); the last line of the stream may lack its line end.
 */
export class LineKeyer {
  private carry: Uint8Array | null = null;

  /** The lines that `chunk` completes, or null when it completes none. */
  push(chunk: Uint8Array): KeyedLines | null {
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      this.carry = this.carry ? concatBytes(this.carry, chunk) : chunk.slice();
      return null;
    }
    const bytes = this.carry ? concatBytes(this.carry, chunk.subarray(0, last + 1)) : chunk.subarray(0, last + 1);
    this.carry = last + 1 < chunk.length ? chunk.slice(last + 1) : null;
    return keyed(bytes);
  }

  /** The last line, when the stream did not end with a line end. */
  end(): KeyedLines | null {
    const c = this.carry;
    this.carry = null;
    return c && c.length ? keyed(c) : null;
  }
}

/** The keyed lines of `chunks`, on this thread. */
export async function* localLineKeys(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<KeyedLines> {
  const keyer = new LineKeyer();
  for await (const chunk of chunks) {
    const block = keyer.push(chunk);
    if (block) yield block;
  }
  const last = keyer.end();
  if (last) yield last;
}

function keyed(bytes: Uint8Array): KeyedLines {
  let keys = new Float64Array(LINE_KEY_NUMBERS * (1 + (bytes.length >> 7)));
  let count = 0;
  const add = (start: number, end: number) => {
    if (end > start && bytes[end - 1] === 13) end--;
    if ((count + 1) * LINE_KEY_NUMBERS > keys.length) {
      const more = new Float64Array(keys.length * 2);
      more.set(keys);
      keys = more;
    }
    lineKeys(bytes, start, end, keys, count * LINE_KEY_NUMBERS);
    count++;
  };
  let start = 0;
  for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, start)) {
    add(start, nl);
    start = nl + 1;
  }
  if (start < bytes.length) add(start, bytes.length);
  return { bytes, keys, count };
}

/** `a` then `b`, in a new array. */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
