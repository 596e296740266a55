/**
 * Raw DEFLATE by Node's native zlib: about eight times less CPU than the pure-JS compressor
 * the core defaults to (level 1: 0.11 ms against 0.9 ms for a 60 KB CR-BIO). Node edge: the
 * runtime hands it to the clinical translator and the legacy adapter.
 */
import * as zlib from 'node:zlib';
import { InflateLimitError, type DeflateRaw, type InflateRaw } from '../../lib/deflate.js';
import type { Crc32 } from '../../lib/crc32.js';

export const zlibDeflateRaw: DeflateRaw = (data, level) => zlib.deflateRawSync(data, { level });

/**
 * Bounded raw inflate by native zlib (`maxOutputLength`: zlib stops as soon as the output
 * would pass the limit): about four times less CPU than the pure-JS inflater on an XDM's CDA.
 */
export const zlibInflateRaw: InflateRaw = (data, limit) => {
  try {
    const out = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, limit) });
    if (out.length > limit) throw new InflateLimitError(limit);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new InflateLimitError(limit);
    throw e;
  }
};

/**
 * zlib's CRC-32 (`zlib.crc32`, Node 20.15 and later; undefined before, where the JavaScript
 * one stays): a 10 KB LNP/1 payload's armour checked in 2.2 µs against 10–12 µs.
 */
const nativeCrc32 = (zlib as { crc32?: (bytes: Uint8Array) => number }).crc32;
export const zlibCrc32: Crc32 | undefined = nativeCrc32 && ((bytes) => nativeCrc32(bytes));
