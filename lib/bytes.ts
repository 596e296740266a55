/**
 * Byte helpers shared by the codecs (Web APIs only).
 *
 * @example
 * concatBytes(head, body); // one Uint8Array holding both
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Are two byte arrays equal? Compares every byte, without stopping at the first difference.
 *
 * @example
 * equalBytes(digest, messageDigest);
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
