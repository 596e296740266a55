import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LabReport, LabResult } from '../../core/model/content.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cdaToLegacy, readCda } from '../../mappings/cda/read-cda.js';
import { hprimToCrBio } from '../../mappings/cda/write-cr-bio.js';
import { DOMParser } from '@xmldom/xmldom';
import { readHprim, readHprimDate, readParty, readReportDate, writeHprim } from '../../mappings/hprim/index.js';
import { UNIT_TO_UCUM, ucumFor } from '../../mappings/tables/ucum.js';
import { GeneratedDocuments } from '../validation/generated-documents.js';
import { CDA_EXAMPLES } from './fixtures.js';

const generated = new GeneratedDocuments();
const RUN_CLOCK = new Date('2026-12-04T21:00:00Z');
const HL7_NS = 'urn:hl7-org:v3';
// eslint-disable-next-line no-control-regex
const XML_UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const dom = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);

/** Characters a lab might write in a field: letters with accents, digits, punctuation, XML specials, spaces, a few symbols beyond Latin-1. */
const CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', ...'éèêàçùôîÉÀµ°²%/.,;:-+*<>=&"\'()[]#_ ', '≥', '≤', 'Ω', '€', '→', '日'];
const field = fc.array(fc.constantFrom(...CHARS), { maxLength: 24 }).map((a) => a.join(''));
const token = fc.array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.'), { maxLength: 10 }).map((a) => a.join(''));
const number = fc.tuple(fc.integer({ min: -999, max: 99999 }), fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }), fc.boolean())
  .map(([i, d, comma]) => (d === undefined ? String(i) : `${i}${comma ? ',' : '.'}${d}`));
/** Comparators as labs write them (`<=1.0`, `< 0,01`, `≥5`) and ranges (`1-3`, `2,5 - 4`). */
const COMPARATORS = ['<', '<=', '>', '>=', '≤', '≥'] as const;
const compared = fc.tuple(fc.constantFrom(...COMPARATORS), fc.constantFrom('', ' '), number).map(([op, sp, n]) => `${op}${sp}${n}`);
const range = fc.tuple(number, fc.constantFrom('-', ' - '), number).map(([a, sep, b]) => `${a}${sep}${b}`);
const unit = fc.oneof(fc.constantFrom('mmol/l', 'g/l', 'mg/l', 'µmol/l', 'g/dl', '%', 'UI/l', 'mUI/l', 'G/l', ''), field);

const result: fc.Arbitrary<LabResult> = fc.record({
  label: field, code: token,
  type: fc.constantFrom<LabResult['type']>('N', 'A', 'C', ''),
  value: fc.oneof(number, field, token, compared, range), unit,
  low: fc.oneof(number, fc.constant(''), field), high: fc.oneof(number, fc.constant(''), field),
  flag: fc.constantFrom<LabResult['flag']>('L', 'H', 'LL', 'HH', 'N', ''),
  status: fc.constantFrom<LabResult['status']>('F', 'R', 'C', ''),
  extras: fc.integer({ min: 0, max: 4 }),
  value2: fc.oneof(number, field, compared, range), unit2: unit, low2: fc.oneof(number, field), high2: fc.oneof(number, field),
}).map(({ extras, value2, unit2, low2, high2, ...r }) => {
  const out: LabResult = { ...r };
  if (extras >= 1) out.value2 = value2;
  if (extras >= 2) out.unit2 = unit2;
  if (extras >= 3) out.low2 = low2;
  if (extras >= 4) out.high2 = high2;
  return out;
});

const date = fc.tuple(fc.integer({ min: 1, max: 28 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1900, max: 2030 }))
  .map(([d, m, y]) => `${String(d).padStart(2, '0')}/${String(m).padStart(2, '0')}/${y}`);
const freeLine = field.filter((l) => !l.startsWith('****') && !/^\d{2}\/\d{2}\/\d{4}/.test(l));

const report: fc.Arbitrary<LabReport> = fc.record({
  fileNumber: token, lastName: field, firstName: field, address1: field, address2: field, postcodeCity: field,
  birthDate: fc.oneof(date, fc.constant('')), requestNumber: token, examDate: fc.oneof(date, fc.constant('')),
  senderCode: token, senderLocal: token, recipientCode: token, recipientLocal: token,
  results: fc.array(result, { maxLength: 8 }),
  texts: fc.array(field, { maxLength: 3 }),
  freeText: fc.array(freeLine, { maxLength: 3 }),
}).map((g) => {
  const r: LabReport = {
    patient: { fileNumber: g.fileNumber, lastName: g.lastName, firstName: g.firstName, address1: g.address1, address2: g.address2, postcodeCity: g.postcodeCity, birthDate: g.birthDate, socialSecurityNumber: '' },
    requestNumber: g.requestNumber, examDate: g.examDate,
    sender: { code: g.senderCode, local: g.senderLocal }, recipient: { code: g.recipientCode, local: g.recipientLocal },
    results: g.results, texts: g.texts,
  };
  if (g.freeText.length) r.freeText = g.freeText;
  return r;
});

/** Any ISO-8859-1 character but the line breaks, control characters included: what an HPRIM field may hold. */
const latin1Char = fc.integer({ min: 0, max: 255 }).filter((c) => c !== 10 && c !== 13).map((c) => String.fromCharCode(c));
const latin1 = fc.array(latin1Char, { maxLength: 24 }).map((a) => a.join(''));
/** A field as labs write it: mostly plain, sometimes any Latin-1. */
const anyField = fc.oneof({ weight: 2, arbitrary: field.map((f) => f.replace(/[^\u0000-\u00FF]/g, '?')) }, { weight: 1, arbitrary: latin1 });
/** Dates as labs write them: right, empty, two-digit years, another order, impossible days, any text. */
const labDate = fc.oneof(
  { weight: 4, arbitrary: date }, { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom('05/03/24', '1970-01-01', '5/3/2024', '2024/03/05', '05.03.2024') },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('29/02', '30/02', '31/02', '31/04', '31/06', '00/05', '12/13', '15/00'), fc.constantFrom('1970', '2023', '2024', '1900', '2000')).map(([dm, y]) => `${dm}/${y}`) },
  { weight: 1, arbitrary: latin1 },
);
const reportDate = fc.oneof(
  fc.constant(undefined),
  fc.tuple(date, fc.constantFrom('', ' 14:32', ' 14h32', ' 08:05:59', ' 23:59')).map(([d, t]) => d + t),
  fc.constantFrom('31/02/2024 14:32', '06/03/2024 24:00', '29/02/2023', '06/03/2024 12:60'),
);
/** Local codes: tokens, inner spaces of fixed-width exports, or any Latin-1. */
const labCode = fc.oneof(token, fc.constantFrom('NF   030', 'MICR 030', ' K', 'K ', 'A%20B', 'GLY\tA'), latin1);
/** Lines 11 and 12: `CODE LOCAL`, fixed-width padding, no LOCAL, any Latin-1. */
const partyLine = fc.oneof(
  fc.tuple(token, token).map(([c, l]) => `${c} ${l}`),
  fc.tuple(token, fc.integer({ min: 0, max: 8 }), token).map(([c, pad, l]) => `${c}${' '.repeat(pad)} ${l}`),
  token, latin1,
);
/** Lines before the header some laboratory software writes (letters: never shaped like a header line). */
const preambleLine = fc.tuple(fc.constantFrom('EXPORT', 'Laboratoire', 'Page', 'LABO'), latin1).map(([w, t]) => `${w}${t}`.replace(/^\*+/, ''));

const labFile = fc.record({
  base: report, preamble: fc.array(preambleLine, { maxLength: 3 }),
  fields: fc.array(anyField, { minLength: 8, maxLength: 8 }),
  birth: labDate, exam: labDate, reportDate,
  sender: partyLine, recipient: partyLine,
  codes: fc.array(labCode, { maxLength: 8 }),
}).map((g) => {
  const r: LabReport = structuredClone(g.base);
  const [fileNumber, lastName, firstName, address1, address2, postcodeCity, requestNumber, tex] = g.fields;
  r.patient = { fileNumber, lastName, firstName, address1, address2, postcodeCity, birthDate: g.birth, socialSecurityNumber: '' };
  r.requestNumber = requestNumber;
  r.examDate = g.exam;
  r.sender = readParty(g.sender);
  r.recipient = readParty(g.recipient);
  if (g.reportDate !== undefined) r.reportDate = g.reportDate;
  if (g.preamble.length) r.preamble = g.preamble;
  r.results.forEach((x, k) => { if (k < g.codes.length) x.code = g.codes[k]; x.label = x.label.replace(/[^\u0000-\u00FF]/g, '?'); });
  r.texts.push(tex);
  return { report: r };
});

/** What HPRIM types `N`: a plain number, nothing else. */
const PLAIN = /^[-+]?\d+(?:[.,]\d+)?$/;
const NUM = '([-+]?\\d+(?:[.,]\\d+)?)';
const COMPARED_RE = new RegExp(`^(<=|>=|<|>|≤|≥)\\s*${NUM}$`);
const RANGE_RE = new RegExp(`^${NUM}\\s*-\\s*${NUM}$`);
const canonical = (n: string) => n.replace(',', '.').replace(/^\+/, '');

/**
 * The value a CR-BIO's structured entry gives back for an HPRIM comparator or range with a
 * known unit (`< 0,01` → `<0.01`, `≥5` → `>=5`, `1 - 3` → `1-3`); undefined for other values.
 */
function intervalText(r: Pick<LabResult, 'type' | 'value' | 'unit'>): string | undefined {
  if (r.type === 'C' || ucumFor(r.unit) === undefined) return undefined;
  const v = r.value.trim();
  const c = COMPARED_RE.exec(v);
  if (c) return `${c[1] === '≤' ? '<=' : c[1] === '≥' ? '>=' : c[1]}${canonical(c[2])}`;
  const g = RANGE_RE.exec(v);
  if (g && Number(canonical(g[1])) <= Number(canonical(g[2]))) return `${canonical(g[1])}-${canonical(g[2])}`;
  return undefined;
}

/** A CR-BIO read from its structured entries only, as a national document without our narrative IDs is read. */
function structuredOnly(xml: string): LabResult[] {
  return readCda(xml.replace(/ ID="res-[^"]*"/g, '')).report!.results;
}

describe('property: HPRIM → CDA → HPRIM keeps every RES field', () => {
  it('HPRIM write → read is the identity on results, texts and free text', () => {
    fc.assert(fc.property(report, (r) => {
      const back = readHprim(writeHprim(r));
      expect(back.report!.results).toEqual(r.results);
      expect(back.report!.texts).toEqual(r.texts);
    }), { numRuns: 300 });
  });

  it('HPRIM → CR-BIO → HPRIM keeps all 14 fields of every RES line, every flag, every TEX line', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(report, async (r) => {
      const hprim = writeHprim(r);
      const read = readHprim(hprim).report!;
      const doc = await hprimToCrBio(read, { now: new Date('2026-11-20T10:00:00Z'), documentId: `prop-${n++}` });
      generated.keep(doc.xml, 'property');
      const legacy = cdaToLegacy(doc.xml);
      const again = readHprim(legacy.hprim!).report!;
      expect(again.results).toEqual(read.results);
      expect(again.texts).toEqual(read.texts);
      expect(again.freeText).toEqual(read.freeText);
      expect(again.results.map((x) => x.flag)).toEqual(r.results.map((x) => x.flag));
      // Read from the structured entries alone: N only for plain numbers; comparators and ranges keep their text, typed A.
      const structured = structuredOnly(doc.xml);
      expect(structured).toHaveLength(read.results.length);
      read.results.forEach((x, k) => {
        const s = structured[k];
        if (s.type === 'N') expect([s.value, s.value2 ?? ''].filter((v) => v !== '' && !PLAIN.test(v))).toEqual([]);
        const interval = intervalText(x);
        if (interval !== undefined) expect({ type: s.type, value: s.value }).toEqual({ type: 'A', value: interval });
      });
    }), { numRuns: RUNS });
  });

  it('a CR-BIO value from the national side (PQ, IVL_PQ with one or two bounds, ST) gets type N only when it is a plain number, keeps its comparator or range, and survives CDA → HPRIM → CDA → HPRIM', async () => {
    const example = readFileSync(join(CDA_EXAMPLES, 'BIO-CR-BIO_2024.01_CRP_non_LOINC.xml'), 'utf8');
    const slot = /<value xsi:type="IVL_PQ">\s*<high value="1.0" unit="mg\/L" inclusive="true" \/>\s*<\/value>/;
    expect(example).toMatch(slot);
    const ucum = fc.constantFrom(...new Set(Object.values(UNIT_TO_UCUM).filter((u) => u !== '1' && ucumFor(u) === u)));
    const decimal = fc.tuple(fc.integer({ min: -999, max: 99999 }), fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }))
      .map(([i, d]) => (d === undefined ? String(i) : `${i}.${d}`));
    const inclusive = fc.constantFrom<'true' | 'false' | undefined>('true', 'false', undefined);
    const incl = (i: string | undefined) => (i === undefined ? '' : ` inclusive="${i}"`);
    type Case = { xml: string; type: LabResult['type']; value: string; unit: string };
    const value: fc.Arbitrary<Case> = fc.oneof(
      fc.tuple(decimal, ucum).map(([n, u]): Case => ({ xml: `<value xsi:type="PQ" value="${n}" unit="${u}"/>`, type: 'N', value: n, unit: u })),
      fc.tuple(decimal, ucum, inclusive, fc.boolean()).map(([n, u, i, ninf]): Case => ({
        xml: `<value xsi:type="IVL_PQ">${ninf ? '<low nullFlavor="NINF"/>' : ''}<high value="${n}" unit="${u}"${incl(i)}/></value>`,
        type: 'A', value: `${i === 'false' ? '<' : '<='}${n}`, unit: u })),
      fc.tuple(decimal, ucum, inclusive, fc.boolean()).map(([n, u, i, pinf]): Case => ({
        xml: `<value xsi:type="IVL_PQ"><low value="${n}" unit="${u}"${incl(i)}/>${pinf ? '<high nullFlavor="PINF"/>' : ''}</value>`,
        type: 'A', value: `${i === 'false' ? '>' : '>='}${n}`, unit: u })),
      fc.tuple(decimal, decimal, ucum).filter(([a, b]) => Number(a) <= Number(b)).map(([a, b, u]): Case => ({
        xml: `<value xsi:type="IVL_PQ"><low value="${a}" unit="${u}"/><high value="${b}" unit="${u}"/></value>`, type: 'A', value: `${a}-${b}`, unit: u })),
      fc.constantFrom('positif', 'traces', '< 1/40', 'Absence de germe').map((t): Case => ({ xml: `<value xsi:type="ST">${t.replace('<', '&lt;')}</value>`, type: 'A', value: t, unit: '' })),
    );
    let n = 0;
    await fc.assert(fc.asyncProperty(value, async (c) => {
      const xml = example.replace(slot, c.xml);
      generated.keep(xml, 'national-value');
      const read = cdaToLegacy(xml);
      const res = read.report!.results[0];
      expect({ type: res.type, value: res.value, unit: res.unit }).toEqual({ type: c.type, value: c.value, unit: c.unit });
      expect(res.type === 'N').toBe(PLAIN.test(res.value));
      const line = read.hprim!.split('\r\n').find((l) => l.startsWith('RES|'));
      expect(line).toBe(`RES|CRP|1234|${c.type}|${c.value}|${c.unit}||5.0|N|F`);
      // Back to the national side and again to HPRIM: exact from our narrative, and the same type and value from our structured entry.
      const hprim = readHprim(read.hprim!).report!;
      const doc = await hprimToCrBio(hprim, { now: new Date('2026-11-20T10:00:00Z'), documentId: `nat-${n++}` });
      generated.keep(doc.xml, 'national-value-again');
      expect(readHprim(cdaToLegacy(doc.xml).hprim!).report!.results).toEqual(hprim.results);
      expect(structuredOnly(doc.xml)[0]).toMatchObject({ type: c.type, value: c.value });
    }), { numRuns: Math.max(10, Math.round(RUNS / 2)) });
  });

  it('HPRIM as labs write it (arbitrary Latin-1 in every field, inner-space codes, 13th-line dates, malformed and impossible dates, preambles, fixed-width codes): every line comes back exactly or is reported, no date is invented', async () => {
    let n = 0;
    let clearOnes = 0;
    await fc.assert(fc.asyncProperty(labFile, async (g) => {
      const text = writeHprim(g.report);
      const reading = readHprim(text);
      if (!reading.report) {
        // No header shape (both date lines unreadable): the text travels as text, and says so.
        expect(reading.issues.map((i) => i.code)).toEqual(['header-not-found']);
        return;
      }
      const doc = await hprimToCrBio(reading.report, { now: RUN_CLOCK, documentId: `lab-${n++}`, issues: reading.issues });
      generated.keep(doc.xml, 'as-labs-write');
      const back = cdaToLegacy(doc.xml).hprim!;
      const sent = text.split('\r\n');
      const got = back.split('\r\n');
      expect(got).toHaveLength(sent.length);
      const ssnLine = (reading.report.preamble?.length ?? 0) + 8;
      const reported = new Set(reading.issues.map((i) => i.line));
      sent.forEach((line, k) => {
        if (k + 1 === ssnLine) expect(got[k]).toBe(''); // never written, by design
        else if (got[k] !== line) expect(reported, `line ${k + 1} changed without an issue: ${JSON.stringify([line, got[k]])}`).toContain(k + 1);
      });
      // The header is found where it was written when it looks like a lab's (dates DD/MM/YYYY-shaped on lines 7 and 10, a sender code on line 11).
      const clear = [g.report.patient.birthDate, g.report.examDate].every((d) => /^\d{2}\/\d{2}\/\d{4}$/.test(d)) && /^[A-Z]/.test(g.report.sender.code);
      if (clear) expect(reading.report.preamble ?? []).toEqual(g.report.preamble ?? []);
      clearOnes += Number(clear && (g.report.preamble?.length ?? 0) > 0);
      // Never an invented date: the structure holds a date only when the text holds that calendar date.
      const x = dom(doc.xml);
      const birth = x.getElementsByTagNameNS(HL7_NS, 'birthTime')[0];
      const birthRead = readHprimDate(reading.report.patient.birthDate);
      expect(birth.getAttribute('value') ?? undefined).toBe(birthRead.kind === 'date' ? birthRead.hl7 : undefined);
      const serviceTimes = Array.from(x.getElementsByTagNameNS(HL7_NS, 'serviceEvent')[0].getElementsByTagNameNS(HL7_NS, 'low') as unknown as ArrayLike<Element>).map((e) => e.getAttribute('value'));
      const examRead = readHprimDate(reading.report.examDate);
      expect(serviceTimes).toEqual(examRead.kind === 'date' ? [examRead.hl7] : []);
      const docTime = Array.from(x.documentElement.childNodes as unknown as ArrayLike<Element>).find((c) => c.localName === 'effectiveTime')!.getAttribute('value');
      const reportRead = reading.report.reportDate ? readReportDate(reading.report.reportDate) : undefined;
      expect(docTime).toBe(reportRead?.kind === 'date' ? reportRead.hl7 : '20261204210000+0000');
      // Read from its structure alone, a date is the one written or nothing; the run's date never appears.
      const s = readCda(doc.xml.replace(/ ID="(?:res|hdr|pre|free|tex)-[^"]*"/g, '')).report!;
      expect(['', reading.report.examDate]).toContain(s.examDate);
      expect(['', reading.report.patient.birthDate]).toContain(s.patient.birthDate);
      expect(back.includes('04/12/2026')).toBe(text.includes('04/12/2026'));
      // Codes in the structure are schema tokens, and decode to the code written.
      for (const t of Array.from(x.getElementsByTagNameNS(HL7_NS, 'translation') as unknown as ArrayLike<Element>)) expect(t.getAttribute('code')).toMatch(/^[^ \t\r\n]+$/);
      s.results.forEach((r, k) => { if (reading.report!.results[k].code !== '' && !XML_UNSAFE.test(reading.report!.results[k].code)) expect(r.code).toBe(reading.report!.results[k].code); });
    }), { numRuns: RUNS });
    expect(clearOnes, 'runs with a preamble before a clear header').toBeGreaterThan(0);
  }, 120_000);

  it('every CR-BIO generated by the properties passes the schema and the schematron', () => {
    expect(generated.files.length).toBeGreaterThan(0);
    const { xsd, schematron } = generated.validateAll();
    expect(Object.fromEntries(xsd)).toEqual({});
    expect(Object.fromEntries(schematron)).toEqual({});
  }, 180_000);
});
