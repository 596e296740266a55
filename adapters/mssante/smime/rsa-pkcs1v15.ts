/**
 * RSAES-PKCS1-v1_5 decryption of a CMS key-transport block, with implicit rejection.
 * WebCrypto has no RSAES-PKCS1-v1_5 and Node 20 refuses `RSA_PKCS1_PADDING` in
 * `privateDecrypt` (CVE-2023-46809, the "Marvin" timing attack). Ordinary mail clients still
 * encrypt the content key this way, so the gateway accepts it, safely:
 *
 * - The private-key operation is OpenSSL's, given as an `RsaPrivateOperation` (Node:
 *   `opensslRsaPrivate` in `rsa-openssl.ts`, `privateDecrypt` with `RSA_NO_PADDING`):
 *   blinded and constant-time. This file holds no RSA arithmetic.
 * - The padding is checked here without a branch or an index that depends on the decrypted
 *   bytes: every byte of the block is read, the verdict is accumulated as a 0/1 integer with
 *   bit operations, and the result is a constant-time selection over the whole key between
 *   the message and a synthetic key. The function never throws for bad padding and always
 *   yields `expectedLength` bytes.
 * - The synthetic key is derived from the private key and the ciphertext with HMAC-SHA-256
 *   (draft-irtf-cfrg-rsa-guidance "implicit rejection": KDK = SHA-256 of the private
 *   exponent) and always computed, so a forged block yields the same later failure (content
 *   that does not decrypt: CBC padding or the GCM tag) as a well-formed block for the wrong
 *   key, and the same for the same ciphertext every time.
 * - The SMTP reply never depends on decryption (it happens after acceptance), and all
 *   decryption failures share one outcome (`DECRYPT_FAILED`), so no padding oracle exists.
 *
 * No `node:` imports.
 */
import { DerReader, TagClass, UniversalTag } from '../../../lib/der/index.js';
import { OID } from './oids.js';

/** The RSA private-key operation `m = c^d mod n` on a `k`-byte block, without padding. */
export interface RsaPrivateOperation {
  /** Modulus length, bytes. */
  readonly k: number;
  /**
   * `c^d mod n` as exactly `k` bytes (leading zeros kept), for a `k`-byte `c < n`; may throw
   * when `c ≥ n` (a public fact: `n` is public). Must be blinded and constant-time.
   */
  raw(c: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** What implicit rejection needs besides the RSA operation: the HMAC key derived from the private key. */
export interface ImplicitRejectionKey {
  /** HMAC-SHA-256 key: SHA-256 of the private exponent as `k` big-endian bytes. */
  kdk: CryptoKey;
  /** Modulus length, bytes. */
  k: number;
}

/**
 * Derives the implicit-rejection key from the PKCS#8 RSA private key (done once per key).
 *
 * @example
 * const ir = await implicitRejectionKey(identity.pkcs8);
 */
export async function implicitRejectionKey(pkcs8: Uint8Array): Promise<ImplicitRejectionKey> {
  // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, privateKey OCTET STRING }
  const r = new DerReader(pkcs8);
  const info = r.sequence(r.root(), 'PrivateKeyInfo');
  if (r.oid(r.sequence(info[1], 'privateKeyAlgorithm')[0]) !== OID.rsaEncryption) throw new Error('not an RSA private key');
  // RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, privateExponent, … }
  const kr = new DerReader(r.octets(r.expect(info[2], TagClass.universal, UniversalTag.octetString, 'privateKey')));
  const key = kr.sequence(kr.root(), 'RSAPrivateKey');
  const integer = (i: number, what: string) => kr.content(kr.expect(key[i], TagClass.universal, UniversalTag.integer, what));
  const strip = (v: Uint8Array) => {
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++; // INTEGER sign byte: public structure, not key bits
    return v.subarray(i);
  };
  const n = strip(integer(1, 'modulus'));
  const k = n.length;
  const d = strip(integer(3, 'privateExponent'));
  const dk = new Uint8Array(k);
  dk.set(d.subarray(Math.max(0, d.length - k)), Math.max(0, k - d.length));
  const kdkRaw = new Uint8Array(await crypto.subtle.digest('SHA-256', dk));
  dk.fill(0);
  const kdk = await crypto.subtle.importKey('raw', kdkRaw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  kdkRaw.fill(0);
  return { kdk, k };
}

/**
 * The synthetic key for `ciphertext`: HMAC-SHA-256 blocks over (counter, length, ciphertext)
 * until `length` bytes. Deterministic for one key and ciphertext, unpredictable without the key.
 */
export async function syntheticKey(kdk: CryptoKey, ciphertext: Uint8Array, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  const msg = new Uint8Array(4 + ciphertext.length);
  msg.set(ciphertext, 4);
  msg[2] = (length >>> 8) & 0xff;
  msg[3] = length & 0xff;
  for (let done = 0, counter = 0; done < length; counter++) {
    msg[0] = (counter >>> 8) & 0xff;
    msg[1] = counter & 0xff;
    const block = new Uint8Array(await crypto.subtle.sign('HMAC', kdk, msg));
    out.set(block.subarray(0, Math.min(block.length, length - done)), done);
    done += block.length;
  }
  return out;
}

/** 1 when the byte `x` (0–255) is zero, else 0; no branch. */
function isZeroByte(x: number): number {
  return ((x - 1) >>> 31) & 1;
}

/** 1 when `x` (|x| < 2^31) is zero, else 0; no branch. */
function isZero(x: number): number {
  return 1 ^ ((x | -x) >>> 31);
}

/** 1 when `a < b` (both in [0, 2^30)), else 0; no branch. */
function lessThan(a: number, b: number): number {
  return ((a - b) >>> 31) & 1;
}

/**
 * Constant-time RSAES-PKCS1-v1_5 unpadding with implicit rejection, for a message of known
 * length: `EM = 0x00 ‖ 0x02 ‖ PS ‖ 0x00 ‖ M` with `PS` ≥ 8 non-zero bytes and
 * `|M| = synthetic.length`. Returns `M` when `EM` is well-formed (and `wellSized` is 1),
 * else `synthetic`, chosen byte by byte with masks. Reads every byte of `em`; no branch and
 * no memory index depends on its content.
 *
 * @example
 * const cek = unpadImplicit(em, await syntheticKey(kdk, c, 32), 1);
 */
export function unpadImplicit(em: Uint8Array, synthetic: Uint8Array, wellSized: 0 | 1): Uint8Array {
  const k = em.length;
  const mLen = synthetic.length;
  const sep = k - mLen - 1; // index of the 0x00 separator: fixed by the public lengths
  // the public lengths must leave 0x00 0x02 and 8 bytes of PS (RFC 8017 §7.2.2); not a secret
  let good = wellSized & (1 ^ lessThan(sep, 10));
  good &= isZeroByte(em[0]) & isZeroByte(em[1] ^ 0x02);
  for (let i = 2; i < k; i++) {
    // PS bytes must be non-zero, the separator zero, the message bytes anything
    const inPs = lessThan(i, sep);
    const atSep = isZero(i ^ sep);
    const zero = isZeroByte(em[i]);
    good &= (1 ^ (inPs & zero)) & (1 ^ (atSep & (zero ^ 1)));
  }
  const mask = -good & 0xff;
  const out = new Uint8Array(mLen);
  const start = k - mLen;
  for (let i = 0; i < mLen; i++) out[i] = (em[start + i] & mask) | (synthetic[i] & ~mask & 0xff);
  return out;
}

/**
 * Decrypts an RSAES-PKCS1-v1_5 block expecting a message of exactly `expectedLength` bytes.
 * Always returns `expectedLength` bytes: the message when the block is well-formed, else the
 * synthetic key. Never throws for a bad block (wrong length, `c ≥ n`, bad padding).
 *
 * @example
 * const cek = await rsaPkcs1v15DecryptImplicit(opensslRsaPrivate(pkcs8), await implicitRejectionKey(pkcs8), encryptedKey, 32);
 */
export async function rsaPkcs1v15DecryptImplicit(rsa: RsaPrivateOperation, ir: ImplicitRejectionKey, ciphertext: Uint8Array, expectedLength: number): Promise<Uint8Array> {
  if (rsa.k !== ir.k) throw new Error('RSA operation and implicit-rejection key are not of the same key');
  // Synthetic key first, unconditionally.
  const synthetic = await syntheticKey(ir.kdk, ciphertext, expectedLength);
  // A block of the wrong length or ≥ n is refused on public facts alone; the work that follows is the same.
  const sized: 0 | 1 = ciphertext.length === rsa.k ? 1 : 0;
  let em: Uint8Array;
  try {
    em = sized ? await rsa.raw(ciphertext) : new Uint8Array(rsa.k);
    if (em.length !== rsa.k) throw new Error('RSA output of the wrong length');
  } catch {
    return unpadImplicit(new Uint8Array(rsa.k), synthetic, 0);
  }
  const out = unpadImplicit(em, synthetic, sized);
  em.fill(0);
  return out;
}
