/**
 * Base64 (RFC 4648 §4, `=` padding) over Uint8Array with a choice of alphabet, for Web-API-only
 * code (no Buffer). The LNP/1 armour uses its own alphabet ({@link LNP_ALPHABET}).
 */

/** The standard alphabet `A–Z a–z 0–9 + /`. */
export const STANDARD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** The LNP/1 armour alphabet `0–9 A–Z a–z + -` (SPEC §4). */
export const LNP_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+-';

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
  for (let i = 0; i < text.length; i++) {
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
