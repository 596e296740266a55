/**
 * Standard base64 (RFC 4648 §4) over Uint8Array with Web APIs (`btoa`/`atob`), for MIME,
 * PEM, CDA and stored notices. (The LNP/1 armour has its own alphabet and strict error
 * positions: `adapters/legacy/base64.ts`.)
 *
 * @example
 * toBase64(new Uint8Array([1, 2, 3])); // 'AQID'
 * base64Lines(pdf, 76, '\r\n');        // MIME body lines
 */
export function toBase64(bytes: Uint8Array): string {
  if (nativeToBase64) return nativeToBase64(bytes);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  return btoa(bin);
}

/**
 * The runtime's own encoder when it has one: `Uint8Array.prototype.toBase64` (ES2026), or
 * `Buffer` (Node, Workers with nodejs_compat), found by feature detection — no import — and
 * seventy times faster than `btoa` over a binary string on Node 20.
 */
const nativeToBase64: ((b: Uint8Array) => string) | null = (() => {
  const proto = Uint8Array.prototype as unknown as { toBase64?: (this: Uint8Array) => string };
  if (typeof proto.toBase64 === 'function') return (b: Uint8Array) => proto.toBase64!.call(b);
  const B = (globalThis as unknown as { Buffer?: { from(a: ArrayBufferLike, o: number, l: number): { toString(e: 'base64'): string } } }).Buffer;
  if (B && typeof B.from === 'function') return (b: Uint8Array) => B.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  return null;
})();

/** Decodes base64; white space (line breaks) is ignored, anything else invalid throws. */
export function fromBase64(text: string): Uint8Array {
  const bin = atob(text.replace(/\s+/g, ''));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Base64 in lines of `lineLength` characters, each ended by `eol` (MIME: 76 and CRLF). */
export function base64Lines(bytes: Uint8Array, lineLength = 76, eol = '\r\n'): string {
  const b64 = toBase64(bytes);
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += lineLength) out.push(b64.slice(i, i + lineLength));
  return out.length ? out.join(eol) + eol : '';
}
