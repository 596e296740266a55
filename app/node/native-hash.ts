/**
 * SHA-256 by OpenSSL through `node:crypto`, synchronous: the Node runtime hands it to the
 * pipeline for the content digest of every opened message (see `lib/sha256.ts` for why).
 */
import { createHash } from 'node:crypto';
import type { Sha256 } from '../../lib/sha256.js';
import type { Sha1 } from '../../mappings/xdm/sha1.js';

export const nodeSha256: Sha256 = (data) => {
  const d = (typeof data === 'string' ? createHash('sha256').update(data, 'utf8') : createHash('sha256').update(data)).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
};

/** SHA-1 the same way, for the XDM metadata hashes the translator writes and checks (`mappings/xdm/sha1.ts`). */
export const nodeSha1: Sha1 = (data) => {
  const d = createHash('sha1').update(data).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
};
