import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64LineBytes, jsLineBytes } from '../../lib/base64.js';

/** MIME base64 as a reference: Node's encoder, cut in lines of 76, each ended by CRLF. */
const reference = (head: Uint8Array, der: Uint8Array) =>
  Buffer.concat([head, Buffer.from((Buffer.from(der).toString('base64').match(/.{1,76}/g) ?? []).map((l) => `${l}\r\n`).join(''), 'latin1')]);

describe('base64 lines straight to bytes (outbound S/MIME)', () => {
  it('the native and the table-driven encoders write the same bytes, after any head, at every length around a line', () => {
    const lengths = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constantFrom(56, 57, 58, 113, 114, 115, 5700, 5701));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 9 }), lengths, fc.integer(), (head, n, seed) => {
      const der = new Uint8Array(n).map((_, i) => (i * 131 + seed) & 255);
      const want = new Uint8Array(reference(head, der));
      expect(base64LineBytes(der, head)).toEqual(want);
      expect(jsLineBytes(der, head)).toEqual(want);
    }), { numRuns: 400 });
    expect(new TextDecoder().decode(base64LineBytes(new Uint8Array([1, 2, 3])))).toBe('AQID\r\n');
    expect(base64LineBytes(new Uint8Array(0))).toEqual(new Uint8Array(0));
  });
});
