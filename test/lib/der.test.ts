/**
 * lib/der, the one DER/BER module: the reader (definite and indefinite lengths, constructed
 * OCTET STRINGs, strict bounds: malformed input is a `DerError`, never another exception or
 * a hang), the writer (lengths, INTEGER, OID, SET OF order, times), OID text ⇄ bytes against
 * openssl, and a property: every tree the writer makes reads back identically. The inbound
 * S/MIME path on streamed CMS is in test/mssante/smime-streamed.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DerError, DerReader, compareBytes, ctx, ctxPrim, der, encodeLength, int, nul, octets, oid, oidFromBytes, oidToBytes, seq, setOf, time, tlv,
  type BerElement, type DerNode,
} from '../../lib/der/index.js';
import { OID } from '../../adapters/mssante/smime/oids.js';
import { concatBytes } from '../../lib/bytes.js';

const bytes = (...b: number[]) => new Uint8Array(b);

/** Reads `input` completely, returning the error it throws (or null). */
function failure(input: Uint8Array): unknown {
  try {
    const r = new DerReader(input);
    const walk = (el: BerElement): void => {
      if (el.constructed) for (const c of r.children(el)) walk(c);
    };
    walk(r.root());
    return null;
  } catch (err) {
    return err;
  }
}

describe('reading', () => {
  it('reads short and long definite lengths, classes and tag numbers, without copying', () => {
    const long = new Uint8Array(300).fill(7);
    const input = der(tlv(0x30, tlv(0x02, bytes(1)), tlv(0x04, long), tlv(0x81, bytes(9))));
    const r = new DerReader(input);
    const root = r.root();
    expect(root).toMatchObject({ cls: 0, tag: 16, constructed: true, indefinite: false, start: 0, end: input.length });
    const [i, o, c] = r.children(root);
    expect(r.smallInt(i)).toBe(1);
    expect(input[o.start + 1]).toBe(0x82); // two length octets
    expect(r.octets(o)).toEqual(long);
    expect(r.octets(o).buffer).toBe(input.buffer);
    expect(c).toMatchObject({ cls: 2, tag: 1, constructed: false });
    expect(Array.from(r.raw(c))).toEqual([0x81, 1, 9]);
  });

  it('reads a high tag number', () => {
    const r = new DerReader(bytes(0xbf, 0x81, 0x00, 0x02, 0x05, 0x00));
    expect(r.root()).toMatchObject({ cls: 2, tag: 128, constructed: true, body: 4, end: 6 });
  });

  it('reads indefinite lengths, nested, with end-of-contents', () => {
    // SEQUENCE (indef) { SEQUENCE (indef) { INTEGER 5 } OCTET STRING 'ab' }
    const input = bytes(0x30, 0x80, 0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00, 0x04, 0x02, 0x61, 0x62, 0x00, 0x00);
    const r = new DerReader(input);
    const root = r.root();
    expect(root).toMatchObject({ indefinite: true, body: 2, bodyEnd: 13, end: 15 });
    const [inner, os] = r.children(root);
    expect(inner).toMatchObject({ indefinite: true, start: 2, end: 9 });
    expect(r.smallInt(r.children(inner)[0])).toBe(5);
    expect(new TextDecoder().decode(r.octets(os))).toBe('ab');
  });

  it('concatenates nested constructed OCTET STRING segments (definite and indefinite)', () => {
    // [0] IMPLICIT constructed (indef) { OCTET STRING 'ab', OCTET STRING (constructed) { 'c', 'de' } }
    const input = bytes(0xa0, 0x80, 0x04, 0x02, 0x61, 0x62, 0x24, 0x07, 0x04, 0x01, 0x63, 0x04, 0x02, 0x64, 0x65, 0x00, 0x00);
    const r = new DerReader(input);
    expect(new TextDecoder().decode(r.octets(r.root()))).toBe('abcde');
    const notOctets = bytes(0x24, 0x03, 0x02, 0x01, 0x01);
    expect(() => new DerReader(notOctets).octets(new DerReader(notOctets).root())).toThrow(/not an OCTET STRING/);
  });

  it('decodes OIDs and times', () => {
    const r = new DerReader(bytes(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02));
    expect(r.oid(r.root())).toBe('1.2.840.113549.1.7.2');
    const t = new DerReader(new Uint8Array([0x17, 13, ...new TextEncoder().encode('261123051500Z')]));
    expect(t.time(t.root())?.toISOString()).toBe('2026-11-23T05:15:00.000Z');
    const g = new DerReader(new Uint8Array([0x18, 15, ...new TextEncoder().encode('20501231235959Z')]));
    expect(g.time(g.root())?.toISOString()).toBe('2050-12-31T23:59:59.000Z');
  });
});

describe('malformed input: a DerError naming the offset, never another exception', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty input', bytes(), /end of data/],
    ['truncated length', bytes(0x30), /length truncated/],
    ['length past the end', bytes(0x04, 0x05, 0x01), /runs past the end/],
    ['truncated long length', bytes(0x04, 0x82, 0x01), /length truncated/],
    ['over-long length (5 octets)', bytes(0x04, 0x85, 0, 0, 0, 0, 1, 0), /too long/],
    ['reserved length 0xff', bytes(0x04, 0xff), /too long/],
    ['huge length', bytes(0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0), /runs past the end/],
    ['child longer than its parent', bytes(0x30, 0x05, 0x04, 0x06, 0x00, 0x00, 0x00), /runs past the end/],
    ['trailing bytes', bytes(0x05, 0x00, 0x00), /unexpected byte/],
    ['indefinite primitive', bytes(0x04, 0x80, 0x00, 0x00), /primitive/],
    ['indefinite without end-of-contents', bytes(0x30, 0x80, 0x02, 0x01, 0x05), /without end-of-contents/],
    ['end-of-contents out of place', bytes(0x30, 0x02, 0x00, 0x00), /end-of-contents/],
    ['truncated high tag', bytes(0x1f, 0x81), /tag number truncated/],
    ['indefinite child ending past its definite parent', bytes(0x30, 0x04, 0x30, 0x80, 0x05, 0x00), /without end-of-contents/],
  ];
  for (const [name, input, re] of cases) {
    it(name, () => {
      const err = failure(input);
      expect(err).toBeInstanceOf(DerError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).toMatch(/at offset \d+/);
    });
  }

  it('a nesting bomb (100,000 nested indefinite SEQUENCEs) fails quickly', () => {
    const n = 100_000;
    const input = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) input.set([0x30, 0x80], i * 2);
    const t0 = performance.now();
    const err = failure(input);
    expect(err).toBeInstanceOf(DerError);
    expect((err as Error).message).toMatch(/nesting deeper/);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('random and mutated bytes never throw anything but DerError', () => {
    const valid = der(tlv(0x30, tlv(0x06, bytes(0x2a, 0x03)), tlv(0xa0, tlv(0x24, tlv(0x04, bytes(1, 2, 3)), tlv(0x04, bytes(4)))), tlv(0x31)));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (random, edits, cut) => {
        for (const input of [random, (() => {
          const m = valid.slice(0, (cut % (valid.length + 1)) || valid.length);
          for (const [at, v] of edits) if (m.length) m[at % m.length] = v;
          return m;
        })()]) {
          const err = failure(input);
          if (err !== null && !(err instanceof DerError)) throw err;
          if (err === null) {
            const r = new DerReader(input);
            const walk = (el: BerElement): void => {
              if (el.cls === 0 && el.tag === 4) r.octets(el);
              if (el.constructed) for (const c of r.children(el)) walk(c);
            };
            try {
              walk(r.root());
            } catch (e) {
              if (!(e instanceof DerError)) throw e;
            }
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

/** A random TLV tree as the DER writer builds it, with the model to compare against. */
type Model = { tag: number; value: Uint8Array } | { tag: number; children: Model[] };

const primitiveTag = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 30 })).map(([cls, n]) => (cls << 6) | n);
const modelArb: fc.Arbitrary<Model> = fc.letrec<{ node: Model }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ tag: primitiveTag, value: fc.uint8Array({ maxLength: 300 }) }),
    fc.record({ tag: primitiveTag.map((t) => t | 0x20), children: fc.array(tie('node'), { maxLength: 5 }) }),
  ),
})).node;

function toNode(m: Model): DerNode {
  return 'value' in m ? tlv(m.tag, m.value) : tlv(m.tag, ...m.children.map(toNode));
}

/** The same tree with every constructed element in the indefinite-length form. */
function indefinite(m: Model): Uint8Array {
  if ('value' in m) return der(toNode(m));
  return concatBytes(new Uint8Array([m.tag, 0x80]), ...m.children.map(indefinite), new Uint8Array([0, 0]));
}

function readBack(r: DerReader, el: BerElement): Model {
  const tag = (el.cls << 6) | (el.constructed ? 0x20 : 0) | el.tag;
  return el.constructed ? { tag, children: r.children(el).map((c) => readBack(r, c)) } : { tag, value: r.content(el).slice() };
}

describe('property: trees written by the writer read back identically', () => {
  it('definite lengths (the writer) and the same trees with indefinite lengths', () => {
    fc.assert(
      fc.property(modelArb, (m) => {
        const d = der(toNode(m));
        const r = new DerReader(d);
        const root = r.root();
        expect(root.end).toBe(d.length);
        expect(readBack(r, root)).toEqual(m);
        const i = indefinite(m);
        const ri = new DerReader(i);
        expect(readBack(ri, ri.root())).toEqual(m);
      }),
      { numRuns: 500 },
    );
  });

  it('an OCTET STRING split into nested segments reads back as the whole', () => {
    type Seg = Uint8Array | Seg[];
    const segArb: fc.Arbitrary<Seg> = fc.letrec<{ s: Seg }>((tie) => ({
      s: fc.oneof({ depthSize: 'small' }, fc.uint8Array({ maxLength: 200 }), fc.array(tie('s'), { maxLength: 4 })),
    })).s;
    const flat = (s: Seg): number[] => (s instanceof Uint8Array ? Array.from(s) : s.flatMap(flat));
    const write = (s: Seg): DerNode => (s instanceof Uint8Array ? tlv(0x04, s) : tlv(0x24, ...s.map(write)));
    fc.assert(
      fc.property(fc.array(segArb, { maxLength: 5 }), (segs) => {
        const d = der(tlv(0xa0, ...segs.map(write)));
        const r = new DerReader(d);
        expect(Array.from(r.octets(r.root()))).toEqual(segs.flatMap(flat));
      }),
      { numRuns: 300 },
    );
  });
});


const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

describe('writing', () => {
  it('encodes lengths in the short form below 128 and the shortest long form above', () => {
    const cases: [number, string][] = [
      [0, '00'], [127, '7f'], [128, '81 80'], [255, '81 ff'], [256, '82 01 00'], [65_535, '82 ff ff'],
      [65_536, '83 01 00 00'], [2 ** 24, '84 01 00 00 00'], [2 ** 32 - 1, '84 ff ff ff ff'], [2 ** 32, '85 01 00 00 00 00'],
    ];
    for (const [n, want] of cases) expect(hex(encodeLength(n)), String(n)).toBe(want);
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => encodeLength(bad)).toThrow(DerError);
  });

  it('writes a long-form element (70,000 content bytes) that the reader reads back', () => {
    const body = new Uint8Array(70_000).map((_, i) => i & 0xff);
    const d = der(seq(octets(body), nul()));
    expect(hex(d.subarray(0, 6))).toBe('30 83 01 11 77 04'); // 70,007 = 1 + 4 + 70,000 + 2 = 0x011177
    const r = new DerReader(d);
    const [o, n] = r.sequence(r.root(), 'SEQUENCE');
    expect(r.octets(o)).toEqual(body);
    expect(hex(r.raw(n))).toBe('05 00');
  });

  it('encodes non-negative INTEGERs minimally, with a leading zero where the high bit is set', () => {
    const cases: [number, string][] = [[0, '02 01 00'], [127, '02 01 7f'], [128, '02 02 00 80'], [256, '02 02 01 00'], [2 ** 40, '02 06 01 00 00 00 00 00']];
    for (const [n, want] of cases) {
      const d = der(int(n));
      expect(hex(d), String(n)).toBe(want);
      const r = new DerReader(d);
      expect(r.smallInt(r.root())).toBe(n);
    }
    expect(() => int(-1)).toThrow(DerError);
  });

  it('writes context tags, NULL, OCTET STRING, and sorts a SET OF by encoding', () => {
    expect(hex(der(ctx(0, int(1))))).toBe('a0 03 02 01 01');
    expect(hex(der(ctxPrim(2, new Uint8Array([9]))))).toBe('82 01 09');
    expect(hex(der(octets(new Uint8Array([1, 2]))))).toBe('04 02 01 02');
    expect(hex(der(setOf(octets(new Uint8Array([2])), int(5), octets(new Uint8Array([1, 0])))))).toBe('31 0a 02 01 05 04 01 02 04 02 01 00');
    expect(compareBytes(new Uint8Array([1]), new Uint8Array([1, 0]))).toBeLessThan(0);
  });

  it('writes UTCTime for 1950–2049 and GeneralizedTime outside, both read back', () => {
    for (const [iso, tag, text] of [
      ['2026-11-23T05:15:00.000Z', 0x17, '261123051500Z'],
      ['1950-01-01T00:00:00.000Z', 0x17, '500101000000Z'],
      ['2049-12-31T23:59:59.000Z', 0x17, '491231235959Z'],
      ['2050-01-01T00:00:00.000Z', 0x18, '20500101000000Z'],
      ['1949-12-31T23:59:59.000Z', 0x18, '19491231235959Z'],
    ] as const) {
      const d = der(time(new Date(iso)));
      expect(d[0]).toBe(tag);
      expect(new TextDecoder().decode(d.subarray(2))).toBe(text);
      const r = new DerReader(d);
      expect(r.time(r.root())?.toISOString()).toBe(iso);
    }
  });
});

describe('OBJECT IDENTIFIER text ⇄ bytes', () => {
  it('encodes the known vectors, and every OID the gateway writes as asn1js did', () => {
    expect(hex(oid('1.2.840.113549.1.7.2'))).toBe('06 09 2a 86 48 86 f7 0d 01 07 02');
    expect(hex(oid('2.5.4.3'))).toBe('06 03 55 04 03');
    expect(hex(oid('0.0'))).toBe('06 01 00');
    expect(hex(oid('2.999.3'))).toBe('06 03 88 37 03'); // X.690 §8.19.5: 2.999 is one subidentifier
    for (const dotted of Object.values(OID)) {
      expect(hex(oid(dotted)), dotted).toBe(hex(new Uint8Array(new asn1js.ObjectIdentifier({ value: dotted }).toBER(false))));
      expect(oidFromBytes(oidToBytes(dotted))).toBe(dotted);
    }
  });

  it('large arcs: up to 2^52 round-trip and agree with openssl; larger ones are refused both ways', () => {
    const work = mkdtempSync(join(tmpdir(), 'passerelle-der-'));
    try {
      for (const dotted of ['1.2.4294967296', '2.25.4503599627370496', '1.3.6.1.4.1.4503599627370623', '2.4503599627370000.1', '1.2.127.128.16383.16384']) {
        const out = join(work, 'oid.der');
        execFileSync('openssl', ['asn1parse', '-genstr', `OID:${dotted}`, '-noout', '-out', out]);
        expect(hex(oid(dotted)), dotted).toBe(hex(new Uint8Array(readFileSync(out))));
        const r = new DerReader(oid(dotted));
        expect(r.oid(r.root())).toBe(dotted);
      }
      // a UUID arc (2.25.<128 bits>), as openssl writes it: not a number here, refused clearly
      const uuid = '2.25.329800735698586629295641978511506172918';
      execFileSync('openssl', ['asn1parse', '-genstr', `OID:${uuid}`, '-noout', '-out', join(work, 'uuid.der')]);
      const r = new DerReader(new Uint8Array(readFileSync(join(work, 'uuid.der'))));
      expect(() => r.oid(r.root())).toThrow(/arc too large at offset 0/);
      expect(() => oidToBytes(uuid)).toThrow(/arc too large/);
      expect(() => oidToBytes('1.2.4503599627370624')).toThrow(/arc too large/); // 2^52 + 128
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('refuses text that is not an OID, and content that is not one', () => {
    for (const bad of ['', '1', '3.1', '1.40', '0.40.1', '1.2.', '.1.2', '1..2', '1.02', 'a.b', '1.-2', '1.2.3e4']) expect(() => oidToBytes(bad), bad).toThrow(DerError);
    expect(oidToBytes('2.40')).toEqual(new Uint8Array([120]));
    expect(() => oidFromBytes(new Uint8Array([]), 7)).toThrow(/empty OBJECT IDENTIFIER at offset 7/);
    expect(() => oidFromBytes(new Uint8Array([0x2a, 0x86]))).toThrow(/OBJECT IDENTIFIER truncated/);
    const r = new DerReader(new Uint8Array([0x04, 0x01, 0x2a]));
    expect(() => r.oid(r.root())).toThrow(/OBJECT IDENTIFIER expected, found universal primitive tag 4 at offset 0/);
  });
});

describe('truncated input: a clear error naming what is missing and where', () => {
  it('every prefix of a valid structure fails with a DerError saying what ran out', () => {
    const valid = der(seq(oid(OID.signedData), ctx(0, seq(int(1), setOf(), octets(new Uint8Array(200))))));
    for (let n = 0; n < valid.length; n++) {
      const err = failure(valid.subarray(0, n));
      expect(err, `prefix ${n}`).toBeInstanceOf(DerError);
      expect((err as Error).message).toMatch(/end of data|truncated|runs past the end/);
    }
    expect(failure(valid)).toBeNull();
  });
});

describe('reader helpers', () => {
  it('bits: unused-bit count and bit bytes of a BIT STRING; malformed ones refused', () => {
    const r = new DerReader(new Uint8Array([0x03, 0x02, 0x05, 0xa0])); // keyUsage digitalSignature + keyEncipherment
    expect(r.bits(r.root())).toEqual({ unused: 5, bytes: new Uint8Array([0xa0]) });
    for (const bad of [[0x03, 0x00], [0x03, 0x01, 0x01], [0x03, 0x02, 0x08, 0x00], [0x04, 0x01, 0x00]]) {
      const b = new DerReader(new Uint8Array(bad));
      expect(() => b.bits(b.root()), hex(new Uint8Array(bad))).toThrow(DerError);
    }
  });

  it('algorithm: the OID, and the parameters unless absent or NULL', () => {
    const read = (node: DerNode) => {
      const r = new DerReader(der(node));
      const a = r.algorithm(r.root(), 'AlgorithmIdentifier');
      return { oid: a.oid, params: a.params && hex(r.raw(a.params)) };
    };
    expect(read(seq(oid('2.16.840.1.101.3.4.2.1')))).toEqual({ oid: '2.16.840.1.101.3.4.2.1', params: undefined });
    expect(read(seq(oid('1.2.840.113549.1.1.1'), nul()))).toEqual({ oid: '1.2.840.113549.1.1.1', params: undefined });
    expect(read(seq(oid('2.16.840.1.101.3.4.1.2'), octets(new Uint8Array([1, 2]))))).toEqual({ oid: '2.16.840.1.101.3.4.1.2', params: '04 02 01 02' });
    expect(() => read(octets(new Uint8Array([1])))).toThrow(/AlgorithmIdentifier expected/);
  });
});
