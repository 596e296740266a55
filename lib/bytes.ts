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
