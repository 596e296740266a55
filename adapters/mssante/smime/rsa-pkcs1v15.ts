/**
 * RSAES-PKCS1-v1_5 decryption of a CMS key-transport block, with implicit rejection.
 * WebCrypto has no RSAES-PKCS1-v1_5 and Node 20 refuses it in `privateDecrypt`
 * (CVE-2023-46809, the "Marvin" timing attack). Ordinary mail clients still encrypt the
 * content key this way, so the gateway accepts it, safely:
 *
 * - The private-key operation is done here with BigInt (CRT), and the padding check never
 *   throws and never returns early: it always yields a key of the expected length. When the
 *   padding is wrong (or the length is not the one the content cipher needs) the key is a
 *   synthetic one, derived from the private key and the ciphertext with HMAC-SHA-256 (as in
 *   draft-irtf-cfrg-rsa-guidance, "implicit rejection"), so a forged block yields the same
 *   later failure (content that does not decrypt) as a well-formed block for the wrong key.
 * - The SMTP reply never depends on decryption (it happens after acceptance), and all
 *   decryption failures share one outcome (`DECRYPT_FAILED`), so no padding oracle exists.
 *
 * No `node:` imports.
 */
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../tls/pem.js';

export interface RsaPrivateKeyParts {
  n: bigint;
  d: bigint;
  p: bigint;
  q: bigint;
  dp: bigint;
  dq: bigint;
  qinv: bigint;
  /** Modulus length in bytes. */
  k: number;
  /** HMAC key for implicit rejection (SHA-256 of the private exponent). */
  kdk: CryptoKey;
}

function bigOf(bytes: Uint8Array): bigint {
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}

function bytesOf(x: bigint, len: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

/**
 * Reads the RSA private key parts from PKCS#8 DER.
 *
 * @example
 * const parts = await rsaKeyParts(identity.pkcs8);
 */
export async function rsaKeyParts(pkcs8: Uint8Array): Promise<RsaPrivateKeyParts> {
  const info = pkijs.PrivateKeyInfo.fromBER(toArrayBuffer(pkcs8));
  const key = info.parsedKey;
  if (!(key instanceof pkijs.RSAPrivateKey)) throw new Error('not an RSA private key');
  const int = (i: { valueBlock: { valueHexView: Uint8Array } }) => bigOf(i.valueBlock.valueHexView);
  const n = int(key.modulus);
  const d = int(key.privateExponent);
  const k = Math.ceil(n.toString(16).length / 2);
  const dBytes = bytesOf(d, k);
  const kdkRaw = new Uint8Array(await crypto.subtle.digest('SHA-256', dBytes));
  const kdk = await crypto.subtle.importKey('raw', kdkRaw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return { n, d, p: int(key.prime1), q: int(key.prime2), dp: int(key.exponent1), dq: int(key.exponent2), qinv: int(key.coefficient), k, kdk };
}

/**
 * Decrypts an RSAES-PKCS1-v1_5 block expecting a message of exactly `expectedLength` bytes.
 * Always returns `expectedLength` bytes: the message when the block is well-formed, else a
 * synthetic key (see above). Never throws for bad padding.
 *
 * @example
 * const cek = await rsaPkcs1v15DecryptImplicit(parts, encryptedKey, 32);
 */
export async function rsaPkcs1v15DecryptImplicit(key: RsaPrivateKeyParts, ciphertext: Uint8Array, expectedLength: number): Promise<Uint8Array> {
  // Synthetic key first, unconditionally.
  const synth = new Uint8Array(await crypto.subtle.sign('HMAC', key.kdk, toArrayBuffer(ciphertext))).subarray(0, expectedLength);
  let padded = new Uint8Array(key.k);
  let good = ciphertext.length === key.k ? 1 : 0;
  const c = bigOf(ciphertext);
  if (c >= key.n) good = 0;
  // RSA with CRT (on a reduced c when out of range, so that the work is the same)
  const cc = c % key.n;
  const m1 = modPow(cc % key.p, key.dp, key.p);
  const m2 = modPow(cc % key.q, key.dq, key.q);
  let h = ((m1 - m2) * key.qinv) % key.p;
  if (h < 0n) h += key.p;
  padded = bytesOf(m2 + h * key.q, key.k);

  // EM = 0x00 || 0x02 || PS (>= 8 non-zero bytes) || 0x00 || M, with |M| == expectedLength
  good &= (padded[0] === 0 ? 1 : 0) & (padded[1] === 2 ? 1 : 0);
  const sep = key.k - expectedLength - 1;
  let psNonZero = 1;
  for (let i = 2; i < key.k; i++) {
    const inPs = i < sep ? 1 : 0;
    psNonZero &= inPs ? (padded[i] !== 0 ? 1 : 0) : 1;
  }
  good &= psNonZero & (sep >= 10 ? 1 : 0) & (padded[sep] === 0 ? 1 : 0);
  const mask = -good & 0xff;
  const out = new Uint8Array(expectedLength);
  const start = key.k - expectedLength;
  for (let i = 0; i < expectedLength; i++) out[i] = (padded[start + i] & mask) | (synth[i] & ~mask & 0xff);
  return out;
}
