/**
 * Base64 (RFC 4648 §4), the one codec of the project, over Uint8Array with Web APIs only:
 *
 * - `toBase64` / `fromBase64` / `base64Lines`: standard text, for MIME, PEM, CDA, notices;
 * - `encodeBase64` / `decodeBase64`: any 64-character alphabet with strict error positions
 *   (the LNP/1 armour's, `adapters/legacy/armour.ts`);
 * - `decodeBase64Body`: a MIME body straight from its bytes (a hot path: inbound S/MIME);
 * - `base64LineBytes`: CRLF lines of 76 characters straight to bytes (outbound S/MIME).
 *
 * @example
 * toBase64(new Uint8Array([1, 2, 3])); // 'AQID'
 * base64Lines(pdf, 76, '\r\n');        // MIME body lines
 */
import { bufferView, runtimeBuffer } from './runtime-buffer.js';

export function toBase64(bytes: Uint8Array): string {
  if (nativeToBase64) return nativeToBase64(bytes);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  return btoa(bin);
}

/**
 * The runtime's own encoder when it has one: `Uint8Array.prototype.toBase64` (ES2026), or
 * `Buffer` (Node, Workers with nodejs_compat: `runtime-buffer.ts`), seventy times faster
 * than `btoa` over a binary string on Node 20.
 */
const nativeToBase64: ((b: Uint8Array) => string) | null = (() => {
  const proto = Uint8Array.prototype as unknown as { toBase64?: (this: Uint8Array) => string };
  if (typeof proto.toBase64 === 'function') return (b: Uint8Array) => proto.toBase64!.call(b);
  return runtimeBuffer ? (b: Uint8Array) => bufferView(b).toString('base64') : null;
})();

/** Decodes base64; white space (line breaks) is ignored, anything else invalid throws. */
export function fromBase64(text: string): Uint8Array {
  const bin = atob(text.replace(/\s+/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Base64 in lines of `lineLength` characters, each ended by `eol` (MIME: 76 and CRLF). */
export function base64Lines(bytes: Uint8Array, lineLength = 76, eol = '\r\n'): string {
  const b64 = toBase64(bytes);
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += lineLength) out.push(b64.slice(i, i + lineLength));
  return out.length ? out.join(eol) + eol : '';
}

// ---- any alphabet, strict (LNP/1 armour) ----

/** The standard alphabet `A–Z a–z 0–9 + /`. */
export const STANDARD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const reverseTables = new Map<string, Int16Array>();

function reverseTable(alphabet: string): Int16Array {
  let t = reverseTables.get(alphabet);
  if (!t) {
    t = new Int16Array(128).fill(-1);
    for (let i = 0; i < 64; i++) t[alphabet.charCodeAt(i)] = i;
    reverseTables.set(alphabet, t);
  }
  return t;
}

/**
 * @example
 * encodeBase64(new TextEncoder().encode('hi')); // 'aGk='
 */
export function encodeBase64(bytes: Uint8Array, alphabet: string = STANDARD_ALPHABET): string {
  if (runtimeBuffer) return nativeEncode(bytes, alphabet);
  return jsEncodeBase64(bytes, alphabet);
}

/**
 * The runtime's base64 (standard alphabet), its characters then translated to `alphabet`'s
 * in one pass over their bytes: a 10 KB LNP/1 payload in 25–30 µs against 103–125 µs
 * (the armour written in 45 µs instead of 115–124; a property test holds it to `jsEncodeBase64`).
 */
function nativeEncode(bytes: Uint8Array, alphabet: string): string {
  const standard = toBase64(bytes);
  if (alphabet === STANDARD_ALPHABET) return standard;
  const table = translationTable(alphabet);
  const chars = runtimeBuffer!.from(standard, 'latin1');
  for (let i = 0; i < chars.length; i++) chars[i] = table[chars[i]!]!;
  return chars.toString('latin1');
}

const translationTables = new Map<string, Uint8Array>();

/** Standard base64 character → `alphabet`'s character of the same value (`=` kept). */
function translationTable(alphabet: string): Uint8Array {
  let t = translationTables.get(alphabet);
  if (!t) {
    t = new Uint8Array(256);
    for (let c = 0; c < 256; c++) t[c] = c;
    for (let i = 0; i < 64; i++) t[STANDARD_ALPHABET.charCodeAt(i)] = alphabet.charCodeAt(i);
    translationTables.set(alphabet, t);
  }
  return t;
}

/** `encodeBase64` without the runtime's encoder (Web APIs only). */
export function jsEncodeBase64(bytes: Uint8Array, alphabet: string = STANDARD_ALPHABET): string {
  const parts: string[] = [];
  let chunk = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk += alphabet[v >>> 18]! + alphabet[(v >>> 12) & 63]! + alphabet[(v >>> 6) & 63]! + alphabet[v & 63]!;
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  if (n - i === 1) {
    const v = bytes[i]! << 16;
    chunk += alphabet[v >>> 18]! + alphabet[(v >>> 12) & 63]! + '==';
  } else if (n - i === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    chunk += alphabet[v >>> 18]! + alphabet[(v >>> 12) & 63]! + alphabet[(v >>> 6) & 63]! + '=';
  }
  parts.push(chunk);
  return parts.join('');
}

/** Thrown by {@link decodeBase64}: `index` is the offending character's position. */
export class Base64Error extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
    this.name = 'Base64Error';
  }
}

/**
 * Decode base64 written in `alphabet`. Whitespace (space, tab, CR, LF) is skipped when
 * `skipWhitespace` is set (MIME bodies); anything else outside the alphabet throws.
 *
 * @example
 * decodeBase64('aGk='); // Uint8Array [0x68, 0x69]
 */
export function decodeBase64(text: string, alphabet: string = STANDARD_ALPHABET, skipWhitespace = false): Uint8Array {
  const table = reverseTable(alphabet);
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let o = 0;
  let acc = 0;
  let bits = 0;
  let quad = 0;
  let pad = 0;
  let i = 0;
  if (!skipWhitespace) {
    // Whole quads of alphabet characters, four at a time; the first quad that holds anything
    // else (padding, a stray character) and what follows go through the checking loop below.
    for (const last = text.length - 4; i <= last; i += 4) {
      const a = text.charCodeAt(i), b = text.charCodeAt(i + 1), c = text.charCodeAt(i + 2), d = text.charCodeAt(i + 3);
      if ((a | b | c | d) >= 128) break;
      const va = table[a]!, vb = table[b]!, vc = table[c]!, vd = table[d]!;
      if ((va | vb | vc | vd) < 0) break;
      const v = (va << 18) | (vb << 12) | (vc << 6) | vd;
      out[o++] = v >>> 16;
      out[o++] = (v >>> 8) & 0xff;
      out[o++] = v & 0xff;
    }
  }
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (skipWhitespace && (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a)) continue;
    if (c === 0x3d /* = */) {
      pad++;
      quad++;
      if (pad > 2 || quad % 4 < 3 && quad % 4 !== 0) throw new Base64Error('misplaced padding', i);
      continue;
    }
    const v = c < 128 ? table[c]! : -1;
    if (v < 0) throw new Base64Error('character outside the alphabet', i);
    if (pad > 0) throw new Base64Error('data after padding', i);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    quad++;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  if (quad % 4 !== 0) throw new Base64Error('length is not a multiple of 4', text.length);
  return out.slice(0, o);
}

// ---- MIME bodies from bytes (inbound S/MIME) ----

const SKIP = -1;
const PAD = -2;
const TABLE = (() => {
  const t = new Int8Array(256).fill(SKIP);
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) t[abc.charCodeAt(i)] = i;
  t[61] = PAD; // '='
  return t;
})();

/** Base64 in a MIME body is not valid. */
export class Base64BodyError extends Error {
  constructor(why: string) {
    super(`base64 body: ${why}`);
    this.name = 'Base64BodyError';
  }
}

/**
 * Decodes a base64 body given as bytes.
 *
 * @example
 * decodeBase64Body(new TextEncoder().encode('AQID\r\nBA==\r\n')); // Uint8Array [1, 2, 3, 4]
 */
export function decodeBase64Body(body: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(Math.floor((body.length * 3) / 4) + 3);
  let o = 0;
  let acc = 0;
  let n = 0;
  let i = 0;
  const len = body.length;
  for (; i < len; i++) {
    if (n === 0) {
      // fast path: four alphabet characters in a row (most of a MIME line)
      while (i + 4 <= len) {
        const a = TABLE[body[i]];
        const b = TABLE[body[i + 1]];
        const c = TABLE[body[i + 2]];
        const d = TABLE[body[i + 3]];
        if ((a | b | c | d) < 0) break;
        const v = (a << 18) | (b << 12) | (c << 6) | d;
        out[o++] = v >> 16;
        out[o++] = (v >> 8) & 0xff;
        out[o++] = v & 0xff;
        i += 4;
      }
      if (i >= len) break;
    }
    const v = TABLE[body[i]];
    if (v >= 0) {
      acc = (acc << 6) | v;
      if (++n === 4) {
        out[o++] = acc >> 16;
        out[o++] = (acc >> 8) & 0xff;
        out[o++] = acc & 0xff;
        acc = 0;
        n = 0;
      }
    } else if (v === PAD) break;
  }
  let pads = 0;
  for (; i < len; i++) {
    const v = TABLE[body[i]];
    if (v === PAD) pads++;
    else if (v >= 0) throw new Base64BodyError('data after padding');
  }
  if (n === 1) throw new Base64BodyError('truncated (a lone final character)');
  if (pads > 0 && (pads > 2 || (n + pads) % 4 !== 0)) throw new Base64BodyError('wrong padding');
  if (n === 2) out[o++] = acc >> 4;
  else if (n === 3) {
    out[o++] = acc >> 10;
    out[o++] = (acc >> 2) & 0xff;
  }
  return out.subarray(0, o);
}

// ---- CRLF lines straight to bytes (outbound S/MIME) ----

const B64 = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Two bytes as one 16-bit unit in memory order. */
const u16 = (first: number, second: number) => (LITTLE_ENDIAN ? first | (second << 8) : (first << 8) | second);
/** 12 bits → two base64 characters (as one 16-bit unit). */
let PAIRS: Uint16Array | null = null;
function pairs(): Uint16Array {
  if (!PAIRS) {
    PAIRS = new Uint16Array(4096);
    for (let i = 0; i < 4096; i++) PAIRS[i] = u16(B64[i >> 6], B64[i & 63]);
  }
  return PAIRS;
}

/**
 * Base64 in lines of 76 characters, each ended by CRLF, written straight to bytes after
 * `head` (a hot path: an S/MIME message is base64-encoded twice, each time after its MIME
 * header). Where the runtime has `Buffer` (Node), its native encoder does the work, the
 * lines are spread in place: about 40 % less CPU than the table-driven loop below, which
 * every other runtime runs.
 *
 * @example
 * new TextDecoder().decode(base64LineBytes(new Uint8Array([1, 2, 3]))); // 'AQID\r\n'
 */
export function base64LineBytes(der: Uint8Array, head: Uint8Array = EMPTY): Uint8Array {
  return nativeLineBytes ? nativeLineBytes(der, head) : jsLineBytes(der, head);
}

const EMPTY = new Uint8Array(0);

const nativeLineBytes: ((der: Uint8Array, head: Uint8Array) => Uint8Array) | null = !runtimeBuffer ? null : (der, head) => {
  const b64 = bufferView(der).toString('base64');
  const chars = b64.length;
  const lines = Math.ceil(chars / 76);
  const h = head.length;
  const out = runtimeBuffer!.allocUnsafeSlow(h + chars + lines * 2);
  out.set(head, 0);
  // The characters first at the end, then each line moved forward to its place, CRLF after it.
  let src = h + lines * 2;
  out.write(b64, src, 'latin1');
  let dst = h;
  for (let left = chars; left > 0; left -= 76) {
    const len = left < 76 ? left : 76;
    out.copyWithin(dst, src, src + len);
    dst += len;
    src += len;
    out[dst++] = 13;
    out[dst++] = 10;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
};

/** The table-driven encoder (any runtime; exported for the property test that holds it to the native one). */
export function jsLineBytes(der: Uint8Array, head: Uint8Array = EMPTY): Uint8Array {
  const n = der.length;
  const full = n - (n % 3);
  const chars = Math.ceil(n / 3) * 4;
  const lines = Math.ceil(chars / 76);
  // The head padded to an even length, so that the 16-bit view writes pairs at even offsets
  // (lines are 78 bytes); the head is then moved up against the lines.
  const pad = head.length & 1;
  const start = head.length + pad;
  const out = new Uint8Array(start + chars + lines * 2 + 2);
  out.set(head, pad);
  const out16 = new Uint16Array(out.buffer, start, (out.length - start) >> 1);
  const P = pairs();
  let o16 = 0;
  let i = 0;
  // whole lines: 57 input bytes → 76 characters + CRLF = 39 sixteen-bit units
  const CRLF = u16(13, 10);
  while (i + 57 <= full) {
    for (const end = i + 57; i < end; i += 3) {
      const v = (der[i] << 16) | (der[i + 1] << 8) | der[i + 2];
      out16[o16++] = P[v >> 12];
      out16[o16++] = P[v & 4095];
    }
    out16[o16++] = CRLF;
  }
  let o = start + o16 * 2;
  for (; i < full; i += 3) {
    const v = (der[i] << 16) | (der[i + 1] << 8) | der[i + 2];
    out[o++] = B64[v >> 18];
    out[o++] = B64[(v >> 12) & 63];
    out[o++] = B64[(v >> 6) & 63];
    out[o++] = B64[v & 63];
  }
  const rest = n - full;
  if (rest > 0) {
    const a = der[full];
    const b = rest === 2 ? der[full + 1] : 0;
    out[o++] = B64[a >> 2];
    out[o++] = B64[((a & 3) << 4) | (b >> 4)];
    out[o++] = rest === 2 ? B64[(b & 15) << 2] : 61;
    out[o++] = 61;
  }
  if (n % 57 !== 0 || n === 0) {
    if (n !== 0) {
      out[o++] = 13;
      out[o++] = 10;
    }
  }
  return out.subarray(pad, o);
}
