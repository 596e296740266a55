/**
 * LNP/1 attachment containers (SPEC §5), before sealing:
 *
 *     "LPZ1" | count (2) | per entry: name length (2) | name UTF-8 | flags (1: 0 stored,
 *     1 raw DEFLATE) | original size (4) | stored length (4) | data
 *
 * Reading guards against hostile input: every length is bounds-checked, entries are limited
 * (64 MiB each by default), inflation stops as soon as the output would exceed the declared
 * original size (decompression bombs), and names lose any path.
 */
import { InflateLimitError, jsDeflateRaw, jsInflateRaw, type DeflateRaw, type InflateRaw } from '../../lib/deflate.js';
import { LegacyError } from './legacy-error.js';
import { concatBytes } from '../../lib/bytes.js';

/** Entries are limited to 64 MiB each (SPEC §5). */
export const MAX_ENTRY_SIZE = 64 * 1024 * 1024;
/** Default limit on the number of entries in one container. */
export const MAX_ENTRIES = 1000;
const MAGIC = [0x4c, 0x50, 0x5a, 0x31]; // "LPZ1"
const FLAG_STORED = 0;
const FLAG_DEFLATE = 1;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export interface ContainerEntry {
  name: string;
  data: Uint8Array;
}

/**
 * Write a container. `deflate`: true compresses every entry, false stores them; unset
 * (default) compresses an entry only when that makes it smaller. An entry's own `deflate`
 * wins over the option. `deflateRaw`: the compressor (default pure JS).
 *
 * @example
 * const bytes = encodeContainer([{ name: 'cr.pdf', data: pdf }], { deflate: true });
 */
export function encodeContainer(entries: (ContainerEntry & { deflate?: boolean })[], opts: { deflate?: boolean; deflateRaw?: DeflateRaw } = {}): Uint8Array {
  const deflateRaw = opts.deflateRaw ?? jsDeflateRaw;
  if (entries.length === 0 || entries.length > 0xffff) throw new LegacyError('BAD_CONTAINER', `a container holds 1..65535 entries, got ${entries.length}`);
  const parts: Uint8Array[] = [new Uint8Array(MAGIC), u16(entries.length)];
  entries.forEach((e, i) => {
    const name = utf8.encode(sanitizeEntryName(e.name, i));
    if (name.length > 0xffff) throw new LegacyError('BAD_CONTAINER', `entry ${i + 1}: name too long`);
    if (e.data.length > MAX_ENTRY_SIZE) throw new LegacyError('ENTRY_TOO_LARGE', `entry ${i + 1}: ${e.data.length} bytes, limit ${MAX_ENTRY_SIZE}`);
    const want = e.deflate ?? opts.deflate;
    let flag = FLAG_STORED;
    let stored = e.data;
    if (want === true || (want === undefined && worthDeflating(e.data, deflateRaw))) {
      const z = deflateRaw(e.data, 6);
      if (want === true || z.length < e.data.length) {
        flag = FLAG_DEFLATE;
        stored = z;
      }
    }
    parts.push(u16(name.length), name, new Uint8Array([flag]), u32(e.data.length), u32(stored.length), stored);
  });
  return concatBytes(...parts);
}

/**
 * Read a container. Errors: `BAD_CONTAINER` (structure, flags, sizes, trailing bytes),
 * `ENTRY_TOO_LARGE` (declared or actual size above `maxEntrySize`).
 *
 * @example
 * for (const { name, data } of decodeContainer(bytes)) save(name, data);
 */
export function decodeContainer(bytes: Uint8Array, limits: { maxEntrySize?: number; maxEntries?: number; inflateRaw?: InflateRaw } = {}): ContainerEntry[] {
  const inflateRaw = limits.inflateRaw ?? jsInflateRaw;
  const maxEntrySize = limits.maxEntrySize ?? MAX_ENTRY_SIZE;
  const maxEntries = limits.maxEntries ?? MAX_ENTRIES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 6 || MAGIC.some((b, i) => bytes[i] !== b)) throw new LegacyError('BAD_CONTAINER', 'not a container (magic "LPZ1" missing)');
  const count = view.getUint16(4);
  if (count === 0) throw new LegacyError('BAD_CONTAINER', 'container has no entry');
  if (count > maxEntries) throw new LegacyError('BAD_CONTAINER', `container has ${count} entries, limit ${maxEntries}`);
  let p = 6;
  const need = (n: number, what: string, i: number) => {
    if (p + n > bytes.length) throw new LegacyError('BAD_CONTAINER', `entry ${i + 1}: ${what} runs past the end of the container (offset ${p})`);
  };
  const out: ContainerEntry[] = [];
  for (let i = 0; i < count; i++) {
    need(2, 'name length', i);
    const nameLength = view.getUint16(p);
    p += 2;
    need(nameLength, 'name', i);
    let rawName: string;
    try {
      rawName = utf8Strict.decode(bytes.subarray(p, p + nameLength));
    } catch {
      throw new LegacyError('BAD_CONTAINER', `entry ${i + 1}: name is not UTF-8`);
    }
    p += nameLength;
    need(9, 'header', i);
    const flag = bytes[p]!;
    const original = view.getUint32(p + 1);
    const storedLength = view.getUint32(p + 5);
    p += 9;
    if (flag !== FLAG_STORED && flag !== FLAG_DEFLATE) throw new LegacyError('BAD_CONTAINER', `entry ${i + 1}: unknown flags ${flag}`);
    if (original > maxEntrySize) throw new LegacyError('ENTRY_TOO_LARGE', `entry ${i + 1}: declares ${original} bytes, limit ${maxEntrySize}`);
    need(storedLength, 'data', i);
    const stored = bytes.subarray(p, p + storedLength);
    p += storedLength;
    let data: Uint8Array;
    if (flag === FLAG_STORED) {
      if (storedLength !== original) throw new LegacyError('BAD_CONTAINER', `entry ${i + 1}: stored length ${storedLength} differs from original size ${original}`);
      data = stored.slice();
    } else {
      data = inflateBounded(inflateRaw, stored, original, i);
    }
    out.push({ name: sanitizeEntryName(rawName, i), data });
  }
  if (p !== bytes.length) throw new LegacyError('BAD_CONTAINER', `${bytes.length - p} bytes after the last entry`);
  return out;
}

/**
 * A file name safe to write anywhere: no path (only what follows the last `/` or `\`), no
 * control characters, no leading dots, at most 255 characters; `attachment-N` when nothing
 * is left.
 *
 * @example
 * sanitizeEntryName('../../etc/passwd', 0); // 'passwd'
 */
export function sanitizeEntryName(name: string, index: number): string {
  // eslint-disable-next-line no-control-regex
  let n = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').replace(/^[.\s]+/, '').trim();
  if ([...n].length > 255) n = [...n].slice(-255).join('');
  return n === '' ? `attachment-${index + 1}` : n;
}

/** Auto mode: does a 64 KiB sample shrink by at least 5 %? (Skips already-compressed files cheaply.) */
function worthDeflating(data: Uint8Array, deflateRaw: DeflateRaw): boolean {
  if (data.length <= 64 * 1024) return true;
  const sample = data.subarray(0, 64 * 1024);
  return deflateRaw(sample, 1).length < sample.length * 0.95;
}

/** DEFLATE expands at most 1032:1 (RFC 1951: a 258-byte match costs at least 2 bits). */
const MAX_DEFLATE_RATIO = 1032;

/**
 * Inflate raw DEFLATE data that must expand to exactly `size` bytes, stopping early
 * otherwise. Memory follows what the data really inflates to, never the declared size alone:
 * a size the data cannot reach is refused before inflating, and the output grows chunk by
 * chunk (a 30-byte entry declaring 64 MiB costs 30 bytes, not 64 MiB).
 */
function inflateBounded(inflateRaw: InflateRaw, stored: Uint8Array, size: number, index: number): Uint8Array {
  if (size > stored.length * MAX_DEFLATE_RATIO + 64) {
    throw new LegacyError('BAD_CONTAINER', `entry ${index + 1}: declares ${size} bytes, more than its ${stored.length} bytes of DEFLATE data can hold`);
  }
  let data: Uint8Array;
  try {
    data = inflateRaw(stored, size);
  } catch (err) {
    if (err instanceof InflateLimitError) throw new LegacyError('BAD_CONTAINER', `entry ${index + 1}: inflates beyond its declared size ${size}`);
    throw new LegacyError('BAD_CONTAINER', `entry ${index + 1}: invalid DEFLATE data`, { cause: err });
  }
  if (data.length !== size) throw new LegacyError('BAD_CONTAINER', `entry ${index + 1}: inflates to ${data.length} bytes, declared ${size}`);
  return data;
}

function u16(n: number): Uint8Array {
  return new Uint8Array([n >>> 8, n & 0xff]);
}

function u32(n: number): Uint8Array {
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

