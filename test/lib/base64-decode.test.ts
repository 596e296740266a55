import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Base64Error, decodeBase64, encodeBase64, jsEncodeBase64, STANDARD_ALPHABET } from '../../lib/base64.js';
import { LNP_ALPHABET } from '../../adapters/legacy/armour.js';

/** The character-at-a-time decoder, as it was before whole quads were read four at a time. */
function oneByOne(text: string, alphabet: string): Uint8Array {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  const out: number[] = [];
  let acc = 0, bits = 0, quad = 0, pad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d) {
      pad++; quad++;
      if (pad > 2 || quad % 4 < 3 && quad % 4 !== 0) throw new Base64Error('misplaced padding', i);
      continue;
    }
    const v = c < 128 ? table[c]! : -1;
    if (v < 0) throw new Base64Error('character outside the alphabet', i);
    if (pad > 0) throw new Base64Error('data after padding', i);
    acc = ((acc << 6) | v) & 0xffffff; bits += 6; quad++;
    if (bits >= 8) { bits -= 8; out.push((acc >>> bits) & 0xff); }
  }
  if (quad % 4 !== 0) throw new Base64Error('length is not a multiple of 4', text.length);
  return new Uint8Array(out);
}

const outcome = (f: () => Uint8Array) => { try { return { bytes: Array.from(f()) }; } catch (e) { return { error: (e as Error).message, index: (e as Base64Error).index }; } };

describe('base64 decoding, four characters at a time', () => {
  it('decodes what it encoded, in both alphabets', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(STANDARD_ALPHABET, LNP_ALPHABET), (b, abc) => {
      expect(decodeBase64(encodeBase64(b, abc), abc)).toEqual(b);
    }), { numRuns: 300 });
  });

  it('answers any text, well-formed or not, exactly as the character-at-a-time decoder: the same bytes, or the same error at the same index', () => {
    const ch = fc.constantFrom('A', 'z', '0', '9', '+', '-', '/', '=', ' ', 'é', '\n', '*');
    fc.assert(fc.property(fc.array(ch, { maxLength: 40 }).map((a) => a.join('')), fc.constantFrom(STANDARD_ALPHABET, LNP_ALPHABET), (t, abc) => {
      expect(outcome(() => decodeBase64(t, abc))).toEqual(outcome(() => oneByOne(t, abc)));
    }), { numRuns: 3000 });
    const good = encodeBase64(new Uint8Array(300).map((_, i) => i), LNP_ALPHABET);
    for (const bad of [good.slice(0, 100) + '*' + good.slice(101), good.slice(0, 401) + '=' + good.slice(402), good + 'A']) {
      expect(outcome(() => decodeBase64(bad, LNP_ALPHABET))).toEqual(outcome(() => oneByOne(bad, LNP_ALPHABET)));
    }
  });
});

describe("base64 encoding by the runtime's encoder, translated to the alphabet", () => {
  it('writes the very text the portable encoder writes, in both alphabets and any length', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(STANDARD_ALPHABET, LNP_ALPHABET), (b, abc) => {
      expect(encodeBase64(b, abc)).toBe(jsEncodeBase64(b, abc));
    }), { numRuns: 500 });
    // Every value in every position of a quad, and each padding.
    const all = new Uint8Array(768).map((_, i) => (i * 97 + (i >> 8)) & 0xff);
    for (const n of [0, 1, 2, 3, 766, 767, 768]) expect(encodeBase64(all.subarray(0, n), LNP_ALPHABET)).toBe(jsEncodeBase64(all.subarray(0, n), LNP_ALPHABET));
  });
});
