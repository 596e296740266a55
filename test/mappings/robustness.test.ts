import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CdaReadError, readCda } from '../../mappings/cda/read-cda.js';
import { readHprim, writeHprim } from '../../mappings/hprim/index.js';
import { buildXdm, readXdm, readZipSafely, XDS_CODES, ZipSafetyError, XdmError } from '../../mappings/xdm/index.js';
import { sampleHprim } from './fixtures.js';

describe('robustness on arbitrary input', () => {
  it('readHprim never throws, and every issue is positioned inside the text', () => {
    const lines = sampleHprim().split('\r\n');
    const mutated = fc.tuple(fc.array(fc.nat({ max: lines.length - 1 }), { maxLength: 4 }), fc.array(fc.string({ maxLength: 40 }), { minLength: 4, maxLength: 4 }))
      .map(([idx, repl]) => { const l = [...lines]; idx.forEach((i, k) => { l[i] = repl[k]; }); return l.join('\r\n'); });
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 400 }), mutated), (text) => {
      const r = readHprim(text);
      const count = text.split(/\r\n|\n|\r/).length;
      for (const i of r.issues) expect(i.line).toBeGreaterThanOrEqual(1), expect(i.line).toBeLessThanOrEqual(Math.max(1, count));
      if (r.report) expect(() => writeHprim(r.report!)).not.toThrow();
    }), { numRuns: 500 });
  });

  it('readCda throws nothing but CdaReadError on arbitrary or damaged XML', () => {
    const tsh = readFileSync(join(process.cwd(), '../shared/national/cda/examples/BIO-CR-BIO_2024.01_TSH_1.xml'), 'utf8').slice(0, 30_000);
    const damaged = fc.tuple(fc.nat({ max: tsh.length }), fc.nat({ max: 200 }), fc.string({ maxLength: 10 })).map(([at, len, ins]) => tsh.slice(0, at) + ins + tsh.slice(at + len));
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), damaged), (xml) => {
      try { readCda(xml); } catch (e) { expect(e).toBeInstanceOf(CdaReadError); }
    }), { numRuns: Number(process.env.FUZZ_RUNS ?? 200) });
  });

  it('readZipSafely and readXdm throw only their typed errors on damaged archives', async () => {
    const zip = await buildXdm([{ data: new TextEncoder().encode('<x/>'.repeat(200)), mimeType: 'text/xml', uniqueId: '2.25.1', ...XDS_CODES.crBio, title: 't', creationTime: new Date(0) }], { patientId: 'p^^^&2.25.2&ISO', now: new Date(0) });
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: zip.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (edits) => {
      const z = zip.slice();
      for (const [i, b] of edits) z[i] = b;
      try { await readXdm(z); } catch (e) { expect(e instanceof ZipSafetyError || e instanceof XdmError, String(e)).toBe(true); }
    }), { numRuns: Number(process.env.FUZZ_RUNS ?? 300) });
  });

  it('XDM build → read is lossless for any documents', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.record({ data: fc.uint8Array({ maxLength: 3000 }), title: fc.string({ maxLength: 30 }), pdf: fc.boolean() }), { minLength: 1, maxLength: 5 }), async (docs) => {
      const zip = await buildXdm(docs.map((d, i) => ({ data: d.data, mimeType: d.pdf ? 'application/pdf' : 'text/xml', uniqueId: `2.25.9.${i}`, ...(d.pdf ? XDS_CODES.pdf : XDS_CODES.crBio), title: d.title, creationTime: new Date(0) })), { patientId: 'p^^^&2.25.2&ISO' });
      const x = await readXdm(zip);
      expect(x.issues).toEqual([]);
      expect(x.documents.map((d) => d.data)).toEqual(docs.map((d) => d.data));
      expect(x.documents.map((d) => d.metadata.title)).toEqual(docs.map((d) => d.title.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '').replace(/\r\n?/g, '\n')));
    }), { numRuns: 60 });
  });

  it('reads archives written by an independent implementation (Python zipfile: deflate, stored, UTF-8 names)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pyzip-'));
    const file = join(dir, 'IHE_XDM.ZIP');
    execFileSync('python3', ['-c', `
import zipfile
with zipfile.ZipFile(${JSON.stringify(file)}, 'w') as z:
    z.writestr(zipfile.ZipInfo('README.TXT'), 'lisez-moi', compress_type=zipfile.ZIP_STORED)
    z.writestr('IHE_XDM/SUBSET01/DOC0001.XML', '<a>' + 'é' * 5000 + '</a>', compress_type=zipfile.ZIP_DEFLATED)
    z.writestr('IHE_XDM/SUBSET01/Résumé.txt', 'x', compress_type=zipfile.ZIP_DEFLATED)
`]);
    const entries = readZipSafely(new Uint8Array(readFileSync(file)));
    expect(entries.map((e) => e.name)).toEqual(['README.TXT', 'IHE_XDM/SUBSET01/DOC0001.XML', 'IHE_XDM/SUBSET01/Résumé.txt']);
    expect(new TextDecoder().decode(entries[1].data)).toBe(`<a>${'é'.repeat(5000)}</a>`);
  });
});
