import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { quotedPrintable } from '../../lib/mime/mime-writer.js';

/** The byte-by-byte encoder, as written before lines without anything to encode were copied whole. */
function byteByByte(text: string): string {
  const out: string[] = [];
  for (const line of text.replace(/\r?\n/g, '\n').split('\n')) {
    let cur = '';
    const bytes = new TextEncoder().encode(line);
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      const piece = (c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && i !== bytes.length - 1) ? String.fromCharCode(c) : '=' + c.toString(16).toUpperCase().padStart(2, '0');
      if (cur.length + piece.length > 75) { out.push(cur + '='); cur = ''; }
      cur += piece;
    }
    out.push(cur);
  }
  return out.join('\r\n') + '\r\n';
}

describe('quoted-printable', () => {
  it('copies plain lines whole and writes exactly what the byte-by-byte encoder writes', () => {
    const char = fc.constantFrom('a', 'Z', ' ', '\t', '=', 'é', '€', '\n', '\r\n', '~', '.', '0');
    const text = fc.array(char, { maxLength: 200 }).map((a) => a.join(''));
    fc.assert(fc.property(text, (t) => { expect(quotedPrintable(t)).toBe(byteByByte(t)); }), { numRuns: 1000 });
    for (const n of [74, 75, 76, 77]) {
      const line = 'x'.repeat(n);
      expect(quotedPrintable(line)).toBe(byteByByte(line));
      expect(quotedPrintable(`${line} `)).toBe(byteByByte(`${line} `));
    }
    expect(quotedPrintable('Résultat = 5 \nfin')).toBe('R=C3=A9sultat =3D 5=20\r\nfin\r\n');
  });
});
