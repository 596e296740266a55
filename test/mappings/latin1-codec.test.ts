import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeLatin1, encodeLatin1 } from '../../mappings/transliteration/latin1.js';

describe('ISO-8859-1 codec (the runtime\'s own where it has one)', () => {
  it('decodes every byte to the code point of the same value (0x80–0x9F included, unlike windows-1252) and encodes back', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 20000 }), (bytes) => {
      const text = decodeLatin1(bytes);
      expect(text).toBe(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
      const back = encodeLatin1(text);
      expect(back.changes).toEqual([]);
      expect(back.bytes).toEqual(bytes);
      expect(back.bytes.byteOffset).toBe(0);
      expect(back.bytes.buffer.byteLength).toBe(bytes.length);
    }), { numRuns: 300 });
    expect(decodeLatin1(new Uint8Array([0x63, 0xe9, 0x80]))).toBe('cé\u0080');
  });
});
