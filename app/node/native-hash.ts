/**
 * SHA-256 by OpenSSL through `node:crypto`, synchronous: the Node runtime hands it to the
 * pipeline for the content digest of every opened message (see `lib/sha256.ts` for why).
 */
import { createHash } from 'node:crypto';
import type { Sha256 } from '../../lib/sha256.js';
import type { Sha1 } from '../../mappings/xdm/sha1.js';

/** OpenSSL's digest `algorithm` (its name: `sha256`…) of `data` in one call (a string is hashed as its UTF-8 bytes). */
export function nodeDigest(algorithm: string, data: Uint8Array | string): Uint8Array {
  const d = createHash(algorithm).update(data).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

const oneShot = (algorithm: string) => (data: Uint8Array | string): Uint8Array => nodeDigest(algorithm, data);

export const nodeSha256: Sha256 = oneShot('sha256');

/** SHA-1 the same way, for the XDM metadata hashes the translator writes and checks (`mappings/xdm/sha1.ts`). */
export const nodeSha1: Sha1 = oneShot('sha1');
