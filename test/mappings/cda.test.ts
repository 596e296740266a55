import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import type { LabReport } from '../../core/model/content.js';
import { cdaToLegacy, CdaReadError, readCda } from '../../mappings/cda/read-cda.js';
import { hprimToCrBio } from '../../mappings/cda/write-cr-bio.js';
import { alertOf, alertSubjectTag, alertHeaders } from '../../mappings/alerts/alert.js';
import { readHprim, writeHprim } from '../../mappings/hprim/index.js';
import { GeneratedDocuments } from '../validation/generated-documents.js';
import { CDA_EXAMPLES, sampleHprim } from './fixtures.js';

const generated = new GeneratedDocuments();
const NOW = new Date('2026-11-20T10:15:00Z');
const sample = sampleHprim();
const report = () => readHprim(sample).report!;
const HL7 = 'urn:hl7-org:v3';

function dom(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
}
function observations(xml: string): Element[] {
  return Array.from(dom(xml).getElementsByTagNameNS(HL7, 'observation') as unknown as ArrayLike<Element>)
    .filter((o) => Array.from(o.getElementsByTagNameNS(HL7, 'templateId') as unknown as ArrayLike<Element>).some((t) => t.getAttribute('root') === '1.3.6.1.4.1.19376.1.3.1.6'));
}
/** The sample without the social-security number, which by design never reaches the CDA. */
function withoutSsn(r: LabReport): LabReport {
  return { ...r, patient: { ...r.patient, socialSecurityNumber: '' } };
}

describe('HPRIM → CDA R2 CR-BIO 2024.01', () => {
  it('maps the sample: header, LOINC or local codes, UCUM units, ranges, interpretation codes, PDF copy', async () => {
    const doc = await hprimToCrBio(report(), { now: NOW, documentId: 'sample-1' });
    generated.keep(doc.xml, 'sample');
    const d = dom(doc.xml);
    const root = d.documentElement;
    expect(root.getElementsByTagNameNS(HL7, 'title')[0].textContent).toBe("Compte rendu d'examens biologiques");
    const obs = observations(doc.xml);
    expect(obs).toHaveLength(4);
    const code = (o: Element) => o.getElementsByTagNameNS(HL7, 'code')[0];
    expect(code(obs[0]).getAttribute('code')).toBe('2823-3');
    expect(code(obs[0]).getElementsByTagNameNS(HL7, 'translation')[0].getAttribute('code')).toBe('K');
    expect(code(obs[3]).getAttribute('code')).toBeNull();
    expect(code(obs[3]).getElementsByTagNameNS(HL7, 'translation')[0].getAttribute('code')).toBe('ASPE');
    const value = (o: Element, i = 0) => Array.from(o.childNodes as unknown as ArrayLike<Element>).filter((c) => c.localName === 'value')[i];
    expect(value(obs[0]).getAttribute('unit')).toBe('mmol/L');
    expect(value(obs[1], 1).getAttribute('unit')).toBe('umol/L');
    expect(value(obs[3]).textContent).toBe('Limpide');
    const interp = obs.map((o) => o.getElementsByTagNameNS(HL7, 'interpretationCode')[0].getAttribute('code'));
    expect(interp).toEqual(['HH', 'N', 'L', 'N']);
    const low = obs[0].getElementsByTagNameNS(HL7, 'low')[0];
    expect([low.getAttribute('value'), low.getAttribute('unit')]).toEqual(['3.5', 'mmol/L']);
    expect(doc.pdf.subarray(0, 5)).toEqual(new TextEncoder().encode('%PDF-'));
    expect(doc.xml).toContain('<templateId root="1.2.250.1.213.1.1.2.243"/>');
  });

  it('never writes the social-security number, and identifies the patient by a lab-local id (not an INS)', async () => {
    const doc = await hprimToCrBio(report(), { now: NOW, documentId: 'sample-2' });
    generated.keep(doc.xml, 'identity');
    expect(doc.xml).not.toContain('2680333063123');
    const pid = dom(doc.xml).getElementsByTagNameNS(HL7, 'patientRole')[0].getElementsByTagNameNS(HL7, 'id')[0];
    expect(pid.getAttribute('extension')).toBe('LAB0000033/0000423187');
    expect(pid.getAttribute('root')).not.toMatch(/^1\.2\.250\.1\.213\.1\.4\./);
  });

  it('alerts: panic and abnormal values are red in the narrative, the level and a neutral subject tag are exposed', async () => {
    const r = report();
    const doc = await hprimToCrBio(r, { now: NOW, documentId: 'sample-3' });
    generated.keep(doc.xml, 'alerts');
    expect(doc.xml).toMatch(/<tr ID="res-1" styleCode="Bold Underline xRed xAlertPanic">/);
    expect(doc.xml).toMatch(/<tr ID="res-3" styleCode="Bold xRed xAlertAbnormal">/);
    expect(doc.xml).toMatch(/<tr ID="res-2">/);
    expect(alertOf(r)).toBe('panic');
    expect(alertSubjectTag(r)).toBe('[ALERTE RESULTAT CRITIQUE]');
    expect(alertSubjectTag(r)).not.toContain(r.patient.lastName);
    expect(alertHeaders(r)).toMatchObject({ Priority: 'urgent', 'X-Priority': '1' });
    const abnormal = { ...r, results: r.results.filter((x) => x.flag !== 'HH') };
    expect(alertOf(abnormal)).toBe('abnormal');
    expect(alertSubjectTag(abnormal)).toBe('[RESULTAT ANORMAL]');
    const normal = { ...r, results: r.results.filter((x) => x.flag === 'N') };
    expect(alertOf(normal)).toBe('none');
    expect(alertSubjectTag(normal)).toBe('');
  });

  it('edge cases still validate: no results, unknown units and codes, non-numeric values, corrected and unvalidated results, empty header fields', async () => {
    const base = report();
    const variants: Array<[string, LabReport]> = [
      ['no-results', { ...base, results: [], texts: [], layout: undefined }],
      ['odd-values', { ...base, results: [
        { label: 'Troponine', code: 'TROP', type: 'N', value: '<0,01', unit: 'µg/l', low: '', high: '0,04', flag: 'N', status: 'F' },
        { label: 'Groupe', code: 'GRP', type: 'C', value: 'A+', unit: '', low: '', high: '', flag: '', status: 'C' },
        { label: 'Culture', code: '', type: 'A', value: 'Absence de germe', unit: '', low: '', high: '', flag: '', status: 'R' },
        { label: '', code: 'X1', type: 'N', value: '12', unit: 'unités bizarres', low: 'a', high: 'b', flag: 'H', status: '' },
        { label: 'Sodium', code: 'NA', type: 'N', value: '150', unit: 'mmol/l', low: '135', high: '', flag: 'HH', status: 'F', value2: '' },
      ] }],
      ['empty-header', { ...base, patient: { fileNumber: '', lastName: '', firstName: '', address1: '', address2: '', postcodeCity: '', birthDate: '', socialSecurityNumber: '' }, requestNumber: '', examDate: '', sender: { code: '', local: '' }, recipient: { code: '', local: '' } }],
    ];
    for (const [name, r] of variants) {
      const doc = await hprimToCrBio(r, { now: NOW, documentId: name });
      generated.keep(doc.xml, name);
      const back = readCda(doc.xml).report!;
      expect(back.results, name).toEqual(r.results);
    }
  });
});

describe('CDA → HPRIM', () => {
  it('our CR-BIO comes back as the original HPRIM, every field and flag included (the SSN excepted by design)', async () => {
    const doc = await hprimToCrBio(report(), { now: NOW, documentId: 'rt-1' });
    generated.keep(doc.xml, 'round-trip');
    const legacy = cdaToLegacy(doc.xml);
    expect(legacy.report).toEqual(withoutSsn(report()));
    expect(legacy.hprim).toBe(writeHprim(withoutSsn(report())));
    expect(legacy.attachments.map((a) => a.contentType)).toEqual(['application/pdf']);
  });

  it('the TSH example reads sensibly: codes, values, units, ranges, flags, patient (INS-NIR as line 8)', () => {
    const r = cdaToLegacy(readFileSync(join(CDA_EXAMPLES, 'BIO-CR-BIO_2024.01_TSH_1.xml'), 'utf8'));
    const rep = r.report!;
    expect(rep.patient).toMatchObject({ lastName: 'PAT-TROIS', firstName: 'DOMINIQUE', birthDate: '28/03/1979', socialSecurityNumber: '2790351215189 89', postcodeCity: '75007 Paris' });
    expect(rep.results).toEqual([
      { label: 'Thyréostimuline (TSH)', code: 'TSH', type: 'N', value: '1.950', unit: 'm[IU]/L', low: '0.270', high: '4.200', flag: 'N', status: 'F' },
      { label: 'Thyroxine libre (FT4)', code: 'FT4', type: 'N', value: '7.67', unit: 'pg/mL', low: '9.30', high: '17.00', flag: 'L', status: 'F' },
    ]);
    expect(rep.texts.join('\n')).toContain('Thyroxine libre (FT4) (ECL Modular) | 7.67 pg/ml | (9.30 - 17.00)');
    expect(readHprim(r.hprim!).issues.filter((i) => i.line !== 11 && i.line !== 12)).toEqual([]);
    expect(r.attachments[0]).toMatchObject({ contentType: 'application/pdf' });
  });

  it('the non-LOINC example keeps its local code and its "< 1.0" value', () => {
    const rep = cdaToLegacy(readFileSync(join(CDA_EXAMPLES, 'BIO-CR-BIO_2024.01_CRP_non_LOINC.xml'), 'utf8')).report!;
    expect(rep.results).toEqual([{ label: 'CRP', code: '1234', type: 'N', value: '<=1.0', unit: 'mg/L', low: '', high: '5.0', flag: 'N', status: 'F' }]);
  });

  it('the microbiology example gives its coded and numeric results and the antibiogram as text', () => {
    const r = cdaToLegacy(readFileSync(join(CDA_EXAMPLES, 'BIO-CR-BIO_2024.01_Microbiologie_V1.xml'), 'utf8'));
    const rep = r.report!;
    expect(rep.results.length).toBeGreaterThanOrEqual(10);
    expect(rep.results[0]).toMatchObject({ label: 'Couleur', type: 'C', value: 'paille' });
    expect(rep.results.find((x) => x.label === 'Leucocytes')).toMatchObject({ type: 'N', value: '500', unit: '/mL' });
    expect(rep.texts.join('\n')).toMatch(/Escherichia coli/);
    const reread = readHprim(r.hprim!);
    expect(reread.report!.results).toEqual(rep.results);
  });

  it('any other CDA becomes a faithful plain-text rendering', () => {
    const letter = `<?xml version="1.0" encoding="UTF-8"?><ClinicalDocument xmlns="urn:hl7-org:v3"><code code="34133-9" codeSystem="2.16.840.1.113883.6.1"/><title>Lettre de liaison</title><effectiveTime value="20261120101500+0100"/>
<recordTarget><patientRole><patient><name><given>Jeanne</given><family>TEST</family></name><birthTime value="19500101"/></patient></patientRole></recordTarget>
<component><structuredBody><component><section><title>Motif</title><text><paragraph>Suivi <content styleCode="Bold">post-opératoire</content>.</paragraph><list><item>Point un</item><item>Point deux</item></list><table><tr><th>Examen</th><th>Date</th></tr><tr><td>Radio</td><td>12/11</td></tr></table></text>
<component><section><title>Conclusion</title><text>RAS<br/>À revoir dans 1 mois.</text></section></component></section></component></structuredBody></component></ClinicalDocument>`;
    const r = readCda(letter);
    expect(r.kind).toBe('other');
    expect(r.report).toBeUndefined();
    expect(r.text).toBe('Lettre de liaison\nDate : 20/11/2026 10:15\nPatient : Jeanne TEST, né(e) le 01/01/1950\n\n# Motif\nSuivi post-opératoire.\n- Point un\n- Point deux\nExamen | Date\nRadio | 12/11\n\n## Conclusion\nRAS\nÀ revoir dans 1 mois.\n');
    expect(cdaToLegacy(letter).hprim).toBeUndefined();
  });

  it('refuses what is not CDA with a typed error', () => {
    expect(() => readCda('<html/>')).toThrow(CdaReadError);
    expect(() => readCda('not xml <')).toThrow(CdaReadError);
  });
});

describe('validation of every CR-BIO generated in this file', () => {
  it('all pass CDA_extended.xsd and the CR-BIO 2024.01 schematron', () => {
    expect(generated.files.length).toBeGreaterThanOrEqual(6);
    const { xsd, schematron } = generated.validateAll();
    expect(Object.fromEntries(xsd)).toEqual({});
    expect(Object.fromEntries(schematron)).toEqual({});
  });
});
