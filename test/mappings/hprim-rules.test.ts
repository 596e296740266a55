/** The pure rules behind issue 17: calendar dates, code tokens, the issue table, header shape. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeFromToken, codeToken } from '../../mappings/cda/code-token.js';
import { HPRIM_ISSUES, findHeader, hprimIssue, isCalendarDate, issueLabelFr, readHprimDate, readParty, readReportDate, writeParty } from '../../mappings/hprim/index.js';

/** Any Latin-1 character, control characters included. */
const latin1 = fc.array(fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), { maxLength: 20 }).map((a) => a.join(''));

describe('HPRIM dates', () => {
  it.each([
    ['14/03/1968', { kind: 'date', hl7: '19680314' }], ['29/02/2024', { kind: 'date', hl7: '20240229' }], ['29/02/2000', { kind: 'date', hl7: '20000229' }],
    ['', { kind: 'empty' }],
    ['31/02/2024', { kind: 'impossible' }], ['30/02/1970', { kind: 'impossible' }], ['29/02/1900', { kind: 'impossible' }], ['31/04/2024', { kind: 'impossible' }],
    ['00/01/2024', { kind: 'impossible' }], ['01/13/2024', { kind: 'impossible' }], ['01/00/2024', { kind: 'impossible' }], ['01/01/0000', { kind: 'impossible' }],
    ['05/03/24', { kind: 'malformed' }], ['1970-01-01', { kind: 'malformed' }], [' 14/03/1968', { kind: 'malformed' }], ['5/3/2024', { kind: 'malformed' }], ['inconnue', { kind: 'malformed' }],
  ])('readHprimDate(%j)', (s, expected) => expect(readHprimDate(s)).toEqual(expected));

  it.each([
    ['06/03/2024 14:32', { kind: 'date', hl7: '202403061432' }], ['06/03/2024 14h32', { kind: 'date', hl7: '202403061432' }],
    ['06/03/2024 23:59:59', { kind: 'date', hl7: '20240306235959' }], ['06/03/2024', { kind: 'date', hl7: '20240306' }],
    ['06/03/2024 24:00', { kind: 'impossible' }], ['06/03/2024 12:60', { kind: 'impossible' }], ['30/02/2024 10:00', { kind: 'impossible' }],
    ['06/03/24 14:32', { kind: 'malformed' }],
  ])('readReportDate(%j)', (s, expected) => expect(readReportDate(s)).toEqual(expected));

  it('agrees with the calendar of Date for every day of 1899–2101', () => {
    for (let y = 1899; y <= 2101; y++) for (let m = 1; m <= 12; m++) for (let d = 28; d <= 32; d++) {
      const t = new Date(Date.UTC(y, m - 1, d));
      expect(isCalendarDate(y, m, d)).toBe(t.getUTCMonth() === m - 1 && t.getUTCDate() === d);
    }
  });
});

describe('local codes as CDA code tokens', () => {
  it.each([['K', 'K'], ['NF   030', 'NF%20%20%20030'], ['MICR 030', 'MICR%20030'], ['A%20B', 'A%2520B'], ['\tX\u0001', '%09X%01'], ['A\u00A0B\u0085', 'A%A0B%85'], ['é/µ-²', 'é/µ-²']])('%j → %j', (code, token) => {
    expect(codeToken(code)).toBe(token);
    expect(codeFromToken(token)).toBe(code);
  });

  it('any Latin-1 code: the token is a schema `cs` token (no XML white space, no character XML refuses), injective, and decodes to the code', () => {
    fc.assert(fc.property(latin1, latin1, (a, b) => {
      const t = codeToken(a);
      if (a !== '') expect(t).toMatch(/^[^\s]+$/);
      expect(t).not.toMatch(/[ \t\r\n\u0000-\u001F\u007F-\u00A0]/); // eslint-disable-line no-control-regex
      expect(codeFromToken(t)).toBe(a);
      if (a !== b) expect(codeToken(b)).not.toBe(t);
    }), { numRuns: 500 });
  });
});

describe('issue table', () => {
  it('every row has an English message and a French label; no label or message holds a value slot but {n}', () => {
    for (const [code, row] of Object.entries(HPRIM_ISSUES)) {
      expect(row.message.length, code).toBeGreaterThan(10);
      expect(row.label.length, code).toBeGreaterThan(10);
      expect(row.message.replace('{n}', ''), code).not.toMatch(/[{}]/);
      expect(row.label, code).not.toMatch(/[{}]/);
    }
    expect(hprimIssue('res-field-count', 17, 1, 4).message).toMatch(/^RES line has 4 fields/);
    expect(issueLabelFr(hprimIssue('exam-date-format', 10, 1))).toBe("Ligne 10 : Date d'examen illisible : conservée telle qu'écrite, inconnue dans le document structuré.");
  });
});

describe('lines 11 and 12, and the header shape', () => {
  it('any line 11 comes back exactly through readParty/writeParty', () => {
    fc.assert(fc.property(latin1, (l) => { expect(writeParty(readParty(l))).toBe(l); }), { numRuns: 500 });
    expect(readParty('LAB0000033 labo.bio33')).toEqual({ code: 'LAB0000033', local: 'labo.bio33' });
  });

  const header = ['F1', 'NOM', 'PRENOM', 'A1', '', '33000 BORDEAUX', '14/03/1968', '', 'REQ-1', '20/11/2026', 'LAB1 l', 'MED1 m'];
  it.each([
    [[...header, 'x'], 0],
    [['Préambule', ...header], 1],
    [['a', 'b', 'c', 'd', 'e', ...header], 5],
    [['a', 'b', 'c', 'd', 'e', 'f', ...header], undefined],
    [[...header.slice(0, 6), 'né en 1968', ...header.slice(7)], 0],
    [[...header.slice(0, 6), 'né en 1968', '', 'REQ', 'hier', ...header.slice(10)], undefined],
    [[...header.slice(0, 11), '****LAB****'], undefined],
  ])('findHeader #%#', (lines, at) => expect(findHeader(lines as string[])).toBe(at));
});
