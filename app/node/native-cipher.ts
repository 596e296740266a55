/**
 * AES-256-CBC (PKCS#7 padding) by OpenSSL through `node:crypto`, synchronous: the Node
 * runtime hands it to S/MIME encryption (`adapters/mssante/smime/encrypt.ts`), where
 * WebCrypto costs an `importKey` and an `encrypt` job dispatch per message.
 */
import { createCipheriv } from 'node:crypto';
import type { AesCbcEncrypt } from '../../adapters/mssante/smime/encrypt.js';

export const nodeAesCbcEncrypt: AesCbcEncrypt = (key, iv, data) => {
  const c = createCipheriv('aes-256-cbc', key, iv);
  const head = c.update(data);
  const tail = c.final();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
};
