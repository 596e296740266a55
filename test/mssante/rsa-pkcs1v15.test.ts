/**
 * RSAES-PKCS1-v1_5 key transport: OpenSSL's raw private operation (`RSA_NO_PADDING`) and the
 * branch-free unpadding with implicit rejection. Blocks are made by OpenSSL through node:crypto
 * (`publicEncrypt` with PKCS#1 padding for good ones, `RSA_NO_PADDING` for hand-built bad ones).
 */
import { constants, createPrivateKey, generateKeyPairSync, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { opensslRsaPrivate } from '../../adapters/mssante/smime/rsa-openssl.js';
import {
  implicitRejectionKey, rsaPkcs1v15DecryptImplicit, syntheticKey, unpadImplicit, type ImplicitRejectionKey, type RsaPrivateOperation,
} from '../../adapters/mssante/smime/rsa-pkcs1v15.js';

interface Key {
  pub: KeyObject;
  pkcs8: Uint8Array;
  rsa: RsaPrivateOperation;
  ir: ImplicitRejectionKey;
}

async function rsaKey(bits: number): Promise<Key> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
  return { pub: publicKey, pkcs8, rsa: opensslRsaPrivate(pkcs8), ir: await implicitRejectionKey(pkcs8) };
}

/** A well-formed EM for `m` in a `k`-byte block: 00 02 PS(non-zero) 00 M. */
function encode(k: number, m: Uint8Array): Uint8Array {
  const em = new Uint8Array(k);
  em[1] = 2;
  const ps = k - 3 - m.length;
  for (let i = 0; i < ps; i++) em[2 + i] = 1 + (randomBytes(1)[0] % 255);
  em.set(m, k - m.length);
  return em;
}

/** RSA encryption of a hand-built EM (no padding added). */
const encryptRaw = (key: Key, em: Uint8Array) => new Uint8Array(publicEncrypt({ key: key.pub, padding: constants.RSA_NO_PADDING }, em));

let a: Key;
let b: Key;
beforeAll(async () => {
  [a, b] = [await rsaKey(2048), await rsaKey(2048)];
});

describe('OpenSSL raw RSA operation', () => {
  it('is c^d mod n on k bytes, leading zeros kept', () => {
    expect(a.rsa.k).toBe(256);
    const em = encode(256, new Uint8Array(32).fill(7));
    expect(a.rsa.raw(encryptRaw(a, em))).toEqual(em);
  });
  it('takes the key as PKCS#8 DER and refuses a non-RSA key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'der', type: 'pkcs8' });
    expect(() => opensslRsaPrivate(new Uint8Array(ec))).toThrow(/not an RSA private key/);
    expect(createPrivateKey({ key: Buffer.from(a.pkcs8), format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe('rsa');
  });
});

describe('RSAES-PKCS1-v1_5 with implicit rejection', () => {
  it('recovers every content key length a CMS content cipher uses (blocks from OpenSSL\'s PKCS#1 padding)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(16, 24, 32), fc.uint8Array({ minLength: 32, maxLength: 32 }), async (len, bytes) => {
        const cek = bytes.subarray(0, len);
        const c = new Uint8Array(publicEncrypt({ key: a.pub, padding: constants.RSA_PKCS1_PADDING }, cek));
        expect(await rsaPkcs1v15DecryptImplicit(a.rsa, a.ir, c, len)).toEqual(cek);
      }),
      { numRuns: 40 },
    );
  });

  const bad: [string, (k: number) => Uint8Array][] = [
    ['first byte not 0x00', (k) => Object.assign(encode(k, new Uint8Array(32).fill(9)), { 0: 1 })],
    ['block type 1 (a signature block)', (k) => Object.assign(encode(k, new Uint8Array(32).fill(9)), { 1: 1 })],
    ['block type 0', (k) => Object.assign(encode(k, new Uint8Array(32).fill(9)), { 1: 0 })],
    ['a zero inside the padding string', (k) => Object.assign(encode(k, new Uint8Array(32).fill(9)), { 100: 0 })],
    ['a zero in the first byte of the padding string', (k) => Object.assign(encode(k, new Uint8Array(32).fill(9)), { 2: 0 })],
    ['no separator', (k) => Object.assign(encode(k, new Uint8Array(32).fill(9)), { [k - 33]: 5 })],
    ['a 16-byte message where 32 are expected', (k) => encode(k, new Uint8Array(16).fill(9))],
    ['a 48-byte message where 32 are expected', (k) => encode(k, new Uint8Array(48).fill(9))],
    ['all zeros', (k) => new Uint8Array(k)],
  ];
  it.each(bad)('a block with %s yields the synthetic key, deterministically', async (_name, make) => {
    const c = encryptRaw(a, make(256));
    const expected = await syntheticKey(a.ir.kdk, c, 32);
    const got = await rsaPkcs1v15DecryptImplicit(a.rsa, a.ir, c, 32);
    expect(got).toEqual(expected);
    expect(await rsaPkcs1v15DecryptImplicit(a.rsa, a.ir, c, 32)).toEqual(got);
    expect(got).not.toEqual(new Uint8Array(32).fill(9));
  });

  it('a block that cannot be an RSA ciphertext (wrong length, ≥ n) yields a synthetic key and does not throw', async () => {
    for (const c of [new Uint8Array(255).fill(1), new Uint8Array(257).fill(1), new Uint8Array(256).fill(0xff), new Uint8Array(0)]) {
      expect(await rsaPkcs1v15DecryptImplicit(a.rsa, a.ir, c, 32)).toEqual(await syntheticKey(a.ir.kdk, c, 32));
    }
  });

  it('the synthetic key depends on the ciphertext and on the private key', async () => {
    const c1 = encryptRaw(a, new Uint8Array(256));
    const c2 = encryptRaw(a, Object.assign(new Uint8Array(256), { 255: 1 }));
    const k1 = await rsaPkcs1v15DecryptImplicit(a.rsa, a.ir, c1, 32);
    expect(await rsaPkcs1v15DecryptImplicit(a.rsa, a.ir, c2, 32)).not.toEqual(k1);
    expect(await syntheticKey(b.ir.kdk, c1, 32)).not.toEqual(k1);
    // the same key loaded again derives the same synthetic keys
    expect(await rsaPkcs1v15DecryptImplicit(a.rsa, await implicitRejectionKey(a.pkcs8), c1, 32)).toEqual(k1);
    // lengths beyond one HMAC block are filled too
    expect((await syntheticKey(a.ir.kdk, c1, 70)).subarray(32).some((v) => v !== 0)).toBe(true);
  });

  it('unpadImplicit decides on every byte: any single-byte change of the header, padding or separator flips the verdict', () => {
    const k = 64;
    const m = new Uint8Array(16).fill(0xaa);
    const synth = new Uint8Array(16).fill(0x55);
    const em = encode(k, m);
    expect(unpadImplicit(em, synth, 1)).toEqual(m);
    expect(unpadImplicit(em, synth, 0)).toEqual(synth);
    for (let i = 0; i < k - m.length; i++) {
      const broken = em.slice();
      broken[i] = i === 1 ? 0x01 : i === 0 || i === k - m.length - 1 ? 0x07 : 0x00;
      expect(unpadImplicit(broken, synth, 1), `byte ${i}`).toEqual(synth);
    }
    // the message bytes themselves may be anything
    const anyM = em.slice();
    anyM.fill(0, k - m.length);
    expect(unpadImplicit(anyM, synth, 1)).toEqual(new Uint8Array(16));
    // fewer than 8 bytes of padding string: refused on the public lengths
    expect(unpadImplicit(encode(20, new Uint8Array(10).fill(1)), new Uint8Array(10), 1)).toEqual(new Uint8Array(10));
  });

  it('unpadImplicit has no conditional, early exit or content-dependent index in its source', () => {
    const body = unpadImplicit.toString();
    const code = body.slice(body.indexOf('{')).replace(/\/\/[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
    expect(code).not.toMatch(/\bif\s*\(|\?|&&|\|\||\bbreak\b|\bcontinue\b|\bswitch\b|\bwhile\b/);
    expect(code.match(/\breturn\b/g)).toHaveLength(1);
  });
});
