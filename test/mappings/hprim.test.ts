import { describe, expect, it } from 'vitest';
import { HprimError, formatIssue, readHprim, readHprimStrict, writeHprim } from '../../mappings/hprim/index.js';
import { sampleHprim } from './fixtures.js';

const sample = sampleHprim();
const lines = sample.split('\r\n');

function withLines(edit: (l: string[]) => void): string {
  const l = [...lines];
  edit(l);
  return l.join('\r\n');
}

describe('HPRIM reader', () => {
  it('reads the realistic sample: header, free text, TEX and RES lines with all 14 fields', () => {
    const r = readHprim(sample);
    expect(r.issues).toEqual([]);
    expect(r.headerLines).toBe(12);
    const rep = r.report!;
    expect(rep.patient).toMatchObject({ fileNumber: '0000423187', lastName: 'TESTPATIENT', firstName: 'CAMILLE', postcodeCity: '33000 BORDEAUX', birthDate: '14/03/1968', socialSecurityNumber: '2680333063123 47' });
    expect(rep.requestNumber).toBe('BX-2026-11-0042');
    expect(rep.examDate).toBe('20/11/2026');
    expect(rep.sender).toEqual({ code: 'LAB0000033', local: 'labo.bio33' });
    expect(rep.recipient).toEqual({ code: 'MED0000001', local: 'dr.alice.martin' });
    expect(rep.freeText).toEqual(["Compte rendu d'analyses de biologie médicale", 'Prélèvement du 20/11/2026 à 08h10 - résultats validés.']);
    expect(rep.texts).toHaveLength(1);
    expect(rep.results.map((x) => x.flag)).toEqual(['HH', 'N', 'L', 'N']);
    expect(rep.results[1]).toEqual({ label: 'Créatinine', code: 'CREA', type: 'N', value: '9.1', unit: 'mg/l', low: '6.0', high: '11.0', flag: 'N', status: 'F', value2: '80.5', unit2: 'µmol/l', low2: '53.1', high2: '97.4' });
    expect(rep.results[3]).toMatchObject({ type: 'A', value: 'Limpide', unit: '', low: '', high: '' });
    expect(rep.results[3].value2).toBeUndefined();
    expect(rep.layout).toEqual(['T', 'R', 'R', 'R', 'R']);
  });

  it('writes back the exact same text (CRLF)', () => {
    expect(writeHprim(readHprim(sample).report!)).toBe(sample);
  });

  it('accepts LF line ends and writes CRLF', () => {
    const r = readHprim(sample.replace(/\r\n/g, '\n'));
    expect(r.issues).toEqual([]);
    expect(writeHprim(r.report!)).toBe(sample);
  });

  it('tolerates the 13-line header variant (report date on line 13) and keeps it', () => {
    const text = withLines((l) => l.splice(12, 0, '20/11/2026 14:32'));
    const r = readHprim(text);
    expect(r.issues).toEqual([]);
    expect(r.headerLines).toBe(13);
    expect(r.report!.reportDate).toBe('20/11/2026 14:32');
    expect(r.report!.freeText![0]).toBe("Compte rendu d'analyses de biologie médicale");
    expect(writeHprim(r.report!)).toBe(text);
  });

  it('reads a report with no LAB block (free text only)', () => {
    const text = withLines((l) => l.splice(14, 7));
    const r = readHprim(text);
    expect(r.issues).toEqual([]);
    expect(r.report!.results).toEqual([]);
    expect(writeHprim(r.report!)).toBe(text);
  });
});

describe('HPRIM reader on malformed input', () => {
  it('a text shorter than the header is no report, with a positioned issue, and the text is kept', () => {
    const r = readHprim('hello\r\nworld\r\n');
    expect(r.report).toBeUndefined();
    expect(r.text).toBe('hello\r\nworld\r\n');
    expect(formatIssue(r.issues[0])).toBe('line 2: HPRIM header needs 12 lines, the text has 2');
  });

  it('bad header fields are reported by line without echoing the value', () => {
    const text = withLines((l) => { l[6] = '1968-03-14'; l[7] = '26803330631'; l[10] = 'LABORATOIRE33 labo'; });
    const r = readHprim(text);
    expect(r.issues.map((i) => i.line)).toEqual([7, 8, 11]);
    expect(r.issues[1].message).toMatch(/13 digits/);
    for (const i of r.issues) expect(formatIssue(i)).not.toMatch(/1968-03-14|26803330631|TESTPATIENT/);
    expect(r.report!.patient.birthDate).toBe('1968-03-14');
  });

  it('a RES line with a wrong field count or enumeration is reported with line and column and travels as text', () => {
    const text = withLines((l) => { l[16] = 'RES|Potassium|K|N|6.9'; l[17] = 'RES|Créatinine|CREA|N|9.1|mg/l|6.0|11.0|XX|F'; });
    const r = readHprim(text);
    expect(r.issues).toEqual([
      { code: 'res-field-count', line: 17, column: 1, message: expect.stringMatching(/has 4 fields, expected 9 to 13/) },
      { code: 'res-flag', line: 18, column: 41, message: 'RES field 8 (flag) must be L, H, LL, HH, N or empty' },
    ]);
    expect(r.report!.results).toHaveLength(2);
    expect(r.report!.freeText).toContain('RES|Potassium|K|N|6.9');
    expect(r.report!.freeText).toContain('RES|Créatinine|CREA|N|9.1|mg/l|6.0|11.0|XX|F');
  });

  it('bad type and status values are refused as structure', () => {
    const text = withLines((l) => { l[16] = 'RES|Potassium|K|Q|6.9|mmol/l|3.5|5.0|HH|Z'; });
    const r = readHprim(text);
    expect(r.issues.map((i) => [i.line, i.column])).toEqual([[17, 17], [17, 41]]);
  });

  it('a stray line in the LAB block, missing FIN and FINFICHIER markers are reported', () => {
    const text = withLines((l) => { l[15] = 'POTASSIUM 6,9'; l.splice(20, 2); });
    const r = readHprim(text);
    const msgs = r.issues.map(formatIssue);
    expect(msgs[0]).toBe('line 16, column 1: line in the LAB block is neither RES| nor TEX|; kept as free text');
    expect(msgs).toContain('line 20: ****LAB**** block not closed by ****FIN****');
    expect(msgs).toContain('line 20: missing end marker ****FINFICHIER****');
    expect(r.report!.results).toHaveLength(4);
  });

  it('the strict reader throws an HprimError listing positioned issues', () => {
    const text = withLines((l) => { l[7] = 'abc'; });
    expect(() => readHprimStrict(text)).toThrow(HprimError);
    try { readHprimStrict(text); } catch (e) {
      expect((e as HprimError).issues[0].line).toBe(8);
      expect((e as Error).message).toMatch(/^malformed HPRIM: line 8, column 1: social-security number/);
    }
    expect(readHprimStrict(sample).results).toHaveLength(4);
  });

  it('the writer never lets a field break the line structure', () => {
    const rep = readHprim(sample).report!;
    rep.results[0].label = 'K|plasma\r\nsecond';
    const out = readHprim(writeHprim(rep));
    expect(out.issues).toEqual([]);
    expect(out.report!.results[0].label).toBe('K/plasma second');
  });
});
