/**
 * OBJECT IDENTIFIER contents ⇄ dotted text (X.690 §8.19): each arc in base 128, high bit set
 * on every octet but the last; the first two arcs share one subidentifier (`40 × a + b`, so
 * `2.999` is one subidentifier of 1079). Arcs are JavaScript numbers: the reader accepts
 * subidentifiers up to 2^52 (7 octets and a bit), the writer any safe integer it can read
 * back; a larger arc (a `2.25.<UUID>` OID) is a `DerError`, not a silently rounded number.
 */
import { DerError } from './error.js';

/** The largest subidentifier read: past it a further ×128 would leave the safe integers. */
const MAX_BEFORE_SHIFT = 2 ** 45;

/**
 * The dotted text of OBJECT IDENTIFIER content octets; `offset` (of the element) names the
 * place in errors.
 *
 * @example
 * oidFromBytes(new Uint8Array([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02])); // '1.2.840.113549.1.7.2'
 */
export function oidFromBytes(c: Uint8Array, offset = 0): string {
  if (c.length === 0) throw new DerError('empty OBJECT IDENTIFIER', offset);
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < c.length; i++) {
    if (v > MAX_BEFORE_SHIFT) throw new DerError('OBJECT IDENTIFIER arc too large', offset);
    v = v * 128 + (c[i] & 0x7f);
    if ((c[i] & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 40 ? 0 : v < 80 ? 1 : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    } else if (i === c.length - 1) throw new DerError('OBJECT IDENTIFIER truncated', offset);
  }
  return arcs.join('.');
}

/**
 * The content octets of an OBJECT IDENTIFIER given in dotted text (no tag, no length).
 * Throws `DerError` for text that is not an OID: fewer than two arcs, a first arc other
 * than 0, 1, 2, a second arc of 40 or more under 0 or 1, an arc too large to read back.
 *
 * @example
 * oidToBytes('1.2.840.113549.1.7.2'); // 2a 86 48 86 f7 0d 01 07 02
 */
export function oidToBytes(dotted: string): Uint8Array<ArrayBuffer> {
  const text = dotted.split('.');
  if (text.length < 2 || text.some((a) => !/^(0|[1-9]\d*)$/.test(a))) throw new DerError(`not an OBJECT IDENTIFIER: "${dotted.slice(0, 80)}"`, 0);
  const arcs = text.map(Number);
  if (arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40)) throw new DerError(`OBJECT IDENTIFIER ${dotted.slice(0, 80)} has invalid first arcs`, 0);
  const out: number[] = [];
  const push = (v: number) => {
    if (!Number.isSafeInteger(v) || v > MAX_BEFORE_SHIFT * 128 + 127) throw new DerError(`OBJECT IDENTIFIER ${dotted.slice(0, 80)} has an arc too large`, 0);
    const start = out.length;
    do {
      out.splice(start, 0, (v % 128) | (out.length > start ? 0x80 : 0));
      v = Math.floor(v / 128);
    } while (v > 0);
  };
  push(arcs[0] * 40 + arcs[1]);
  for (let i = 2; i < arcs.length; i++) push(arcs[i]);
  return new Uint8Array(out);
}
