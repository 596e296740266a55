/**
 * Turns a stream of bytes (a plain text file or a ZIP holding one) into batches of lines,
 * without ever holding the whole file (Web APIs and fflate only). A ZIP is recognised by
 * its `PK\x03\x04` signature; its first `.txt`/`.csv` entry is read with fflate's streaming
 * `Unzip`, the other entries are skipped.
 */
import { Unzip, UnzipInflate, UnzipPassThrough } from 'fflate';
import { decodeLatin1 } from './latin1.js';
import { DirectoryFormatError } from './errors.js';
import { concatBytes, LINE_KEY_NUMBERS, localLineKeys } from './line-keys.js';
import type { DirectoryConfig, KeyedLines } from '../core/ports/directory-store.js';

export type TextEncoding = 'utf-8' | 'iso-8859-1';

/**
 * Decodes whole lines of UTF-8 strictly: throws on bytes that are not UTF-8; a BOM is kept
 * (the reader drops the file's own). The runtime may give its own: Node's keeps the text in
 * one byte a character when it can, where `TextDecoder`'s result takes two (and every line
 * cut from it: `app/node/native-text.ts`).
 */
export type Utf8Decoder = NonNullable<DirectoryConfig['decodeUtf8']>;

/** `TextDecoder`, strict, as a `Utf8Decoder` (Web APIs only). */
export function webUtf8Decoder(): Utf8Decoder {
  const d = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  return (bytes) => d.decode(bytes);
}

export interface LineReaderOptions {
  encoding: TextEncoding;
  /** Told the name of the entry read inside a ZIP (its date is in the name). */
  onEntryName?: (name: string) => void;
  /** Told the count of input bytes consumed so far (for a progress bar). */
  onBytes?: (bytesSoFar: number) => void;
  /** UTF-8: the decoder of whole lines (default `webUtf8Decoder`). */
  utf8?: Utf8Decoder;
  /**
   * UTF-8 only: lines are cut and keyed on their bytes (`line-keys.ts`, by `keyer`), and
   * `take` is asked about every line after the first with its keys (`keys[at…]`) before it is
   * decoded; a line it takes (true) is not decoded and comes as an empty string (its place
   * kept for the line numbers). It takes only lines whose hash is valid (valid UTF-8).
   */
  keyed?: {
    take: (keys: Float64Array, at: number) => boolean;
    /** Who cuts and keys the lines: this thread (`localLineKeys`, the default) or another. */
    keyer?: (chunks: AsyncIterable<Uint8Array>) => AsyncIterable<KeyedLines>;
  };
}

function isZip(chunk: Uint8Array): boolean {
  return chunk.length >= 4 && chunk[0] === 0x50 && chunk[1] === 0x4b && chunk[2] === 0x03 && chunk[3] === 0x04;
}

/** Bytes of the file itself: the input as is, or the first text entry of a ZIP. */
async function* unpacked(input: AsyncIterable<Uint8Array>, opts: LineReaderOptions): AsyncGenerator<Uint8Array> {
  let unzip: Unzip | null = null;
  let first = true;
  let chosen = false;
  let done = false;
  const out: Uint8Array[] = [];
  let failure: unknown = null;
  let consumed = 0;
  for await (const chunk of input) {
    consumed += chunk.length;
    if (first) {
      first = false;
      if (isZip(chunk)) {
        unzip = new Unzip();
        unzip.register(UnzipInflate);
        unzip.register(UnzipPassThrough);
        unzip.onfile = (file) => {
          if (chosen || !/\.(txt|csv)$/i.test(file.name)) return;
          chosen = true;
          opts.onEntryName?.(file.name);
          file.ondata = (err, data, final) => {
            if (err) failure = err;
            else {
              if (data.length) out.push(data);
              if (final) done = true;
            }
          };
          file.start();
        };
      }
    }
    if (unzip) {
      unzip.push(chunk, false);
      if (failure) throw new DirectoryFormatError(`ZIP entry could not be read: ${String((failure as Error).message ?? failure)}`);
      while (out.length) yield out.shift()!;
    } else {
      yield chunk;
    }
    opts.onBytes?.(consumed);
  }
  if (unzip) {
    unzip.push(new Uint8Array(0), true);
    if (failure) throw new DirectoryFormatError(`ZIP entry could not be read: ${String((failure as Error).message ?? failure)}`);
    while (out.length) yield out.shift()!;
    if (!chosen) throw new DirectoryFormatError('the ZIP holds no .txt or .csv file');
    if (!done) throw new DirectoryFormatError('the ZIP entry is truncated');
  }
}

/**
 * Batches of lines (line ends `\n` or `\r\n` removed; a last line without end included; an
 * empty last line dropped). UTF-8 is decoded strictly: invalid bytes are an error.
 *
 * @example
 * for await (const batch of readLines(fileChunks, { encoding: 'utf-8' })) for (const line of batch) …
 */
export async function* readLines(input: AsyncIterable<Uint8Array>, opts: LineReaderOptions): AsyncGenerator<string[]> {
  if (opts.keyed && opts.encoding === 'utf-8') {
    yield* readKeyedLines(input, opts, opts.keyed);
    return;
  }
  if (opts.encoding === 'utf-8') {
    yield* readUtf8Lines(input, opts, opts.utf8 ?? webUtf8Decoder());
    return;
  }
  let rest = '';
  for await (const bytes of unpacked(input, opts)) {
    const text = decodeLatin1(bytes);
    const batch: string[] = [];
    let start = 0;
    let nl = text.indexOf('\n');
    if (nl >= 0) {
      let line = rest + text.slice(0, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      batch.push(line);
      rest = '';
      start = nl + 1;
      while ((nl = text.indexOf('\n', start)) >= 0) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        batch.push(text.slice(start, end));
        start = nl + 1;
      }
      rest = text.slice(start);
    } else {
      rest += text;
    }
    if (batch.length) yield batch;
  }
  if (rest.endsWith('\r')) rest = rest.slice(0, -1);
  if (rest.length) yield [rest];
}

/**
 * `readLines` for UTF-8: each chunk's whole lines decoded at once, as bytes up to its last
 * line end (the line that straddles two chunks joined on its bytes and decoded alone), so no
 * character is ever cut and the decoder needs no state; the file's BOM dropped.
 */
async function* readUtf8Lines(input: AsyncIterable<Uint8Array>, opts: LineReaderOptions, decode: Utf8Decoder): AsyncGenerator<string[]> {
  let carry: Uint8Array | null = null;
  let atStart = true;
  const text = (bytes: Uint8Array, what: string): string => {
    if (atStart) {
      atStart = false;
      bytes = withoutBom(bytes);
    }
    try {
      return decode(bytes);
    } catch {
      throw new DirectoryFormatError(`the file is not valid UTF-8${what}`);
    }
  };
  const cut = (t: string, batch: string[]): void => {
    for (let start = 0, nl = t.indexOf('\n'); nl >= 0; start = nl + 1, nl = t.indexOf('\n', start)) {
      batch.push(t.slice(start, nl > start && t.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
    }
  };
  for await (const chunk of unpacked(input, opts)) {
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      carry = carry ? concatBytes(carry, chunk) : chunk.slice();
      continue;
    }
    const batch: string[] = [];
    let from = 0;
    if (carry) {
      // Only the line that straddles the two chunks is joined, not the chunk.
      from = chunk.indexOf(10) + 1;
      cut(text(concatBytes(carry, chunk.subarray(0, from)), ''), batch);
    }
    if (from <= last) cut(text(chunk.subarray(from, last + 1), ''), batch);
    carry = last + 1 < chunk.length ? chunk.slice(last + 1) : null;
    yield batch;
  }
  if (!carry) return;
  let rest = text(carry, ' (its last line)');
  if (rest.endsWith('\r')) rest = rest.slice(0, -1);
  if (rest.length) yield [rest];
}

/** `bytes` without the UTF-8 BOM they start with, if they do. */
function withoutBom(bytes: Uint8Array): Uint8Array {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

/**
 * `readLines` for UTF-8 with `keyed`: lines are cut on the bytes (`\n`, a `\r` before it
 * removed) and keyed, each offered to `take`, and only those it does not take are decoded
 * (strictly), one by one. A re-import's unchanged lines (99 % of them) are then never made
 * strings.
 */
async function* readKeyedLines(input: AsyncIterable<Uint8Array>, opts: LineReaderOptions, keyed: NonNullable<LineReaderOptions['keyed']>): AsyncGenerator<string[]> {
  // A BOM is dropped at the start of the file only, as `readLines` does.
  const utf8 = opts.utf8 ?? webUtf8Decoder();
  let first = true;
  const decode = (b: Uint8Array, start: number, end: number): string => {
    try {
      return utf8(first ? withoutBom(b.subarray(start, end)) : b.subarray(start, end));
    } catch {
      throw new DirectoryFormatError('the file is not valid UTF-8');
    }
  };
  const { take } = keyed;
  for await (const { bytes, keys, count } of (keyed.keyer ?? localLineKeys)(unpacked(input, opts))) {
    const batch: string[] = new Array(count);
    for (let k = 0, at = 0; k < count; k++, at += LINE_KEY_NUMBERS) {
      if (first) {
        batch[k] = decode(bytes, keys[at]!, keys[at + 1]!);
        first = false;
      } else batch[k] = take(keys, at) ? '' : decode(bytes, keys[at]!, keys[at + 1]!);
    }
    if (count) yield batch;
  }
}

/**
 * Wraps a Uint8Array or string as a one-chunk stream (tests, small uploads).
 *
 * @example
 * readLines(chunksOf(new TextEncoder().encode('a\nb\n')), { encoding: 'utf-8' });
 */
export async function* chunksOf(data: Uint8Array | string, size = 65536): AsyncGenerator<Uint8Array> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
