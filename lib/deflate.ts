/**
 * Raw DEFLATE (RFC 1951, no zlib header) as an injected function: the pure-JS default runs
 * anywhere; the Node runtime hands native zlib (`app/node/native-deflate.ts`) to whatever
 * compresses on a hot path (the XDM archive, legacy attachment containers).
 *
 * @example
 * const z = (options.deflateRaw ?? jsDeflateRaw)(bytes, 6);
 */
import { deflateSync } from 'fflate';

/** Compress `data` at `level` (1 fastest … 9 smallest). */
export type DeflateRaw = (data: Uint8Array, level: number) => Uint8Array;

/** Pure-JS raw DEFLATE (fflate). */
export const jsDeflateRaw: DeflateRaw = (data, level) => deflateSync(data, { level: level as 1 });

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
