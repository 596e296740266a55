/**
 * The BER/DER reader: the CMS structures the gateway receives (SignedData, EnvelopedData,
 * AuthEnvelopedData), certificates' identifying fields and extensions, PKCS#8 keys.
 *
 * pkijs/asn1js build an object per node and re-check every buffer they touch, which cost a
 * third of the CPU of the inbound path. Here an element is six offsets into the original
 * bytes: signed attributes, certificates and contents are taken as `subarray`s, without
 * copying or re-encoding. BER as well as DER: definite and indefinite lengths (openssl
 * `cms -sign -stream` writes indefinite-length BER) and constructed OCTET STRINGs, whose
 * segments `octets()` concatenates.
 *
 * Strict bounds: every length is checked against the bytes that hold it, an indefinite
 * length must end with end-of-contents inside its parent, nesting is limited, and every
 * step moves forward, so malformed input yields a `DerError` naming the offset, never an
 * out-of-range read, an exception of another kind, or a hang. No `node:` imports.
 */
import { concatBytes } from '../bytes.js';
import { DerError } from './error.js';
import { oidFromBytes } from './oid.js';

export { DerError };

/** Tag classes (the two high bits of the identifier octet). */
export const TagClass = { universal: 0, application: 1, context: 2, private: 3 } as const;

/** Universal tag numbers used here. */
export const UniversalTag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  utcTime: 23,
  generalizedTime: 24,
} as const;

/** One element: where its parts lie in the bytes it was read from. */
export interface BerElement {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  cls: number;
  /** Tag number (within its class). */
  tag: number;
  constructed: boolean;
  /** Encoded with the indefinite length form (BER). */
  indefinite: boolean;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  body: number;
  /** Offset just past the contents (before the end-of-contents octets when indefinite). */
  bodyEnd: number;
  /** Offset just past the whole element. */
  end: number;
}

/** Deepest nesting accepted (CMS from openssl is about 10 deep). */
const MAX_DEPTH = 48;

/**
 * Reads BER elements from one byte array.
 *
 * @example
 * const r = new DerReader(der);
 * const ci = r.root();                          // ContentInfo SEQUENCE
 * const [type, content] = r.children(ci);
 * r.oid(type);                                  // '1.2.840.113549.1.7.2'
 * const sd = r.children(content)[0];            // [0] EXPLICIT → SignedData
 */
export class DerReader {
  /** Indefinite-length elements already scanned, by start offset (each is scanned once). */
  private readonly scanned = new Map<number, BerElement>();

  constructor(readonly bytes: Uint8Array) {}

  /**
   * The single element that makes up the whole input (trailing bytes are an error).
   */
  root(): BerElement {
    const el = this.read(0, this.bytes.length);
    if (el.end !== this.bytes.length) throw new DerError(`${this.bytes.length - el.end} unexpected byte(s) after the outer element`, el.end);
    return el;
  }

  /** The element starting at `offset`, which must end by `limit`. */
  read(offset: number, limit: number = this.bytes.length, depth = 0): BerElement {
    const b = this.bytes;
    if (limit > b.length) limit = b.length;
    if (depth > MAX_DEPTH) throw new DerError(`nesting deeper than ${MAX_DEPTH}`, offset);
    const known = this.scanned.get(offset);
    if (known) {
      if (known.end > limit) throw new DerError('element runs past its parent', offset);
      return known;
    }
    let p = offset;
    if (p >= limit) throw new DerError('element expected, end of data found', p);
    const id = b[p++];
    const cls = id >> 6;
    const constructed = (id & 0x20) !== 0;
    let tag = id & 0x1f;
    if (tag === 0x1f) {
      // high tag number form: base-128, at most 4 octets (tag < 2^28)
      tag = 0;
      for (let n = 0; ; n++) {
        if (p >= limit) throw new DerError('tag number truncated', p);
        if (n === 4) throw new DerError('tag number too large', p);
        const t = b[p++];
        tag = tag * 128 + (t & 0x7f);
        if ((t & 0x80) === 0) break;
      }
    } else if (id === 0) {
      throw new DerError('unexpected end-of-contents', offset);
    }
    if (p >= limit) throw new DerError('length truncated', p);
    const first = b[p++];
    if (first === 0x80) {
      if (!constructed) throw new DerError('indefinite length on a primitive element', offset);
      const el = this.scanIndefinite(cls, tag, offset, p, limit, depth);
      this.scanned.set(offset, el);
      return el;
    }
    let len = first;
    if (first > 0x80) {
      const n = first & 0x7f;
      if (n > 4 || first === 0xff) throw new DerError(`length of ${n} octets is too long`, p - 1);
      if (p + n > limit) throw new DerError('length truncated', p);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p++];
    }
    if (len > limit - p) throw new DerError(`length ${len} runs past the end of its container (${limit - p} byte(s) left)`, offset);
    return { cls, tag, constructed, indefinite: false, start: offset, body: p, bodyEnd: p + len, end: p + len };
  }

  private scanIndefinite(cls: number, tag: number, start: number, body: number, limit: number, depth: number): BerElement {
    const b = this.bytes;
    let p = body;
    for (;;) {
      if (p + 2 > limit) throw new DerError('indefinite length without end-of-contents', start);
      if (b[p] === 0 && b[p + 1] === 0) return { cls, tag, constructed: true, indefinite: true, start, body, bodyEnd: p, end: p + 2 };
      p = this.read(p, limit, depth + 1).end;
    }
  }

  /** The elements inside a constructed element, in order. */
  children(el: BerElement, depth = 0): BerElement[] {
    if (!el.constructed) throw new DerError('constructed element expected', el.start);
    const out: BerElement[] = [];
    let p = el.body;
    while (p < el.bodyEnd) {
      const c = this.read(p, el.bodyEnd, depth + 1);
      out.push(c);
      p = c.end;
    }
    return out;
  }

  /** The whole encoding of an element (identifier, length, contents), not copied. */
  raw(el: BerElement): Uint8Array {
    return this.bytes.subarray(el.start, el.end);
  }

  /** The content octets of a primitive element, not copied. */
  content(el: BerElement): Uint8Array {
    if (el.constructed) throw new DerError('primitive element expected', el.start);
    return this.bytes.subarray(el.body, el.bodyEnd);
  }

  /**
   * The value of an OCTET STRING (or of an IMPLICIT-tagged one): the content when
   * primitive (not copied), the concatenated segments when constructed.
   */
  octets(el: BerElement): Uint8Array {
    if (!el.constructed) return this.bytes.subarray(el.body, el.bodyEnd);
    const parts: Uint8Array[] = [];
    this.segments(el, parts, 0);
    return parts.length === 1 ? parts[0] : concatBytes(...parts);
  }

  private segments(el: BerElement, out: Uint8Array[], depth: number): void {
    for (const c of this.children(el, depth)) {
      if (c.cls !== TagClass.universal || c.tag !== UniversalTag.octetString) throw new DerError('segment of a constructed OCTET STRING is not an OCTET STRING', c.start);
      if (c.constructed) {
        if (depth >= MAX_DEPTH) throw new DerError(`nesting deeper than ${MAX_DEPTH}`, c.start);
        this.segments(c, out, depth + 1);
      } else out.push(this.bytes.subarray(c.body, c.bodyEnd));
    }
  }

  /** Is the element of this class and tag? */
  is(el: BerElement | undefined, cls: number, tag: number): el is BerElement {
    return !!el && el.cls === cls && el.tag === tag;
  }

  /** The element, checked to be of this class and tag; `what` names it in the error. */
  expect(el: BerElement | undefined, cls: number, tag: number, what: string): BerElement {
    if (!el) throw new DerError(`${what} missing`, this.bytes.length);
    if (el.cls !== cls || el.tag !== tag) throw new DerError(`${what} expected, found ${describe(el)}`, el.start);
    return el;
  }

  /** A universal SEQUENCE's children; `what` names it in the error. */
  sequence(el: BerElement | undefined, what: string): BerElement[] {
    return this.children(this.expect(el, TagClass.universal, UniversalTag.sequence, what));
  }

  /** OBJECT IDENTIFIER in dotted form. */
  oid(el: BerElement | undefined): string {
    const e = this.expect(el, TagClass.universal, UniversalTag.oid, 'OBJECT IDENTIFIER');
    return oidFromBytes(this.content(e), e.start);
  }

  /**
   * A primitive BIT STRING: its count of unused bits and its bit bytes (first bit = the high
   * bit of the first byte), not copied.
   */
  bits(el: BerElement | undefined): { unused: number; bytes: Uint8Array } {
    const e = this.expect(el, TagClass.universal, UniversalTag.bitString, 'BIT STRING');
    const c = this.content(e);
    if (c.length === 0 || c[0] > 7 || (c.length === 1 && c[0] !== 0)) throw new DerError('malformed BIT STRING', e.start);
    return { unused: c[0], bytes: c.subarray(1) };
  }

  /**
   * An AlgorithmIdentifier (SEQUENCE { algorithm OID, parameters OPTIONAL }): the OID, and
   * the parameters unless absent or NULL; `what` names it in errors.
   */
  algorithm(el: BerElement | undefined, what: string): { oid: string; params?: BerElement } {
    const [id, params] = this.sequence(el, what);
    return { oid: this.oid(id), params: params && !this.is(params, TagClass.universal, UniversalTag.null) ? params : undefined };
  }

  /** A small non-negative INTEGER (versions, lengths) as a number. */
  smallInt(el: BerElement | undefined): number {
    const c = this.content(this.expect(el, TagClass.universal, UniversalTag.integer, 'INTEGER'));
    if (c.length === 0 || c.length > 6 || c[0] & 0x80) throw new DerError('small non-negative INTEGER expected', el!.start);
    let v = 0;
    for (const x of c) v = v * 256 + x;
    return v;
  }

  /** UTCTime or GeneralizedTime as a Date; `undefined` when the text is not a time. */
  time(el: BerElement | undefined): Date | undefined {
    if (!el || el.cls !== TagClass.universal || el.constructed) return undefined;
    if (el.tag !== UniversalTag.utcTime && el.tag !== UniversalTag.generalizedTime) return undefined;
    const s = new TextDecoder('latin1').decode(this.content(el));
    const m = el.tag === UniversalTag.utcTime
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,]\d+)?(Z|[+-]\d{4})?$/.exec(s);
    if (!m) return undefined;
    let year = Number(m[1]);
    if (el.tag === UniversalTag.utcTime) year += year < 50 ? 2000 : 1900;
    let t = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5] ?? 0), Number(m[6] ?? 0));
    const zone = m[7];
    if (zone && zone !== 'Z') t -= (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3))) * 60_000;
    return Number.isNaN(t) ? undefined : new Date(t);
  }
}

function describe(el: BerElement): string {
  const cls = ['universal', 'application', 'context', 'private'][el.cls];
  return `${cls} ${el.constructed ? 'constructed' : 'primitive'} tag ${el.tag}`;
}
