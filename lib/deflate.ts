/**
 * Raw DEFLATE (RFC 1951, no zlib header) both ways as injected functions: the pure-JS
 * defaults run anywhere; the Node runtime hands native zlib (`app/node/native-deflate.ts`)
 * to whatever compresses or inflates on a hot path (the XDM archive, legacy attachment
 * containers).
 *
 * @example
 * const z = (options.deflateRaw ?? jsDeflateRaw)(bytes, 6);
 * const back = (options.inflateRaw ?? jsInflateRaw)(z, bytes.length);
 */
import { deflateSync, Inflate } from 'fflate';

/** Compress `data` at `level` (1 fastest … 9 smallest). */
export type DeflateRaw = (data: Uint8Array, level: number) => Uint8Array;

/** Pure-JS raw DEFLATE (fflate). */
export const jsDeflateRaw: DeflateRaw = (data, level) => deflateSync(data, { level: level as 1 });

/**
 * Inflate raw DEFLATE into at most `limit` bytes. Throws {@link InflateLimitError} as soon as
 * the output would pass `limit` (a decompression bomb costs `limit`, not what it declares),
 * and any other error when the data is not a complete DEFLATE stream.
 */
export type InflateRaw = (data: Uint8Array, limit: number) => Uint8Array;

/** The data inflates past the limit it was given. */
export class InflateLimitError extends Error {
  constructor(readonly limit: number) {
    super(`inflates past ${limit} bytes`);
    this.name = 'InflateLimitError';
  }
}

const INFLATE_STEP = 16 * 1024;

/** Pure-JS bounded raw inflate (fflate's streaming inflater, fed 16 KB at a time). */
export const jsInflateRaw: InflateRaw = (data, limit) => {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const inf = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > limit) throw new InflateLimitError(limit);
    chunks.push(chunk);
    if (final) ended = true;
  });
  if (data.length === 0) throw new Error('unexpected end of DEFLATE data');
  for (let i = 0; i < data.length; i += INFLATE_STEP) inf.push(data.subarray(i, i + INFLATE_STEP), i + INFLATE_STEP >= data.length);
  if (!ended) throw new Error('unexpected end of DEFLATE data');
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) { out.set(c, off); off += c.length; }
  return out;
};

/**
 * A zlib stream (RFC 1950: header, raw DEFLATE, Adler-32), as PDF's FlateDecode expects.
 *
 * @example
 * const stream = zlibStream(contentBytes, options.deflateRaw ?? jsDeflateRaw, 6);
 */
export function zlibStream(data: Uint8Array, deflateRaw: DeflateRaw, level: number): Uint8Array {
  const body = deflateRaw(data, level);
  const out = new Uint8Array(body.length + 6);
  out[0] = 0x78;
  out[1] = 0x9c;
  out.set(body, 2);
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    const end = Math.min(i + 5552, data.length); // largest run before the sums must be reduced
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  const adler = ((b << 16) | a) >>> 0;
  new DataView(out.buffer).setUint32(body.length + 2, adler);
  return out;
}
