/**
 * SHA-256 as an injected function, like `DeflateRaw`: the default is WebCrypto (runs
 * anywhere: Workers, browsers, Node); the Node runtime hands the gateway OpenSSL's one-shot
 * digest (`app/node/native-hash.ts`), synchronous, for the content digest every message
 * gets after opening. WebCrypto offers only an asynchronous digest, whose job dispatch costs
 * the event loop about 45 µs per call, against 7 µs for the whole hash of 10 KB through
 * `node:crypto` (measured on Node 20, 2026-12-04).
 *
 * A string is hashed as its UTF-8 bytes: OpenSSL's digest takes it without a copy into a
 * JavaScript buffer first.
 *
 * @example
 * const digest = await (options.sha256 ?? webCryptoSha256)(bytes); // 32 bytes
 */
export type Sha256 = (data: Uint8Array | string) => Uint8Array | Promise<Uint8Array>;

/** SHA-256 by WebCrypto (a string is hashed as its UTF-8 bytes). */
export const webCryptoSha256: Sha256 = async (data) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', (typeof data === 'string' ? new TextEncoder().encode(data) : data) as Uint8Array<ArrayBuffer>));
