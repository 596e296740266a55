import type { LabReport, LabResult } from '../../core/model/content.js';
import { HprimError, hprimIssue, type HprimIssue, type HprimIssueCode } from './issue.js';
import { DATE_LIKE, readHprimDate, readReportDate } from './dates.js';
import { parseResLine } from './res-line.js';

export const LAB_BEGIN = '****LAB****';
export const LAB_END = '****FIN****';
export const FILE_END = '****FINFICHIER****';

/** What the reader made of a text: the report when the header could be read, every issue, and the text itself. */
export interface HprimReading {
  /** The structured reading; absent when the text is not an HPRIM report at all. */
  report?: LabReport;
  /** Every problem found, positioned. An empty list means a clean HPRIM document. */
  issues: HprimIssue[];
  /** Number of header lines recognised (12, or 13 for the variant with a report date; 0 when no header was found). Preamble lines are not counted. */
  headerLines: 0 | 12 | 13;
  /** The original text, unchanged: it always travels, structure or not. */
  text: string;
}

const SSN = /^\d{13} \d{2}$/;
/** Line 13 has the shape of a report date (a calendar check follows). */
const REPORT_DATE_SHAPE = /^\d{2}\/\d{2}\/\d{4}( \d{2}[:h]\d{2}(:\d{2})?)?$/;
// eslint-disable-next-line no-control-regex
const XML_UNSAFE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** At most this many lines before the header are taken as a preamble (some laboratory software writes one). */
export const MAX_PREAMBLE_LINES = 5;

function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Read line 11 or 12: the code up to the first space, then the spaces, then `LOCAL`. The
 * spaces are kept in `gap` when they are not exactly one, so the line comes back exactly.
 *
 * @example
 * readParty('LAB33      labo.bio33') // { code: 'LAB33', local: 'labo.bio33', gap: '      ' }
 */
export function readParty(line: string): { code: string; local: string; gap?: string } {
  const sp = line.indexOf(' ');
  if (sp < 0) return { code: line, local: '' };
  const rest = line.slice(sp);
  const gap = /^ +/.exec(rest)![0];
  const local = rest.slice(gap.length);
  return gap === ' ' && local !== '' ? { code: line.slice(0, sp), local } : { code: line.slice(0, sp), local, gap };
}

/**
 * Write line 11 or 12 back from {@link readParty}'s reading.
 *
 * @example
 * writeParty({ code: 'LAB0000033', local: 'labo.bio33' }) // 'LAB0000033 labo.bio33'
 */
export function writeParty(p: { code: string; local: string; gap?: string }): string {
  return `${p.code}${p.gap ?? (p.local ? ' ' : '')}${p.local}`;
}

const isStructural = (l: string) => /^\*{4}/.test(l) || /^(RES|TEX)\|/.test(l);
const dateSlot = (l: string) => l === '' || DATE_LIKE.test(l);
const codeSlot = (l: string) => !DATE_LIKE.test(l) && !isStructural(l);
const ssnSlot = (l: string) => /^[\d ]*$/.test(l);

/** How many of the five shape marks (dates on lines 7 and 10, digits on 8, codes on 11 and 12) a header starting at `o` has; -1 when it cannot start there. */
function headerScore(lines: string[], o: number): number {
  if (o + 12 > lines.length) return -1;
  for (let k = o; k < o + 12; k++) if (isStructural(lines[k])) return -1;
  return Number(dateSlot(lines[o + 6])) + Number(ssnSlot(lines[o + 7])) + Number(dateSlot(lines[o + 9])) + Number(codeSlot(lines[o + 10])) + Number(codeSlot(lines[o + 11]));
}

/** How many of lines 7 and 10 of a header starting at `o` hold something written as a date (not empty). */
function dateEvidence(lines: string[], o: number): number {
  return Number(DATE_LIKE.test(lines[o + 6])) + Number(DATE_LIKE.test(lines[o + 9]));
}

/**
 * Where the 12-line header starts, recognised by its shape. A start has five marks: a date
 * or nothing on lines 7 and 10, digits or nothing on line 8 (the social-security number),
 * a code or nothing (anything but a date) on lines 11 and 12. Line 0 and the next
 * {@link MAX_PREAMBLE_LINES} lines are tried; each gets twice its marks plus the number of
 * dates actually written on its lines 7 and 10, and the best wins, the earliest on a tie
 * (the lines before it are a preamble). Line 0 needs four marks (one malformed field,
 * reported), a later start all five. Undefined when none qualifies: the text travels as text.
 * The shape is ambiguous when lines 6–10 are mostly empty: a preamble line may then be read
 * as line 1 (every line still travels, as written).
 *
 * @example
 * findHeader(['Laboratoire X', ...twelveHeaderLines]) // 1
 */
export function findHeader(lines: string[]): number | undefined {
  let best: number | undefined;
  let bestRank = -1;
  for (let o = 0; o <= MAX_PREAMBLE_LINES; o++) {
    const marks = headerScore(lines, o);
    if (marks < (o === 0 ? 4 : 5)) continue;
    const rank = 2 * marks + dateEvidence(lines, o);
    if (rank > bestRank) { best = o; bestRank = rank; }
  }
  return best;
}

/**
 * Is this text shaped like an HPRIM report (a 12-line header found by its shape, and the end marker)?
 *
 * @example
 * looksLikeHprim('Bonjour') // false
 */
export function looksLikeHprim(text: string): boolean {
  const lines = splitLines(text);
  return lines.some((l) => l.trimEnd() === FILE_END) && findHeader(lines) !== undefined;
}

function checkDate(value: string, lineNo: number, issues: HprimIssue[], format: HprimIssueCode, impossible: HprimIssueCode): void {
  const d = readHprimDate(value);
  if (d.kind === 'malformed') issues.push(hprimIssue(format, lineNo, 1));
  if (d.kind === 'impossible') issues.push(hprimIssue(impossible, lineNo, 1));
}

/**
 * Read an HPRIM lab report (SPEC §8): the 12-line header (or the 13-line variant whose
 * 13th line is a report date), free text, the `****LAB****` block of `RES|` and `TEX|`
 * lines ended by `****FIN****`, and `****FINFICHIER****`. The header is found by its shape
 * ({@link findHeader}); lines before it are a preamble, kept. Tolerant: malformed parts
 * give positioned issues (codes of `HPRIM_ISSUES`), dates are checked against the calendar
 * and kept as written, and any line that cannot be read as structure is kept in
 * `report.freeText`, so nothing is dropped.
 *
 * @example
 * const { report, issues } = readHprim(text);
 * report?.results[0].flag; // 'HH'
 * issues.map(formatIssue); // [] for a clean document
 */
export function readHprim(text: string): HprimReading {
  const lines = splitLines(text);
  const issues: HprimIssue[] = [];
  if (lines.length < 12) {
    issues.push(hprimIssue('header-too-short', Math.max(1, lines.length), undefined, lines.length));
    return { issues, headerLines: 0, text };
  }
  const o = findHeader(lines);
  if (o === undefined) {
    issues.push(hprimIssue('header-not-found', 1));
    return { issues, headerLines: 0, text };
  }
  if (o > 0) issues.push(hprimIssue('preamble', 1, 1, o));
  const h = lines.slice(o, o + 12);
  checkDate(h[6], o + 7, issues, 'birth-date-format', 'birth-date-impossible');
  if (h[7] !== '' && !SSN.test(h[7])) issues.push(hprimIssue('ssn-format', o + 8, 1));
  checkDate(h[9], o + 10, issues, 'exam-date-format', 'exam-date-impossible');
  const sender = readParty(h[10]);
  const recipient = readParty(h[11]);
  if (sender.code.length > 10) issues.push(hprimIssue('sender-code-length', o + 11, 1));
  if (recipient.code.length > 10) issues.push(hprimIssue('recipient-code-length', o + 12, 1));
  const report: LabReport = {
    patient: {
      fileNumber: h[0], lastName: h[1], firstName: h[2], address1: h[3], address2: h[4],
      postcodeCity: h[5], birthDate: h[6], socialSecurityNumber: h[7],
    },
    requestNumber: h[8],
    examDate: h[9],
    sender,
    recipient,
    results: [],
    texts: [],
  };
  if (o > 0) report.preamble = lines.slice(0, o);
  let i = o + 12;
  let headerLines: 12 | 13 = 12;
  if (i < lines.length && REPORT_DATE_SHAPE.test(lines[i])) {
    report.reportDate = lines[i];
    if (readReportDate(lines[i]).kind !== 'date') issues.push(hprimIssue('report-date-impossible', i + 1, 1));
    headerLines = 13;
    i++;
  }
  const freeText: string[] = [];
  const layout: Array<'R' | 'T'> = [];
  let state: 'free' | 'lab' | 'after-lab' | 'end' = 'free';
  let sawLab = false;
  for (; i < lines.length; i++) {
    const line = lines[i];
    const lineNo = i + 1;
    const marker = line.trimEnd();
    if (state === 'end') {
      if (line.trim() !== '') {
        issues.push(hprimIssue('text-after-end', lineNo, 1));
        freeText.push(line);
      }
      continue;
    }
    if (marker === FILE_END) {
      if (state === 'lab') issues.push(hprimIssue('lab-not-closed-before-end', lineNo, 1));
      state = 'end';
      continue;
    }
    if (state === 'lab') {
      if (marker === LAB_END) { state = 'after-lab'; continue; }
      if (line.startsWith('RES|')) {
        const { result, issues: resIssues } = parseResLine(line, lineNo);
        issues.push(...resIssues);
        if (result) { report.results.push(result); layout.push('R'); } else freeText.push(line);
        continue;
      }
      if (line.startsWith('TEX|')) { report.texts.push(line.slice(4)); layout.push('T'); continue; }
      if (line.trim() === '') continue;
      issues.push(hprimIssue('lab-stray-line', lineNo, 1));
      freeText.push(line);
      continue;
    }
    if (marker === LAB_BEGIN) {
      if (sawLab) issues.push(hprimIssue('lab-second-block', lineNo, 1));
      sawLab = true;
      state = 'lab';
      continue;
    }
    if (state === 'after-lab' && line.trim() !== '') issues.push(hprimIssue('text-after-lab', lineNo, 1));
    if (state === 'after-lab' && line.trim() === '') continue;
    freeText.push(line);
  }
  if (state === 'lab') issues.push(hprimIssue('lab-not-closed', lines.length));
  if (state !== 'end') issues.push(hprimIssue('missing-end', lines.length));
  lines.forEach((l, k) => {
    const m = XML_UNSAFE.exec(l);
    if (m) issues.push(hprimIssue('xml-character', k + 1, m.index + 1));
  });
  if (freeText.length) report.freeText = freeText;
  if (layout.length) report.layout = layout;
  return { report, issues, headerLines, text };
}

/**
 * Read HPRIM and throw an {@link HprimError} listing every positioned issue if the text is
 * not a clean HPRIM report.
 *
 * @example
 * const report = readHprimStrict(text); // throws HprimError('malformed HPRIM: line 8: …')
 */
export function readHprimStrict(text: string): LabReport {
  const r = readHprim(text);
  if (!r.report || r.issues.length) throw new HprimError(r.issues);
  return r.report;
}

export type { LabResult };
