/**
 * The pipeline threads seal and open LNP/1 payloads with OpenSSL's synchronous AES-256-GCM
 * (`app/node/native-cipher.ts`) instead of WebCrypto's: the same bytes either way, each opens
 * what the other sealed, and an altered payload fails as `AUTH_FAILED` with both.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyStore } from '../../adapters/legacy/key-store.js';
import { makeKeyFile } from '../../adapters/legacy/key-file.js';
import { openPayload, sealPayload, webCryptoAesGcmDecrypt, webCryptoAesGcmEncrypt } from '../../adapters/legacy/seal.js';
import { LegacyError } from '../../adapters/legacy/legacy-error.js';
import { nodeAesGcmDecrypt, nodeAesGcmEncrypt } from '../../app/node/native-cipher.js';

const YEAR = 2026;
const now = new Date(Date.UTC(YEAR, 5, 1));
const secret = (b: number) => new Uint8Array(32).fill(b);
const keys = new KeyStore([makeKeyFile('Master', YEAR, 1, secret(7)), makeKeyFile('passerelle', YEAR, 1, secret(9))]);

describe('AES-256-GCM by OpenSSL (pipeline threads) and by WebCrypto', () => {
  it('seal the same bytes with the same IV, and each opens what the other sealed', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), fc.uint8Array({ minLength: 12, maxLength: 12 }), async (plain, iv) => {
      const web = await sealPayload(keys, 'passerelle', YEAR, plain, iv, webCryptoAesGcmEncrypt);
      const native = await sealPayload(keys, 'passerelle', YEAR, plain, iv, nodeAesGcmEncrypt);
      expect(native).toEqual(web);
      expect((await openPayload(keys, web, { now, decrypt: nodeAesGcmDecrypt })).plaintext).toEqual(plain);
      expect((await openPayload(keys, native, { now, decrypt: webCryptoAesGcmDecrypt })).plaintext).toEqual(plain);
    }), { numRuns: 50 });
  });

  it('an altered IV, ciphertext or tag fails as AUTH_FAILED with both', async () => {
    const sealed = await sealPayload(keys, 'passerelle', YEAR, new TextEncoder().encode('Résultat: K+ 6,8 mmol/L'), undefined, nodeAesGcmEncrypt);
    // The header is 4 + 10 bytes ('passerelle'), the IV the next 12, the tag the last 16.
    for (const at of [15, 25, 30, sealed.length - 17, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[at] = bad[at]! ^ 0x01;
      for (const decrypt of [nodeAesGcmDecrypt, webCryptoAesGcmDecrypt]) {
        const err = await openPayload(keys, bad, { now, decrypt }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(LegacyError);
        expect((err as LegacyError).code).toBe('AUTH_FAILED');
      }
    }
    // Shorter than a tag: refused before any decryption.
    const key = await keys.sealKey('passerelle', YEAR);
    expect(() => nodeAesGcmDecrypt(key, new Uint8Array(12), new Uint8Array(0), new Uint8Array(8))).toThrow(/shorter than its tag/);
  });
});
