/**
 * SHA-1 of bytes as lower-case hex, as XDS metadata writes `hash`. The digest is an injected
 * function, like `DeflateRaw`: the default is WebCrypto (runs anywhere: Workers, browsers,
 * Node); the Node runtime's translator hands in OpenSSL's one-shot digest
 * (`app/node/native-hash.ts`), synchronous. WebCrypto offers only an asynchronous digest,
 * whose job dispatch costs the calling thread about 90 µs per call, against 10–25 µs for
 * the whole hash of 1–40 KB through `node:crypto` (Node 20, 2026-12-05).
 *
 * @example
 * await sha1Hex(new TextEncoder().encode('abc')) // 'a9993e36…'
 */
export type Sha1 = (data: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** SHA-1 by WebCrypto. */
export const webCryptoSha1: Sha1 = async (data) => new Uint8Array(await crypto.subtle.digest('SHA-1', data as Uint8Array<ArrayBuffer>));

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export async function sha1Hex(data: Uint8Array, sha1: Sha1 = webCryptoSha1): Promise<string> {
  const h = await sha1(data);
  let out = '';
  for (let i = 0; i < h.length; i++) out += HEX[h[i]!];
  return out;
}
