/**
 * Base64 MIME bodies decoded from bytes (adapters/mssante/smime/base64-body.ts): the same
 * result, and the same refusals, as `atob` over the text stripped of non-alphabet characters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Body } from '../../lib/base64.js';

function reference(body: Uint8Array): Uint8Array | 'error' {
  try {
    const bin = atob(new TextDecoder('latin1').decode(body).replace(/[^A-Za-z0-9+/=]/g, ''));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return 'error';
  }
}

function ours(body: Uint8Array): Uint8Array | 'error' {
  try {
    return new Uint8Array(decodeBase64Body(body));
  } catch {
    return 'error';
  }
}

describe('decodeBase64Body', () => {
  it('decodes MIME lines with CRLF', () => {
    expect(Array.from(decodeBase64Body(new TextEncoder().encode('AQID\r\nBA==\r\n')))).toEqual([1, 2, 3, 4]);
  });

  it('round-trips any bytes encoded in 76-column lines', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        const b64 = btoa(String.fromCharCode(...data)).replace(/.{76}/g, '$&\r\n');
        expect(Array.from(decodeBase64Body(new TextEncoder().encode(b64)))).toEqual(Array.from(data));
      }),
    );
  });

  it('agrees with atob on arbitrary text (accepted or refused)', () => {
    const ch = fc.constantFrom(...'AQIDBAzZ09+/=\r\n -.*'.split(''));
    fc.assert(
      fc.property(fc.array(ch, { maxLength: 40 }), (chars) => {
        const body = new TextEncoder().encode(chars.join(''));
        expect(ours(body)).toEqual(reference(body));
      }),
      { numRuns: 5000 },
    );
  });
});
