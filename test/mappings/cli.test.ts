import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { GeneratedDocuments } from '../validation/generated-documents.js';
import { CDA_EXAMPLES, sampleHprimLatin1 } from './fixtures.js';

const generated = new GeneratedDocuments();

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t; }, err: (t) => { err += t; }, env: {} });
  return { code, out, err };
}

describe('passerelle map', () => {
  const dir = mkdtempSync(join(tmpdir(), 'map-cli-'));
  const hprimFile = join(dir, 'report.hpr');
  writeFileSync(hprimFile, sampleHprimLatin1());

  it('hprim-to-cda reads ISO-8859-1 and prints the CR-BIO; writes the XDM; cda-to-hprim and xdm read them back', async () => {
    const xdm = join(dir, 'IHE_XDM.ZIP');
    const a = await run('map', 'hprim-to-cda', hprimFile, '--xdm', xdm);
    expect(a.code).toBe(0);
    expect(a.err).toContain('alert: panic');
    expect(a.err).toContain('X-MSS-INS: N');
    expect(a.out).toContain('<ClinicalDocument');
    expect(a.out).toContain('Créatinine');
    generated.keep(a.out, 'cli');
    const cdaFile = join(dir, 'doc.xml');
    writeFileSync(cdaFile, a.out);
    const hpr = join(dir, 'back.hpr');
    const b = await run('map', 'cda-to-hprim', cdaFile, '--out', hpr);
    expect(b.code).toBe(0);
    // The ISO-8859-1 file is the original, byte for byte, less the social-security number (never carried in the CDA).
    const expected = Buffer.from(sampleHprimLatin1()).toString('latin1').replace('2680333063123 47', '');
    expect(readFileSync(hpr).toString('latin1')).toBe(expected);
    expect(b.out).toContain('RES|Créatinine|CREA|N|9.1|mg/l|6.0|11.0|N|F|80.5|µmol/l|53.1|97.4\r\n');
    const c = await run('map', 'xdm', xdm);
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/IHE_XDM\/SUBSET01\/DOC0001\.XML: text\/xml, \d+ bytes, format urn:ihe:lab:xd-lab:2008, type 11502-2/);
    expect(c.out).toContain('RES|Potassium|K|N|6.9|mmol/l|3.5|5.0|HH|F');
    expect(readFileSync(xdm).subarray(0, 2)).toEqual(Buffer.from('PK'));
  });

  it('cda-to-hprim on an official example; clear errors on bad input', async () => {
    const ok = await run('map', 'cda-to-hprim', join(CDA_EXAMPLES, 'BIO-CR-BIO_2024.01_TSH_1.xml'));
    expect(ok.out).toContain('RES|Thyroxine libre (FT4)|FT4|N|7.67|pg/mL|9.30|17.00|L|F');
    const bad = join(dir, 'bad.xml');
    writeFileSync(bad, '<html/>');
    expect(await run('map', 'cda-to-hprim', bad)).toMatchObject({ code: 1, err: expect.stringContaining('not a CDA R2 document') });
    expect(await run('map', 'xdm', bad)).toMatchObject({ code: 1, err: expect.stringContaining('not a ZIP archive') });
    expect(await run('map', 'hprim-to-cda', bad)).toMatchObject({ code: 1, err: expect.stringContaining('not an HPRIM lab report') });
    expect((await run('map', 'nope', bad)).code).toBe(2);
    expect((await run('map', 'xdm', join(dir, 'missing.zip'))).err).toContain('ENOENT');
  });

  it('the CR-BIO printed by the command validates', () => {
    const { xsd, schematron } = generated.validateAll();
    expect(Object.fromEntries(xsd)).toEqual({});
    expect(Object.fromEntries(schematron)).toEqual({});
  });
});
