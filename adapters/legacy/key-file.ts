/**
 * LNP/1 key files (SPEC §2): one 256-byte file per subscriber and year, plus one `Master`
 * file a year, named `OWNER.YY` (YY = year − 1900, so 2026 → `.126`).
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `LNPK` |
 * | 4 | 2 | version `1` |
 * | 6 | 2 | year |
 * | 8 | 64 | owner, ASCII, NUL-padded |
 * | 72 | 4 | serial |
 * | 76 | 148 | reserved, zero |
 * | 224 | 32 | secret |
 *
 * A parsed key never shows its secret: `toString`, `JSON.stringify` and `util.inspect` print
 * only owner, year and serial.
 */
import { LegacyError } from './legacy-error.js';

export const KEY_FILE_SIZE = 256;
export const KEY_SECRET_SIZE = 32;
/** The owner name of the network's yearly Master key. */
export const MASTER_OWNER = 'Master';
/** A subscriber's LOCAL part (SPEC §1). */
export const LOCAL_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const MAGIC = [0x4c, 0x4e, 0x50, 0x4b]; // "LNPK"
const OWNER_OFFSET = 8;
const OWNER_SIZE = 64;
const SERIAL_OFFSET = 72;
const RESERVED_OFFSET = 76;
const SECRET_OFFSET = 224;

/** A key file's content. `secret` is not enumerable and never printed. */
export interface KeyFile {
  readonly owner: string;
  readonly year: number;
  readonly serial: number;
  readonly secret: Uint8Array;
}

/** Is `owner` a valid key owner: `Master` or a subscriber LOCAL? */
export function isKeyOwner(owner: string): boolean {
  return owner === MASTER_OWNER || LOCAL_PATTERN.test(owner);
}

/**
 * Build a KeyFile whose secret stays hidden from logs and serialisation.
 *
 * @example
 * const k = makeKeyFile('passerelle', 2026, 1, crypto.getRandomValues(new Uint8Array(32)));
 * String(k); // 'KeyFile(passerelle.126, year 2026, serial 1)'
 */
export function makeKeyFile(owner: string, year: number, serial: number, secret: Uint8Array): KeyFile {
  if (secret.length !== KEY_SECRET_SIZE) {
    throw new LegacyError('BAD_KEY_SIZE', `key secret must be ${KEY_SECRET_SIZE} bytes, got ${secret.length}`);
  }
  const describe = () => `KeyFile(${keyFileName(owner, year)}, year ${year}, serial ${serial})`;
  const k = { owner, year, serial } as KeyFile;
  Object.defineProperties(k, {
    secret: { value: secret, enumerable: false, writable: false },
    toString: { value: describe, enumerable: false },
    toJSON: { value: () => ({ owner, year, serial }), enumerable: false },
    [Symbol.for('nodejs.util.inspect.custom')]: { value: describe, enumerable: false },
  });
  return Object.freeze(k);
}

/**
 * The file name of a key: `OWNER.YY` with YY = year − 1900.
 *
 * @example
 * keyFileName('Master', 2026); // 'Master.126'
 */
export function keyFileName(owner: string, year: number): string {
  return `${owner}.${year - 1900}`;
}

/**
 * Read owner and year from a key file name, or throw `BAD_KEY_NAME`.
 *
 * @example
 * parseKeyFileName('dr.alice.martin.126'); // { owner: 'dr.alice.martin', year: 2026 }
 */
export function parseKeyFileName(fileName: string): { owner: string; year: number } {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const m = /^(.+)\.(\d{2,3})$/.exec(base);
  if (!m || !isKeyOwner(m[1]!)) {
    throw new LegacyError('BAD_KEY_NAME', `${safeName(base)}: not a key file name (expected OWNER.YY, e.g. passerelle.126)`);
  }
  return { owner: m[1]!, year: 1900 + Number(m[2]) };
}

/**
 * Parse and check a key file (every check of SPEC §2, a distinct error each).
 *
 * @example
 * const key = parseKeyFile('passerelle.126', await readFile('keys/passerelle.126'));
 * key.owner; // 'passerelle'
 */
export function parseKeyFile(fileName: string, bytes: Uint8Array): KeyFile {
  const named = parseKeyFileName(fileName);
  const where = safeName(fileName.split(/[\\/]/).pop() ?? fileName);
  if (bytes.length !== KEY_FILE_SIZE) {
    throw new LegacyError('BAD_KEY_SIZE', `${where}: key file is ${bytes.length} bytes, expected ${KEY_FILE_SIZE}`);
  }
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC[i]) throw new LegacyError('BAD_KEY_MAGIC', `${where}: bad magic at offset 0 (expected "LNPK")`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4);
  if (version !== 1) throw new LegacyError('BAD_KEY_VERSION', `${where}: format version ${version}, expected 1`);
  const year = view.getUint16(6);
  if (year !== named.year) {
    throw new LegacyError('KEY_YEAR_MISMATCH', `${where}: file holds a key of year ${year}, its name says ${named.year}`);
  }
  const owner = readOwner(bytes, where);
  if (owner !== named.owner) {
    throw new LegacyError('KEY_OWNER_MISMATCH', `${where}: owner field differs from the file name`);
  }
  for (let i = RESERVED_OFFSET; i < SECRET_OFFSET; i++) {
    if (bytes[i] !== 0) throw new LegacyError('BAD_KEY_RESERVED', `${where}: reserved byte at offset ${i} is not zero`);
  }
  const serial = view.getUint32(SERIAL_OFFSET);
  return makeKeyFile(owner, year, serial, bytes.slice(SECRET_OFFSET, SECRET_OFFSET + KEY_SECRET_SIZE));
}

/**
 * Write a key file (256 bytes).
 *
 * @example
 * const bytes = encodeKeyFile(makeKeyFile('passerelle', 2026, 7, secret));
 */
export function encodeKeyFile(k: KeyFile): Uint8Array {
  if (!isKeyOwner(k.owner)) throw new LegacyError('BAD_KEY_NAME', 'owner is neither Master nor a valid LOCAL');
  if (!Number.isInteger(k.year) || k.year < 1900 || k.year > 0xffff) throw new LegacyError('KEY_YEAR_MISMATCH', `year ${k.year} out of range`);
  if (k.secret.length !== KEY_SECRET_SIZE) throw new LegacyError('BAD_KEY_SIZE', `key secret must be ${KEY_SECRET_SIZE} bytes`);
  const out = new Uint8Array(KEY_FILE_SIZE);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint16(4, 1);
  view.setUint16(6, k.year);
  for (let i = 0; i < k.owner.length; i++) out[OWNER_OFFSET + i] = k.owner.charCodeAt(i);
  view.setUint32(SERIAL_OFFSET, k.serial >>> 0);
  out.set(k.secret, SECRET_OFFSET);
  return out;
}

function readOwner(bytes: Uint8Array, where: string): string {
  let end = OWNER_OFFSET;
  while (end < OWNER_OFFSET + OWNER_SIZE && bytes[end] !== 0) end++;
  for (let i = end; i < OWNER_OFFSET + OWNER_SIZE; i++) {
    if (bytes[i] !== 0) throw new LegacyError('KEY_OWNER_MISMATCH', `${where}: owner field is not NUL-padded`);
  }
  let owner = '';
  for (let i = OWNER_OFFSET; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e) throw new LegacyError('KEY_OWNER_MISMATCH', `${where}: owner field is not ASCII`);
    owner += String.fromCharCode(b);
  }
  return owner;
}

/** A file name fit for an error message: printable ASCII, bounded length. */
function safeName(name: string): string {
  const clean = name.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}
