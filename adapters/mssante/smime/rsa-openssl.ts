/**
 * The RSA private-key operation for RSAES-PKCS1-v1_5 key transport, by OpenSSL: `privateDecrypt`
 * with `RSA_NO_PADDING` (OpenSSL blinds the operation and runs it in constant time), the
 * padding then checked by `rsa-pkcs1v15.ts` with implicit rejection. `RSA_PKCS1_PADDING` is
 * not used: Node 20 refuses it for private decryption (CVE-2023-46809), and its padding
 * check is the one the Marvin attack times. Node edge.
 *
 * @example
 * const dec = await SmimeDecryptor.create({ certificate, pkcs8, rsaPrivate: opensslRsaPrivate(pkcs8) });
 */
import { constants, createPrivateKey, privateDecrypt } from 'node:crypto';
import type { RsaPrivateOperation } from './rsa-pkcs1v15.js';

/** The raw RSA operation of a PKCS#8 (DER) RSA private key; the key is imported once. */
export function opensslRsaPrivate(pkcs8: Uint8Array): RsaPrivateOperation {
  const key = createPrivateKey({ key: Buffer.from(pkcs8.buffer, pkcs8.byteOffset, pkcs8.byteLength), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`not an RSA private key (${key.asymmetricKeyType ?? 'unknown'})`);
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (!bits) throw new Error('RSA key without a modulus length');
  const k = Math.ceil(bits / 8);
  return {
    k,
    raw(c: Uint8Array): Uint8Array {
      if (c.length !== k) throw new Error('block length differs from the modulus length');
      const m = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, c);
      return new Uint8Array(m.buffer, m.byteOffset, m.byteLength);
    },
  };
}
