/**
 * Inbound S/MIME signatures checked by OpenSSL through `node:crypto`, synchronously: the
 * content's digest and the RSA public operation (`SignatureEngine`,
 * `adapters/mssante/smime/verify.ts`). WebCrypto dispatches each to libuv's pool as a job,
 * which costs the event loop more than the work does on a message's size.
 */
import { constants, verify } from 'node:crypto';
import { keyObject } from './key-object.js';
import { nodeDigest } from './native-hash.js';
import type { SignatureEngine } from '../../adapters/mssante/smime/verify.js';

/** WebCrypto's digest names → OpenSSL's. */
const HASHES: Readonly<Record<string, string>> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

function hashName(webCryptoName: string): string {
  const h = HASHES[webCryptoName];
  if (!h) throw new Error(`unsupported digest algorithm ${webCryptoName}`);
  return h;
}

export const nodeSignatures: SignatureEngine = {
  digest: (algorithm, data) => nodeDigest(hashName(algorithm), data),
  verify(params, key, signature, data) {
    const pss = params.name === 'RSA-PSS';
    return verify(hashName(params.hash), data, {
      key: keyObject(key),
      padding: pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
      ...(pss ? { saltLength: params.saltLength } : {}),
    }, signature);
  },
};
