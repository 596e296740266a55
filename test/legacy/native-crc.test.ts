/**
 * The pipeline threads check and write the LNP/1 armour's CRC-32 with zlib's
 * (`app/node/native-deflate.ts`) instead of the JavaScript one (`lib/crc32.ts`): the same
 * number for any bytes, the same armour text, and a wrong CRC line still refused.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32 } from '../../lib/crc32.js';
import { armour, dearmour } from '../../adapters/legacy/armour.js';
import { LegacyError } from '../../adapters/legacy/legacy-error.js';
import { zlibCrc32 } from '../../app/node/native-deflate.js';

describe("zlib's CRC-32 for the LNP/1 armour", () => {
  it('is there on this runtime (Node 20.15 and later)', () => {
    expect(zlibCrc32).toBeTypeOf('function');
  });

  it('gives the JavaScript CRC-32 for any bytes, and the same armour both ways', () => {
    const native = zlibCrc32!;
    expect(native(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
      expect(native(bytes)).toBe(crc32(bytes));
      const text = armour(bytes, native);
      expect(text).toBe(armour(bytes));
      expect(dearmour(text, native)).toEqual(bytes);
    }), { numRuns: 200 });
  });

  it('refuses an armour whose CRC line does not match, as the JavaScript one does', () => {
    const text = armour(new TextEncoder().encode('Résultat: K+ 6,8 mmol/L'));
    const lines = text.split('\r\n');
    lines[lines.length - 2] = lines[lines.length - 2] === '00000000' ? '00000001' : '00000000';
    const err = (() => {
      try {
        dearmour(lines.join('\r\n'), zlibCrc32);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(LegacyError);
    expect((err as LegacyError).code).toBe('CRC_MISMATCH');
  });
});
