/**
 * cyrb53: a fast 53-bit string hash (not cryptographic). Used to notice unchanged lines on
 * re-import and to derive stable alias suffixes.
 *
 * @example
 * hash53('PER|jean.dupont@medecin.mssante.fr|…'); // 7289347982347 (a safe integer)
 */
export function hash53(str: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  return finish(h1, h2);
}

/**
 * `hash53(str)` and `hash53(str, seed)` in one pass (a key's two hashes, `keyHashes`), written
 * to `out`: the four multiplications of a character run side by side instead of in two loops.
 *
 * @example
 * const out = new Float64Array(2);
 * hash53Pair('a@b.fr', 7, out);
 * out[0] === hash53('a@b.fr') && out[1] === hash53('a@b.fr', 7); // true
 */
export function hash53Pair(str: string, seed: number, out: Float64Array): void {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  let g1 = 0xdeadbeef ^ seed;
  let g2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
    g1 = Math.imul(g1 ^ ch, 2654435761);
    g2 = Math.imul(g2 ^ ch, 1597334677);
  }
  out[0] = finish(h1, h2);
  out[1] = finish(g1, g2);
}

/** cyrb53's last step. */
function finish(h1: number, h2: number): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * `hash53` of the text that the UTF-8 bytes `bytes[start, end)` hold, without making it a
 * string: the bytes are decoded on the way (strictly, as `TextDecoder` with `fatal`, the
 * characters above U+FFFF as their two UTF-16 units), so the number is `hash53` of the
 * decoded string. -1 when the bytes are not valid UTF-8 (the caller decodes them, and fails).
 *
 * @example
 * const b = new TextEncoder().encode('PER|zoé@b.fr|');
 * hash53Utf8(b, 0, b.length) === hash53('PER|zoé@b.fr|'); // true
 */
export function hash53Utf8(bytes: Uint8Array, start: number, end: number, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = start; i < end; ) {
    const b0 = bytes[i]!;
    let cp: number;
    if (b0 < 0x80) {
      cp = b0;
      i++;
    } else {
      // The WHATWG UTF-8 decoder's ranges: no overlong form, no surrogate, nothing above U+10FFFF.
      let need: number;
      let lo = 0x80;
      let hi = 0xbf;
      if (b0 >= 0xc2 && b0 <= 0xdf) {
        need = 1;
        cp = b0 & 0x1f;
      } else if (b0 >= 0xe0 && b0 <= 0xef) {
        need = 2;
        cp = b0 & 0x0f;
        if (b0 === 0xe0) lo = 0xa0;
        else if (b0 === 0xed) hi = 0x9f;
      } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        need = 3;
        cp = b0 & 0x07;
        if (b0 === 0xf0) lo = 0x90;
        else if (b0 === 0xf4) hi = 0x8f;
      } else return -1;
      if (i + need >= end) return -1; // cut short
      for (let k = 1; k <= need; k++) {
        const c = bytes[i + k]!;
        if (c < lo || c > hi) return -1;
        lo = 0x80;
        hi = 0xbf;
        cp = (cp << 6) | (c & 0x3f);
      }
      i += need + 1;
      if (cp >= 0x10000) {
        const u = cp - 0x10000;
        const high = 0xd800 + (u >> 10);
        h1 = Math.imul(h1 ^ high, 2654435761);
        h2 = Math.imul(h2 ^ high, 1597334677);
        cp = 0xdc00 + (u & 0x3ff);
      }
    }
    h1 = Math.imul(h1 ^ cp, 2654435761);
    h2 = Math.imul(h2 ^ cp, 1597334677);
  }
  return finish(h1, h2);
}

/**
 * `hash53` of the ASCII text in `bytes[start, end)` lower-cased, with seed 0 and with `seed`
 * (a key's two hashes, `keyHashes`), in one pass and without making it a string: written to
 * `out`. False when a byte is not ASCII (the caller decodes the text and lower-cases the
 * string).
 *
 * @example
 * const out = new Float64Array(2);
 * hash53PairAsciiLower(new TextEncoder().encode('A@B.FR'), 0, 6, 7, out); // true
 * out[0] === hash53('a@b.fr') && out[1] === hash53('a@b.fr', 7); // true
 */
export function hash53PairAsciiLower(bytes: Uint8Array, start: number, end: number, seed: number, out: Float64Array): boolean {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  let g1 = 0xdeadbeef ^ seed;
  let g2 = 0x41c6ce57 ^ seed;
  for (let i = start; i < end; i++) {
    let ch = bytes[i]!;
    if (ch >= 0x80) return false;
    if (ch >= 65 && ch <= 90) ch += 32;
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
    g1 = Math.imul(g1 ^ ch, 2654435761);
    g2 = Math.imul(g2 ^ ch, 1597334677);
  }
  out[0] = finish(h1, h2);
  out[1] = finish(g1, g2);
  return true;
}
