/**
 * The DER writer: the CMS structures the gateway emits on its hot path (SignedData,
 * EnvelopedData), PKCS#8 key wrapping, test material.
 *
 * pkijs re-encodes certificates and names on every `toSchema()` (about 1 ms per
 * certificate), which would cost more than the RSA operation itself. Here the fixed parts
 * are encoded once, and a message's structure is built as a tree of nodes whose lengths are
 * known, then written in one pass into one buffer (the content is copied once, not once per
 * nesting level). No `node:` imports.
 */
import { concatBytes } from '../bytes.js';
import { DerError } from './error.js';
import { oidToBytes } from './oid.js';

/** Re-exported for the DER writers (`concat(a, b)`: one array holding both). */
export { concatBytes as concat };

export type Bytes = Uint8Array;

/** Encoded bytes, or a constructed/primitive node still to be written. */
export type DerNode = Bytes | { tag: number; parts: DerNode[]; len: number };

function size(n: DerNode): number {
  return n instanceof Uint8Array ? n.length : 1 + lengthOfLength(n.len) + n.len;
}

function lengthOfLength(n: number): number {
  if (n < 0x80) return 1;
  let k = 0;
  while (n > 0) {
    k++;
    n = Math.floor(n / 256);
  }
  return 1 + k;
}

/** Tag-length-value with the given tag byte. */
export function tlv(tag: number, ...parts: DerNode[]): DerNode {
  let len = 0;
  for (const p of parts) len += size(p);
  return { tag, parts, len };
}

/** Writes the length octets of `len` at `o` (short form below 128, else long form). */
function writeLength(len: number, out: Uint8Array, o: number): number {
  const ll = lengthOfLength(len);
  if (ll === 1) out[o++] = len;
  else {
    out[o++] = 0x80 | (ll - 1);
    for (let i = ll - 2; i >= 0; i--) out[o++] = Math.floor(len / 256 ** i) & 0xff;
  }
  return o;
}

/**
 * The DER length octets of a content length.
 *
 * @example
 * encodeLength(5);   // 05
 * encodeLength(300); // 82 01 2c
 */
export function encodeLength(len: number): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(len) || len < 0) throw new DerError(`length ${len} cannot be encoded`, 0);
  const out = new Uint8Array(lengthOfLength(len));
  writeLength(len, out, 0);
  return out;
}

function write(n: DerNode, out: Uint8Array, o: number): number {
  if (n instanceof Uint8Array) {
    out.set(n, o);
    return o + n.length;
  }
  out[o++] = n.tag;
  o = writeLength(n.len, out, o);
  for (const p of n.parts) o = write(p, out, o);
  return o;
}

/** Writes a node tree to bytes. */
export function der(n: DerNode): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size(n));
  write(n, out, 0);
  return out;
}

export const seq = (...c: DerNode[]) => tlv(0x30, ...c);
/** A SET OF, elements sorted by their encodings as DER requires. */
export const setOf = (...c: DerNode[]) => (c.length < 2 ? tlv(0x31, ...c) : tlv(0x31, ...c.map(der).sort(compareBytes)));
export const octets = (b: Bytes) => tlv(0x04, b);
export const nul = () => new Uint8Array([0x05, 0x00]);
/** Context-specific constructed `[n]` (EXPLICIT, or IMPLICIT of a constructed type). */
export const ctx = (n: number, ...c: DerNode[]) => tlv(0xa0 | n, ...c);
/** Context-specific primitive `[n]` IMPLICIT. */
export const ctxPrim = (n: number, b: Bytes) => tlv(0x80 | n, b);

/** A non-negative INTEGER (versions, counts). */
export function int(n: number): DerNode {
  if (!Number.isSafeInteger(n) || n < 0) throw new DerError(`INTEGER ${n} is not a non-negative safe integer`, 0);
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(0x02, new Uint8Array(bytes));
}

const oidCache = new Map<string, Bytes>();
/** An OBJECT IDENTIFIER from dotted text, encoded once per OID (cached). */
export function oid(dotted: string): Bytes {
  let b = oidCache.get(dotted);
  if (!b) {
    b = der(tlv(0x06, oidToBytes(dotted)));
    oidCache.set(dotted, b);
  }
  return b;
}

/** UTCTime (years 1950–2049) or GeneralizedTime, as RFC 5652 signingTime wants. */
export function time(d: Date): DerNode {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const y = d.getUTCFullYear();
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(0x17, new TextEncoder().encode(`${p(y % 100)}${rest}`));
  return tlv(0x18, new TextEncoder().encode(`${p(y, 4)}${rest}`));
}

/** Byte-wise order of two encodings (shorter first on a common prefix), as DER sorts a SET OF. */
export function compareBytes(a: Bytes, b: Bytes): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

