/**
 * Base64 decoding of a MIME body straight from its bytes (an inbound S/MIME message is
 * base64 twice: decoding through `TextDecoder` + a RegExp + `atob` cost twice the CMS work
 * itself). Same result as `atob(text.replace(/[^A-Za-z0-9+/=]/g, ''))`: characters outside
 * the alphabet (line breaks, spaces) are skipped, padding is optional, and what `atob`
 * refuses (data after padding, a lone final character) throws. No `node:` imports.
 */

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
