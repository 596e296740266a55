/**
 * The lean BER/DER reader (adapters/mssante/smime/der-reader.ts): definite and indefinite
 * lengths, constructed OCTET STRINGs, strict bounds (malformed input is a `DerError`,
 * never another exception or a hang), a property against the DER writer (`der.ts`); then
 * the inbound S/MIME path on openssl's streamed (indefinite-length) CMS, and the cache of
 * signer-chain verdicts (revocation, expiry).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors/index.js';
import { der, tlv, type DerNode } from '../../adapters/mssante/smime/der.js';
import { DerError, DerReader, type BerElement } from '../../adapters/mssante/smime/der-reader.js';
import { SmimeDecryptor } from '../../adapters/mssante/smime/decrypt.js';
import { readSmimeEntity } from '../../adapters/mssante/smime/mime.js';
import { invalidateSignerChains, signerChains, verifySignedData } from '../../adapters/mssante/smime/verify.js';
import { parseAnchors } from '../../adapters/mssante/tls/anchors.js';
import { parseCrls } from '../../adapters/mssante/tls/crl-source.js';
import { loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { testPki, type TestPki } from '../pki/test-pki.js';

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
  const parts = m.children.map(indefinite);
  const out = new Uint8Array(4 + parts.reduce((n, p) => n + p.length, 0));
  out.set([m.tag, 0x80]);
  let o = 2;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out; // ends with 00 00
}

function readBack(r: DerReader, el: BerElement): Model {
  const tag = (el.cls << 6) | (el.constructed ? 0x20 : 0) | el.tag;
  return el.constructed ? { tag, children: r.children(el).map((c) => readBack(r, c)) } : { tag, value: r.content(el).slice() };
}

describe('property: trees written by der.ts read back identically', () => {
  it('definite lengths (der.ts) and the same trees with indefinite lengths', () => {
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

describe('inbound S/MIME on openssl streamed CMS (indefinite-length BER)', () => {
  let pki: TestPki;
  let work: string;
  let anchors: pkijs.Certificate[];
  let crls: pkijs.CertificateRevocationList[];
  const inner = new TextEncoder().encode(`Content-Type: text/plain; charset=utf-8\r\n\r\n${'Compte rendu. '.repeat(2000)}\r\n`);
  const openssl = (args: string[]) => new Uint8Array(execFileSync('openssl', args, { cwd: work, stdio: ['pipe', 'pipe', 'pipe'] }));
  const file = (name: string, data: Uint8Array) => {
    writeFileSync(join(work, name), data);
    return join(work, name);
  };
  const sign = (id: { certFile: string; keyFile: string }, detached = false) =>
    openssl(['cms', '-sign', '-stream', ...(detached ? [] : ['-nodetach']), '-binary', '-outform', 'DER', '-in', file('in.txt', inner), '-signer', id.certFile, '-inkey', id.keyFile, '-certfile', pki.intermediate.certFile, '-md', 'sha256']);

  beforeAll(async () => {
    pki = await testPki();
    work = mkdtempSync(join(tmpdir(), 'passerelle-der-'));
    anchors = parseAnchors(new TextEncoder().encode(pki.anchorsPem)).certificates;
    crls = parseCrls(new TextEncoder().encode(pki.crlPem));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // (openssl cannot stream a PSS signature: "illegal zero content"; PSS is covered by smime-openssl.test.ts)
  for (const detached of [false, true]) {
    it(`verifies a streamed ${detached ? 'detached' : 'opaque'} signature`, async () => {
      const d = sign(pki.medecin, detached);
      expect(d[1]).toBe(0x80); // indefinite length, as streamed
      const v = await verifySignedData(d, { anchors, crls, ...(detached ? { detachedContent: inner } : {}) });
      expect(v.content).toEqual(inner);
      expect(v.scheme).toBe('RSASSA-PKCS1-v1_5');
      expect(v.signingTime).toBeInstanceOf(Date);
      expect(Math.abs(v.signingTime!.getTime() - Date.now())).toBeLessThan(600_000);
    });
  }

  for (const [name, opts] of [
    ['AES-256-CBC + OAEP SHA-256', ['-aes-256-cbc', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256']],
    ['AES-256-GCM + PKCS#1 v1.5', ['-aes-256-gcm']],
  ] as const) {
    it(`decrypts a streamed ${name} message`, async () => {
      const smime = openssl(['cms', '-encrypt', '-stream', '-binary', '-in', file('in.txt', inner), '-recip', pki.gateway.certFile, ...opts]);
      const s = readSmimeEntity(smime);
      if (s.kind !== 'enveloped') throw new Error(s.kind);
      expect(s.der[1]).toBe(0x80);
      const gw = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
      const dec = await SmimeDecryptor.create({ certificate: gw.certificate, pkcs8: gw.pkcs8 });
      expect((await dec.decrypt(s.der)).content).toEqual(inner);
    });
  }

  it('mutated or truncated CMS fails as SIGNATURE_INVALID / DECRYPT_FAILED, never with another exception', async () => {
    const gw = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
    const signed = sign(pki.medecin);
    const enveloped = readSmimeEntity(openssl(['cms', '-encrypt', '-stream', '-binary', '-in', file('in.txt', inner.subarray(0, 300)), '-recip', pki.gateway.certFile, '-aes-256-gcm']));
    if (enveloped.kind !== 'enveloped') throw new Error(enveloped.kind);
    const dec = await SmimeDecryptor.create({ certificate: gw.certificate, pkcs8: gw.pkcs8 });
    const mutate = (src: Uint8Array, edits: [number, number][], cut: number) => {
      const m = src.slice(0, cut % 4 === 0 ? (cut >> 2) % src.length : src.length);
      for (const [at, v] of edits) if (m.length) m[at % m.length] = v;
      return m;
    };
    const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(edits, fc.nat(), async (e, cut) => {
        for (const [input, run, kind] of [
          [mutate(signed, e, cut), (d: Uint8Array) => verifySignedData(d, { anchors }), 'SIGNATURE_INVALID'],
          [mutate(enveloped.der, e, cut), (d: Uint8Array) => dec.decrypt(d), 'DECRYPT_FAILED'],
        ] as const) {
          const err = await (run as (d: Uint8Array) => Promise<unknown>)(input).then(() => null, (x: unknown) => x ?? 'nullish rejection');
          if (err !== null) {
            expect(err).toBeInstanceOf(GatewayError);
            expect(err).toMatchObject({ kind });
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('cached signer chains: new CRLs revoke at once, expiry is rechecked, invalidate() forgets', async () => {
    const d = sign(pki.revoked);
    invalidateSignerChains();
    await expect(verifySignedData(d, { anchors })).resolves.toMatchObject({ content: inner });
    expect(signerChains.size).toBe(1);
    // the same signer, now with CRLs installed: the cached success does not apply
    await expect(verifySignedData(d, { anchors, crls })).rejects.toMatchObject({ kind: 'SIGNATURE_INVALID', detail: expect.stringMatching(/revoked/) });
    // a check after the signer's notAfter is not answered from the cache
    await expect(verifySignedData(d, { anchors, at: new Date(Date.now() + 20 * 365 * 86_400_000) })).rejects.toMatchObject({ detail: expect.stringMatching(/expired/) });
    invalidateSignerChains();
    expect(signerChains.size).toBe(0);
  });
});
