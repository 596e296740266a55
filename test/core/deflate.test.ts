import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inflateRawSync, inflateSync } from 'node:zlib';
import { InflateLimitError, jsDeflateRaw, jsInflateRaw, zlibStream } from '../../lib/deflate.js';
import { zlibDeflateRaw, zlibInflateRaw } from '../../app/node/native-deflate.js';

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

  it('pure-JS and native bounded inflate agree: the bytes back, a limit error one byte short, an error on cut or bad data', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 4000 }), (b) => {
      const z = zlibDeflateRaw(b, 6);
      for (const inflate of [jsInflateRaw, zlibInflateRaw]) {
        expect(inflate(z, b.length)).toEqual(b);
        expect(inflate(z, b.length + 100)).toEqual(b);
        expect(() => inflate(z, b.length - 1)).toThrow(InflateLimitError);
        expect(() => inflate(z.subarray(0, z.length - 1), b.length)).toThrow();
      }
    }), { numRuns: 200 });
    for (const inflate of [jsInflateRaw, zlibInflateRaw]) {
      expect(inflate(zlibDeflateRaw(new Uint8Array(0), 6), 0)).toEqual(new Uint8Array(0));
      expect(() => inflate(new Uint8Array(0), 10)).toThrow();
      expect(() => inflate(new Uint8Array([0xff, 0xff, 0xff]), 10)).toThrow();
      expect(() => inflate(new Uint8Array([0xff, 0xff, 0xff]), 10)).not.toThrow(InflateLimitError);
    }
  });

  it('a bomb costs the limit, not what it would inflate to', () => {
    const bomb = zlibDeflateRaw(new Uint8Array(64 << 20), 9); // 64 MiB of zeros in ~64 KB
    for (const inflate of [jsInflateRaw, zlibInflateRaw]) expect(() => inflate(bomb, 1 << 20)).toThrow(InflateLimitError);
  });
});
