/**
 * The OpenSSL key behind a WebCrypto key, made once per key: the synchronous ciphers and
 * signature checks (`native-cipher.ts`, `native-signature.ts`) take the keys the adapters
 * hold as WebCrypto keys (the LNP/1 keys derived per holder and year, the signers' public
 * keys cached per certificate).
 */
import { KeyObject } from 'node:crypto';

const keyObjects = new WeakMap<CryptoKey, KeyObject>();

export function keyObject(key: CryptoKey): KeyObject {
  let k = keyObjects.get(key);
  if (!k) {
    k = KeyObject.from(key);
    keyObjects.set(key, k);
  }
  return k;
}
