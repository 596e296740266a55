import { InflateLimitError, jsInflateRaw, type InflateRaw } from '../../lib/deflate.js';
import { CONTENT_LIMITS, type ContentRule } from '../safety/content-rules.js';
import { crc32, type Crc32 } from '../../lib/crc32.js';

/** Why a ZIP was refused. */
export type ZipRefusal = 'path-traversal' | 'too-many-entries' | 'entry-too-large' | 'total-too-large' | 'ratio' | 'corrupt' | 'unsupported' | 'duplicate' | 'size-mismatch';

/** The safety rule (`mappings/safety/content-rules.ts`) each refusal breaks. */
const RULE_OF: Record<ZipRefusal, ContentRule> = {
  'path-traversal': 'zip-path', 'too-many-entries': 'zip-too-many-entries', 'entry-too-large': 'zip-entry-too-large',
  'total-too-large': 'zip-total-too-large', ratio: 'zip-ratio', corrupt: 'zip-corrupt', unsupported: 'zip-unsupported',
  duplicate: 'zip-duplicate-entry', 'size-mismatch': 'zip-size-mismatch',
};

/** Thrown when a ZIP archive is unsafe or unreadable; `reason` says which limit or defect, `rule` which safety rule. */
export class ZipSafetyError extends Error {
  readonly rule: ContentRule;
  constructor(readonly reason: ZipRefusal, message: string) {
    super(message);
    this.name = 'ZipSafetyError';
    this.rule = RULE_OF[reason];
  }
}

export interface ZipLimits {
  /** Most entries accepted (default 64). */
  maxEntries?: number;
  /** Largest uncompressed entry in bytes (default 20 MiB). */
  maxEntryBytes?: number;
  /** Largest total uncompressed size in bytes (default 50 MiB). */
  maxTotalBytes?: number;
  /** Largest compression ratio of one entry (default 200). */
  maxRatio?: number;
}

/** The defaults come from the one limits table, `CONTENT_LIMITS`. */
export const DEFAULT_ZIP_LIMITS: Required<ZipLimits> = {
  maxEntries: CONTENT_LIMITS.maxEntries, maxEntryBytes: CONTENT_LIMITS.maxEntryBytes, maxTotalBytes: CONTENT_LIMITS.maxTotalBytes, maxRatio: CONTENT_LIMITS.maxRatio,
};


/**
 * Is this entry name a safe relative path (no `..`, no absolute path, no drive, no backslash, no control character)?
 *
 * @example
 * isSafeEntryName('../etc/passwd') // false
 */
export function isSafeEntryName(name: string): boolean {
  if (!name || name.length > 255) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\\]/.test(name) || name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return false;
  return !name.split('/').some((seg) => seg === '..' || seg === '.');
}

/** Inflate raw deflate data, stopping as soon as the output would pass `limit` bytes. */
function inflateBounded(inflateRaw: InflateRaw, data: Uint8Array, limit: number, name: string): Uint8Array {
  try {
    return inflateRaw(data, limit);
  } catch (e) {
    if (e instanceof InflateLimitError) throw new ZipSafetyError('entry-too-large', `ZIP entry ${name} inflates past ${limit} bytes`);
    throw new ZipSafetyError('corrupt', `ZIP entry ${name} is not valid deflate data`);
  }
}

export interface ZipEntry { name: string; data: Uint8Array }

/**
 * Read a ZIP archive defensively from its central directory: stored and deflate entries
 * only, no encryption, no ZIP64; every name must be a safe relative path; the entry count,
 * each entry's size, the total and the compression ratio are bounded (declared sizes are
 * checked before and enforced during inflation); CRC-32 is verified. Directories are skipped.
 * `inflateRaw`: the bounded inflater (default pure JS; the Node runtime gives native zlib);
 * `checksum`: the CRC-32 (default `lib/crc32.ts`; the Node runtime gives zlib's).
 *
 * @example
 * const entries = readZipSafely(bytes, { maxTotalBytes: 10 << 20 });
 */
export function readZipSafely(zip: Uint8Array, limits: ZipLimits = {}, inflateRaw: InflateRaw = jsInflateRaw, checksum: Crc32 = crc32): ZipEntry[] {
  const lim = { ...DEFAULT_ZIP_LIMITS, ...limits };
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new ZipSafetyError('corrupt', 'not a ZIP archive (no end of central directory)');
  const count = dv.getUint16(eocd + 10, true);
  const cdSize = dv.getUint32(eocd + 12, true);
  const cdOffset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipSafetyError('unsupported', 'ZIP64 archives are not accepted');
  if (count > lim.maxEntries) throw new ZipSafetyError('too-many-entries', `ZIP has ${count} entries, the limit is ${lim.maxEntries}`);
  if (cdOffset + cdSize > eocd) throw new ZipSafetyError('corrupt', 'ZIP central directory lies outside the archive');
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const latin = new TextDecoder('latin1');
  const out: ZipEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > zip.length || dv.getUint32(p, true) !== 0x02014b50) throw new ZipSafetyError('corrupt', `ZIP central directory entry ${k + 1} is damaged`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    const csize = dv.getUint32(p + 20, true);
    const usize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const local = dv.getUint32(p + 42, true);
    const rawName = zip.subarray(p + 46, p + 46 + nameLen);
    const name = (flags & 0x800 ? decoder : latin).decode(rawName);
    p += 46 + nameLen + extraLen + commentLen;
    if (!isSafeEntryName(name)) throw new ZipSafetyError('path-traversal', `ZIP entry name is not a safe relative path: ${JSON.stringify(name.slice(0, 80))}`);
    if (name.endsWith('/')) continue;
    const key = name.toUpperCase();
    if (seen.has(key)) throw new ZipSafetyError('duplicate', `ZIP entry ${name} appears twice`);
    seen.add(key);
    if (flags & 0x1) throw new ZipSafetyError('unsupported', `ZIP entry ${name} is encrypted`);
    if (method !== 0 && method !== 8) throw new ZipSafetyError('unsupported', `ZIP entry ${name} uses compression method ${method}`);
    if (usize > lim.maxEntryBytes) throw new ZipSafetyError('entry-too-large', `ZIP entry ${name} declares ${usize} bytes, the limit is ${lim.maxEntryBytes}`);
    if (total + usize > lim.maxTotalBytes) throw new ZipSafetyError('total-too-large', `ZIP content passes the total limit of ${lim.maxTotalBytes} bytes`);
    if (csize > 0 && usize / csize > lim.maxRatio && usize > 1 << 16) throw new ZipSafetyError('ratio', `ZIP entry ${name} has a compression ratio above ${lim.maxRatio}`);
    if (local + 30 > zip.length || dv.getUint32(local, true) !== 0x04034b50) throw new ZipSafetyError('corrupt', `ZIP local header of ${name} is damaged`);
    // Without a data descriptor (flag bit 3) the local header repeats the sizes: they must agree.
    if (!(flags & 0x8) && (dv.getUint32(local + 18, true) !== csize || dv.getUint32(local + 22, true) !== usize)) {
      throw new ZipSafetyError('size-mismatch', `ZIP entry ${name}: its local header and the central directory disagree on its sizes`);
    }
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (start + csize > zip.length) throw new ZipSafetyError('corrupt', `ZIP entry ${name} runs past the end of the archive`);
    const raw = zip.subarray(start, start + csize);
    const limit = Math.min(usize, lim.maxEntryBytes, lim.maxTotalBytes - total);
    const data = method === 0 ? raw.slice() : inflateBounded(inflateRaw, raw, limit, name);
    if (data.length !== usize) throw new ZipSafetyError('size-mismatch', `ZIP entry ${name} size differs from its declared size`);
    if (checksum(data) !== crc) throw new ZipSafetyError('corrupt', `ZIP entry ${name} fails its CRC-32 check`);
    total += data.length;
    out.push({ name, data });
  }
  return out;
}
