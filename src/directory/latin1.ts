/**
 * ISO-8859-1 for the legacy network's files (Web APIs only). Decoding is exact (each byte
 * is the code point). Encoding transliterates what ISO-8859-1 lacks (`œ`→`oe`, `€`→`EUR`,
 * `’`→`'`, …), else drops accents, else writes `?`.
 */

/** Characters outside ISO-8859-1 with their usual transliteration. Policy as data. */
export const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  'œ': 'oe', 'Œ': 'OE', '€': 'EUR', '‘': "'", '’': "'", '‚': ',', '“': '"', '”': '"', '„': '"',
  '–': '-', '—': '-', '…': '...', '•': '*', 'Ÿ': 'Y', 'š': 's', 'Š': 'S', 'ž': 'z', 'Ž': 'Z',
  '\u00a0': ' ', '\u202f': ' ', '\u2009': ' ', 'ˆ': '^', '˜': '~', '™': 'TM', '‰': 'o/oo',
};

/**
 * Decodes ISO-8859-1 bytes.
 *
 * @example
 * decodeLatin1(new Uint8Array([0x48, 0xe9])); // 'Hé'
 */
export function decodeLatin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}

/** Replaces what ISO-8859-1 cannot hold; returns a string whose code points are all ≤ 0xFF. */
export function toLatin1Text(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp <= 0xff) out += ch;
    else if (TRANSLITERATIONS[ch] !== undefined) out += TRANSLITERATIONS[ch];
    else {
      const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
      out += base.length > 0 && [...base].every((c) => c.codePointAt(0)! <= 0xff) ? base : '?';
    }
  }
  return out;
}

/**
 * Encodes text as ISO-8859-1, transliterating what it cannot hold (one pass; text that is
 * already Latin-1 is copied byte for byte).
 *
 * @example
 * encodeLatin1('Cœur'); // bytes of 'Coeur'
 */
export function encodeLatin1(text: string): Uint8Array {
  let out = new Uint8Array(text.length);
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0xff) {
      out[o++] = c;
      continue;
    }
    // Outside Latin-1: transliterate this character (a surrogate pair counts as one).
    const ch = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? text.slice(i, ++i + 1) : text[i];
    const t = toLatin1Text(ch);
    if (o + t.length > out.length - (text.length - i - 1)) {
      const bigger = new Uint8Array(out.length + t.length + 1024);
      bigger.set(out.subarray(0, o));
      out = bigger;
    }
    for (let k = 0; k < t.length; k++) out[o++] = t.charCodeAt(k);
  }
  return out.subarray(0, o);
}
