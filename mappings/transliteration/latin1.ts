/**
 * ISO-8859-1 encoding with transliteration (SPEC §4). Characters ISO-8859-1 lacks are
 * replaced per {@link LATIN1_TRANSLITERATION}, else by their base letter when they are an
 * accented letter, else by `?`; every replacement is recorded as a `TextChange`.
 *
 * Decoding is byte → U+0000..U+00FF (not the WHATWG `latin1` label, which is windows-1252).
 */
import type { TextChange } from '../../core/model/message.js';
import { LATIN1_TRANSLITERATION } from './latin1-table.js';
import { bufferView, runtimeBuffer } from '../../lib/runtime-buffer.js';

// eslint-disable-next-line no-control-regex
const ALL_LATIN1 = /^[\u0000-\u00ff]*$/;
const COMBINING = /\p{M}/gu;

/**
 * @example
 * encodeLatin1('Cœur à 5 €'); // bytes of 'Coeur à 5 EUR', changes [{from:'œ',to:'oe',count:1},{from:'€',to:'EUR',count:1}]
 */
export function encodeLatin1(text: string): { bytes: Uint8Array; changes: TextChange[] } {
  let s = text;
  if (!ALL_LATIN1.test(s)) s = s.normalize('NFC');
  if (ALL_LATIN1.test(s)) return { bytes: latin1Bytes(s), changes: [] };
  const changes = new Map<string, TextChange>();
  let out = '';
  for (const ch of s) {
    if (ch.charCodeAt(0) <= 0xff && ch.length === 1) {
      out += ch;
      continue;
    }
    const to = replacement(ch);
    out += to;
    const c = changes.get(ch);
    if (c) c.count++;
    else changes.set(ch, { from: ch, to, count: 1 });
  }
  return { bytes: latin1Bytes(out), changes: [...changes.values()] };
}

/**
 * The runtime's own ISO-8859-1 codec where it has one (`Buffer`'s `latin1`, which is true
 * ISO-8859-1 both ways; `lib/runtime-buffer.ts`): a tenth of the CPU of the loops below on a
 * 10 KB mail. A string given to `encode` holds only U+0000..U+00FF.
 */
const nativeLatin1: { decode(b: Uint8Array): string; encode(s: string): Uint8Array } | null = !runtimeBuffer ? null : {
  decode: (b) => bufferView(b).toString('latin1'),
  encode: (s) => {
    // Copied out: a short string's Buffer is a slice of Node's shared pool.
    const b = runtimeBuffer!.from(s, 'latin1');
    const out = new Uint8Array(b.length);
    out.set(b);
    return out;
  },
};

/**
 * @example
 * decodeLatin1(new Uint8Array([0x63, 0xe9])); // 'cé'
 */
export function decodeLatin1(bytes: Uint8Array): string {
  if (nativeLatin1) return nativeLatin1.decode(bytes);
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 8192) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]));
  }
  return parts.join('');
}

/** The ISO-8859-1 text written in place of `ch` (one code point outside ISO-8859-1). */
export function replacement(ch: string): string {
  const t = LATIN1_TRANSLITERATION[ch];
  if (t !== undefined) return t;
  const base = ch.normalize('NFD').replace(COMBINING, '');
  if (base !== '' && base !== ch && ALL_LATIN1.test(base)) return base;
  return '?';
}

/**
 * The bytes of a string whose characters are all U+0000..U+00FF (each char code's low byte
 * otherwise); what {@link encodeLatin1} writes once it has transliterated.
 */
export function latin1Bytes(s: string): Uint8Array {
  if (nativeLatin1) return nativeLatin1.encode(s);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
