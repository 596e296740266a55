/**
 * HPRIM as laboratories really write it (issue 17): inner-space local codes, the 13-line
 * header, malformed and impossible dates, a preamble before the header, no header at all,
 * fixed-width codes, control characters. Each variant: what the reader reports, what the
 * CR-BIO carries (schema and schematron checked at the end), and what comes back.
 */
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import type { Content } from '../../core/model/content.js';
import type { OpenedMessage } from '../../core/model/message.js';
import { cdaToLegacy, readCda } from '../../mappings/cda/read-cda.js';
import { hprimToCrBio } from '../../mappings/cda/write-cr-bio.js';
import { hprimToNational } from '../../mappings/bridge/hprim-to-national.js';
import { createClinicalTranslator } from '../../mappings/bridge/translator.js';
import { readHprim, writeHprim, type HprimIssueCode } from '../../mappings/hprim/index.js';
import { GeneratedDocuments } from '../validation/generated-documents.js';
import { sampleHprim } from './fixtures.js';

const generated = new GeneratedDocuments();
/** The run's clock: a date that must never appear as a clinical date. */
const NOW = new Date('2026-12-04T21:00:00Z');
const HL7 = 'urn:hl7-org:v3';
const lines = sampleHprim().split('\r\n');

function variant(edit: (l: string[]) => void): string {
  const l = [...lines];
  edit(l);
  return l.join('\r\n');
}
/** What comes back from the national side: the same text, line 8 (social-security number, never written) empty. */
function expectedBack(text: string, ssnLine = 8): string {
  const l = text.split('\r\n');
  l[ssnLine - 1] = '';
  return l.join('\r\n');
}
function dom(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
}
function all(xml: string, local: string): Element[] {
  return Array.from(dom(xml).getElementsByTagNameNS(HL7, local) as unknown as ArrayLike<Element>);
}
async function roundTrip(text: string, label: string) {
  const reading = readHprim(text);
  const doc = await hprimToCrBio(reading.report!, { now: NOW, documentId: label, issues: reading.issues });
  generated.keep(doc.xml, label);
  const back = cdaToLegacy(doc.xml);
  return { reading, codes: reading.issues.map((i) => i.code), xml: doc.xml, back: back.hprim!, report: back.report! };
}
/** Our CR-BIO read as a national document without our narrative IDs is read (structure only). */
function structuredOnly(xml: string) {
  return readCda(xml.replace(/ ID="(?:res|hdr|pre|free|tex)-[^"]*"/g, '')).report!;
}

describe('issue 17: local codes with inner spaces', () => {
  it('`NF   030` and `MICR 030` become schema-valid code tokens and come back exactly', async () => {
    const text = variant((l) => { l[16] = 'RES|Potassium|NF   030|N|6.9|mmol/l|3.5|5.0|HH|F'; l.splice(17, 0, 'RES|Examen microbio|MICR 030|A|Absence de germe||||N|F'); });
    const { codes, xml, back } = await roundTrip(text, 'inner-space-codes');
    expect(codes).toEqual([]);
    const translations = all(xml, 'translation').map((t) => t.getAttribute('code'));
    expect(translations.slice(0, 2)).toEqual(['NF%20%20%20030', 'MICR%20030']);
    expect(translations.every((c) => /^[^\s]+$/.test(c ?? ''))).toBe(true);
    expect(back).toBe(expectedBack(text));
    expect(structuredOnly(xml).results.slice(0, 2).map((r) => r.code)).toEqual(['NF   030', 'MICR 030']);
  });
});

describe('issue 17: the 13th-line report date', () => {
  it.each([['06/03/2024 14:32', '202403061432'], ['06/03/2024 14h32', '202403061432'], ['06/03/2024 14:32:05', '20240306143205'], ['06/03/2024', '20240306']])(
    '%s is the document time and comes back on line 13', async (date, hl7) => {
      const text = variant((l) => l.splice(12, 0, date));
      const { codes, xml, back, report } = await roundTrip(text, 'report-date');
      expect(codes).toEqual([]);
      const d = dom(xml).documentElement;
      const child = (name: string) => Array.from(d.childNodes as unknown as ArrayLike<Element>).find((c) => c.localName === name)!;
      expect(child('effectiveTime').getAttribute('value')).toBe(hl7);
      expect(all(xml, 'author')[0].getElementsByTagNameNS(HL7, 'time')[0].getAttribute('value')).toBe(hl7);
      expect(report.reportDate).toBe(date);
      expect(back).toBe(expectedBack(text));
      expect(back.split('\r\n')[12]).toBe(date);
    });

  it('an impossible report date is an issue, is not the document time, and comes back as written', async () => {
    const text = variant((l) => l.splice(12, 0, '31/02/2024 25:70'));
    const { codes, xml, back } = await roundTrip(text, 'report-date-impossible');
    expect(codes).toEqual(['report-date-impossible']);
    expect(xml).not.toContain('20240231');
    expect(back).toBe(expectedBack(text));
  });
});

describe('issue 17: dates that cannot be read are never invented', () => {
  const cases: Array<[string, string, string, HprimIssueCode[], string[]]> = [
    ['malformed', '1970-01-01', '05/03/24', ['birth-date-format', 'exam-date-format'], ['19700101', '20240305', '240305']],
    ['impossible', '30/02/1970', '31/02/2024', ['birth-date-impossible', 'exam-date-impossible'], ['19700230', '20240231']],
  ];
  it.each(cases)('%s birth and exam dates: issues, UNK in the structure, the original kept in the document and given back exactly', async (label, birth, exam, expectedCodes, forbidden) => {
    const text = variant((l) => { l[6] = birth; l[9] = exam; });
    const { codes, xml, back, report } = await roundTrip(text, `dates-${label}`);
    expect(codes).toEqual(expectedCodes);
    for (const f of forbidden) expect(xml).not.toContain(f);
    expect(all(xml, 'birthTime')[0].getAttribute('nullFlavor')).toBe('UNK');
    const service = all(xml, 'serviceEvent')[0];
    expect(service.getElementsByTagNameNS(HL7, 'effectiveTime')).toHaveLength(0);
    const results = all(xml, 'observation').filter((o) => o.getElementsByTagNameNS(HL7, 'templateId')[0].getAttribute('root') === '1.3.6.1.4.1.19376.1.3.1.6');
    expect(results.map((o) => o.getElementsByTagNameNS(HL7, 'effectiveTime')[0].getAttribute('nullFlavor'))).toEqual(['UNK', 'UNK', 'UNK', 'UNK']);
    // The original text is in the document, and the French label says why it is not in the structure.
    const ids = new Map(all(xml, 'content').map((c) => [c.getAttribute('ID'), c.textContent]));
    expect([ids.get('hdr-7'), ids.get('hdr-10')]).toEqual([birth, exam]);
    expect(xml).toContain(label === 'malformed' ? "Date d'examen illisible" : "Date d'examen impossible");
    // Coming back: exactly as written, never the run's date.
    expect([report.patient.birthDate, report.examDate]).toEqual([birth, exam]);
    expect(back).toBe(expectedBack(text));
    expect(back).not.toContain('04/12/2026');
    // Read from the structure alone (as another system would), the unknown dates stay empty.
    const s = structuredOnly(xml);
    expect([s.patient.birthDate, s.examDate]).toEqual(['', '']);
  });

  it('a report with no exam date at all gets none back, not the document time', async () => {
    const text = variant((l) => { l[9] = ''; });
    const { xml } = await roundTrip(text, 'no-exam-date');
    expect(structuredOnly(xml).examDate).toBe('');
  });

  it('29/02 is a date in a leap year only', () => {
    expect(readHprim(variant((l) => { l[9] = '29/02/2024'; })).issues).toEqual([]);
    expect(readHprim(variant((l) => { l[9] = '29/02/2023'; })).issues.map((i) => [i.code, i.line])).toEqual([['exam-date-impossible', 10]]);
  });
});

describe('issue 17: header found by its shape', () => {
  it.each([[['EXPORT LABO BIO33 V2.1']], [['Laboratoire de biologie', '']], [['', 'H|^~\\&|LAB33', 'Page 1/1']]])(
    'preamble %j: kept as free text, every field in place, valid CR-BIO, given back before the header', async (preamble) => {
      const text = variant((l) => l.unshift(...preamble));
      const { codes, reading, xml, back, report } = await roundTrip(text, 'preamble');
      expect(codes).toEqual(['preamble']);
      expect(reading.report!.preamble).toEqual(preamble);
      expect(reading.report!.patient).toMatchObject({ fileNumber: '0000423187', lastName: 'TESTPATIENT', birthDate: '14/03/1968' });
      expect(reading.report!.sender).toEqual({ code: 'LAB0000033', local: 'labo.bio33' });
      expect(reading.report!.results).toHaveLength(4);
      expect(all(xml, 'patientRole')[0].getElementsByTagNameNS(HL7, 'id')[0].getAttribute('extension')).toBe('LAB0000033/0000423187');
      expect(report.preamble).toEqual(preamble);
      expect(back).toBe(expectedBack(text, preamble.length + 8));
    });

  it('no header shape: no structure, a clear issue, the text travels (with a French note) and the original is attached', async () => {
    const text = ['Bonjour,', 'veuillez trouver les résultats :', 'K 6,9 mmol/l', 'Créatinine 9,1 mg/l', ...Array.from({ length: 10 }, (_, k) => `ligne ${k}`), '****FINFICHIER****', ''].join('\r\n');
    const r = readHprim(text);
    expect(r.report).toBeUndefined();
    expect(r.issues.map((i) => i.code)).toEqual(['header-not-found']);
    const out = await hprimToNational(text, { now: NOW });
    expect(out.cda).toBeUndefined();
    expect(out.attachments.map((a) => a.filename)).toEqual(['original.hpr']);
    const translate = createClinicalTranslator({ now: () => NOW });
    const m: OpenedMessage = {
      envelope: { id: 'm1', source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: '<m1@x>', receivedAt: 0, size: 1, rawRef: 'r' },
      from: 'a@x', to: ['b@y'], cc: [], subject: '', content: { kind: 'lab-report', hprim: text, text, attachments: [] } as Content, meta: {},
    };
    const sent = await translate(m, { network: 'mssante', recipients: ['dr@mssante.test'], from: 'labo@gw.test', messageId: '<t1@gw>' });
    if (sent.content.kind !== 'lab-report') throw new Error('kind');
    expect(sent.content.hprim).toBe(text);
    expect(sent.content.text).toBe(`Remarque de la passerelle :\nLigne 1 : En-tête HPRIM non reconnu : le compte rendu est transmis en texte, sans structure.\n\n${text}`);
  });
});

describe('issue 17: other shapes labs write', () => {
  it('fixed-width codes on lines 11 and 12 keep their padding and give a clean LOCAL', async () => {
    const text = variant((l) => { l[10] = 'LAB33      labo.bio33'; l[11] = 'MED1 '; });
    const { codes, reading, xml, back } = await roundTrip(text, 'fixed-width');
    expect(codes).toEqual([]);
    expect(reading.report!.sender).toEqual({ code: 'LAB33', local: 'labo.bio33', gap: '      ' });
    expect(reading.report!.recipient).toEqual({ code: 'MED1', local: '', gap: ' ' });
    expect(all(xml, 'representedOrganization')[0].getElementsByTagNameNS(HL7, 'name')[0].textContent).toBe('labo.bio33');
    expect(back).toBe(expectedBack(text));
  });

  it('a control character XML cannot carry is an issue (line and column), and the CR-BIO stays valid', async () => {
    const text = variant((l) => { l[16] = 'RES|Pot\u0001assium|K\u0002|N|6.9|mmol/l|3.5|5.0|HH|F'; l[2] = 'CAM\u0007ILLE'; });
    const { codes, reading } = await roundTrip(text, 'control-character');
    expect(codes).toEqual(['xml-character', 'xml-character']);
    expect(reading.issues.map((i) => [i.line, i.column])).toEqual([[3, 4], [17, 8]]);
  });

  it('a result whose label and code hold nothing XML can carry still gets a local code with a display name (the code token)', async () => {
    // Found by the property test: the translation had @code and no @displayName, which the CR-BIO schematron refuses.
    const text = variant((l) => { l[16] = 'RES|\u0001|\u0002|N|6.9|mmol/l|3.5|5.0|HH|F'; });
    const { xml } = await roundTrip(text, 'unwritable-label-and-code');
    const t = all(xml, 'translation')[0]!;
    expect([t.getAttribute('code'), t.getAttribute('displayName')]).toEqual(['%02', '%02']);
  });

  it('tabs and runs of spaces in any field come back exactly', async () => {
    const text = variant((l) => { l[1] = 'DE  LA\tTOUR '; l[3] = ' 12\tRUE'; l[5] = '33000   BORDEAUX'; l[16] = 'RES|Potassium\t| K\tK |N|6.9 |mmol/l|3.5|5.0|HH|F'; });
    const { codes, back, xml } = await roundTrip(text, 'whitespace');
    expect(codes).toEqual([]);
    expect(all(xml, 'translation')[0].getAttribute('code')).toBe('%20K%09K%20');
    expect(back).toBe(expectedBack(text));
  });

  it('every generated CR-BIO passes the schema and the schematron', () => {
    expect(generated.files.length).toBeGreaterThan(10);
    const { xsd, schematron } = generated.validateAll();
    expect(Object.fromEntries(xsd)).toEqual({});
    expect(Object.fromEntries(schematron)).toEqual({});
  });
});
