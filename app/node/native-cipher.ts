/**
 * Ciphers by OpenSSL through `node:crypto`, synchronous, where WebCrypto costs an `importKey`
 * or a job dispatch to libuv's pool per message, more than the work on these sizes:
 * AES-256-CBC (PKCS#7 padding) and the content key's RSA-OAEP for S/MIME encryption
 * (`adapters/mssante/smime/encrypt.ts`); AES-CBC with a key of any of its lengths for inbound
 * S/MIME decryption (`adapters/mssante/smime/decrypt.ts`); AES-256-GCM for LNP/1 payloads
 * opened and sealed on the pipeline threads (`adapters/legacy/seal.ts`).
 */
import { constants, createCipheriv, createDecipheriv, publicEncrypt } from 'node:crypto';
import { keyObject } from './key-object.js';
import type { AesCbcEncrypt, RsaOaepEncrypt } from '../../adapters/mssante/smime/encrypt.js';
import type { AesCbcDecrypt } from '../../adapters/mssante/smime/decrypt.js';
import type { AesGcmDecrypt, AesGcmEncrypt } from '../../adapters/legacy/seal.js';

export const nodeAesCbcEncrypt: AesCbcEncrypt = (key, iv, data) => {
  const c = createCipheriv('aes-256-cbc', key, iv);
  const head = c.update(data);
  const tail = c.final();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
};

/** RSA-OAEP with SHA-256 (and MGF1 SHA-256) by a recipient's public key: the S/MIME content key's transport. */
export const nodeRsaOaepEncrypt: RsaOaepEncrypt = (key, data) => {
  const out = publicEncrypt({ key: keyObject(key), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, data);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
};

/** A decipher's output and its final block as one array (no copy when the final block is empty). */
function joined(head: Buffer, tail: Buffer): Uint8Array {
  if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.byteLength);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

/** AES-CBC decryption, the key's length naming the cipher (16, 24 or 32 bytes); a wrong padding throws. */
export const nodeAesCbcDecrypt: AesCbcDecrypt = (key, iv, data) => {
  const d = createDecipheriv(`aes-${key.length * 8}-cbc`, key, iv);
  const head = d.update(data);
  return joined(head, d.final());
};

const TAG_SIZE = 16;

/** AES-256-GCM encryption: the ciphertext then its 16-byte tag. */
export const nodeAesGcmEncrypt: AesGcmEncrypt = (key, iv, aad, data) => {
  const c = createCipheriv('aes-256-gcm', keyObject(key), iv, { authTagLength: TAG_SIZE });
  c.setAAD(aad);
  const head = c.update(data);
  const tail = c.final();
  const tag = c.getAuthTag();
  const out = new Uint8Array(head.length + tail.length + tag.length);
  out.set(head, 0);
  out.set(tail, head.length);
  out.set(tag, head.length + tail.length);
  return out;
};

/** AES-256-GCM decryption (`data`: ciphertext then its 16-byte tag); throws when the tag does not verify. */
export const nodeAesGcmDecrypt: AesGcmDecrypt = (key, iv, aad, data) => {
  if (data.byteLength < TAG_SIZE) throw new Error('ciphertext shorter than its tag');
  const d = createDecipheriv('aes-256-gcm', keyObject(key), iv, { authTagLength: TAG_SIZE });
  d.setAAD(aad);
  d.setAuthTag(data.subarray(data.byteLength - TAG_SIZE));
  const head = d.update(data.subarray(0, data.byteLength - TAG_SIZE));
  return joined(head, d.final());
};
