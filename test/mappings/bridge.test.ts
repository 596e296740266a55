import { describe, expect, it } from 'vitest';
import { hprimToNational, xdmToLegacy, readHprim, writeHprim, buildXdm, XDS_CODES } from '../../mappings/index.js';
import { GeneratedDocuments } from '../validation/generated-documents.js';
import { sampleHprim, sampleHprimLatin1 } from './fixtures.js';

const generated = new GeneratedDocuments();
const NOW = new Date('2026-11-20T10:15:00Z');

describe('legacy HPRIM → national message content', () => {
  it('builds IHE_XDM.ZIP with the CR-BIO, keeps the original, sets X-MSS headers, alert and neutral subject tag', async () => {
    const text = sampleHprim();
    const out = await hprimToNational(text, { now: NOW, documentId: 'bridge-1', originalBytes: sampleHprimLatin1() });
    generated.keep(out.cda!.xml, 'bridge');
    expect(out.headers).toEqual({ 'X-MSS-CODECDA': '11502-2', 'X-MSS-INS': 'N', Priority: 'urgent', Importance: 'high', 'X-Priority': '1' });
    expect(out.alert).toBe('panic');
    expect(out.subjectTag).toBe('[ALERTE RESULTAT CRITIQUE]');
    expect(out.attachments.map((a) => [a.filename, a.contentType])).toEqual([['IHE_XDM.ZIP', 'application/zip'], ['original.hpr', 'text/plain; charset=iso-8859-1']]);
    expect(new TextDecoder('latin1').decode(out.attachments[1].data)).toBe(text);
    const legacy = await xdmToLegacy(out.xdm!);
    expect(legacy.issues).toEqual([]);
    const back = readHprim(legacy.hprim[0]).report!;
    expect(back.results).toEqual(readHprim(text).report!.results);
    expect(back.patient.socialSecurityNumber).toBe('');
    expect(legacy.alert).toBe('panic');
    expect(legacy.attachments.map((a) => a.filename)).toEqual(["Compte rendu d'examens biologiques.pdf", 'IHE_XDM.ZIP']);
    expect(legacy.text).toContain('Potassium');
  });

  it('a social-security number never makes the INS qualified', async () => {
    const out = await hprimToNational(sampleHprim(), { now: NOW, documentId: 'bridge-2' });
    generated.keep(out.cda!.xml, 'bridge-ins');
    expect(out.report!.patient.socialSecurityNumber).toBe('2680333063123 47');
    expect(out.headers['X-MSS-INS']).toBe('N');
  });

  it('text that is not an HPRIM report still travels, as the original attachment', async () => {
    const out = await hprimToNational('Bonjour docteur,\r\nvoici un mot.\r\n');
    expect(out.cda).toBeUndefined();
    expect(out.headers).toEqual({ 'X-MSS-INS': 'N' });
    expect(out.attachments.map((a) => a.filename)).toEqual(['original.hpr']);
    expect(out.issues[0].line).toBe(2);
  });

  it('an XDM with a PDF and a non-CDA XML gives attachments and issues, never loses the archive', async () => {
    const pdf = new TextEncoder().encode('%PDF-1.4 tiny');
    const zip = await buildXdm([
      { data: pdf, mimeType: 'application/pdf', uniqueId: '2.25.9', ...XDS_CODES.pdf, title: 'Scan', creationTime: NOW },
      { data: new TextEncoder().encode('<note>not cda</note>'), mimeType: 'text/xml', uniqueId: '2.25.10', ...XDS_CODES.crBio, title: 'Odd', creationTime: NOW },
    ], { patientId: 'x^^^&2.25.1&ISO', now: NOW });
    const legacy = await xdmToLegacy(zip);
    expect(legacy.hprim).toEqual([]);
    expect(legacy.attachments.map((a) => a.filename)).toEqual(['Scan.pdf', 'Odd.xml', 'IHE_XDM.ZIP']);
    expect(legacy.issues[0]).toMatch(/DOC0002\.XML: not a CDA R2 document/);
  });

  it('every CR-BIO generated here validates', () => {
    const { xsd, schematron } = generated.validateAll();
    expect(Object.fromEntries(xsd)).toEqual({});
    expect(Object.fromEntries(schematron)).toEqual({});
    expect(writeHprim(readHprim(sampleHprim()).report!)).toBe(sampleHprim());
  });
});
