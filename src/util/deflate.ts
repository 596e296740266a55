/**
 * Raw DEFLATE (RFC 1951, no zlib header) as an injected function: the pure-JS default runs
 * anywhere; the Node runtime hands native zlib (`src/runtime/native-deflate.ts`) to whatever
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
