import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inflateRawSync, inflateSync } from 'node:zlib';
import { jsDeflateRaw, zlibStream } from '../../lib/deflate.js';
import { zlibDeflateRaw } from '../../app/node/native-deflate.js';

describe('deflate (injected compressor)', () => {
  it('pure-JS and native raw DEFLATE both inflate back, at every level used', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4000 }), fc.constantFrom(1, 6), (b, level) => {
      expect(new Uint8Array(inflateRawSync(jsDeflateRaw(b, level)))).toEqual(b);
      expect(new Uint8Array(inflateRawSync(zlibDeflateRaw(b, level)))).toEqual(b);
    }), { numRuns: 200 });
  });

  it('zlibStream is a valid RFC 1950 stream (zlib checks its Adler-32), across the 5,552-byte reduction runs', () => {
    for (const n of [0, 1, 5551, 5552, 5553, 70000]) {
      const b = new Uint8Array(n).map((_, i) => (i * 131 + (i >> 7)) & 255);
      expect(new Uint8Array(inflateSync(zlibStream(b, jsDeflateRaw, 6)))).toEqual(b);
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => {
      expect(new Uint8Array(inflateSync(zlibStream(b, zlibDeflateRaw, 6)))).toEqual(b);
    }), { numRuns: 200 });
  });
});
