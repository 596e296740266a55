/**
 * SHA-1 of bytes as lower-case hex (WebCrypto), as XDS metadata writes `hash`.
 *
 * @example
 * await sha1Hex(new TextEncoder().encode('abc')) // 'a9993e36…'
 */
export async function sha1Hex(data: Uint8Array): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest('SHA-1', data as Uint8Array<ArrayBuffer>));
  return Array.from(h, (b) => b.toString(16).padStart(2, '0')).join('');
}
