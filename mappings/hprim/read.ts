import type { LabReport, LabResult } from '../../core/model/content.js';
import { HprimError, type HprimIssue } from './issue.js';
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
  /** Number of header lines recognised (12, or 13 for the variant with a report date). */
  headerLines: 0 | 12 | 13;
  /** The original text, unchanged: it always travels, structure or not. */
  text: string;
}

const DATE = /^\d{2}\/\d{2}\/\d{4}$/;
const REPORT_DATE = /^\d{2}\/\d{2}\/\d{4}( \d{2}[:h]\d{2}(:\d{2})?)?$/;
const SSN = /^\d{13} \d{2}$/;

function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function party(line: string, lineNo: number, issues: HprimIssue[], what: string): { code: string; local: string } {
  const sp = line.indexOf(' ');
  const code = sp < 0 ? line : line.slice(0, sp);
  const local = sp < 0 ? '' : line.slice(sp + 1);
  if (code.length > 10) issues.push({ line: lineNo, column: 1, message: `${what} code must be at most 10 characters, then a space and the ${what} LOCAL` });
  return { code, local };
}

/**
 * Is this text shaped like an HPRIM report (12 header lines and the end marker)?
 *
 * @example
 * looksLikeHprim('Bonjour') // false
 */
export function looksLikeHprim(text: string): boolean {
  const lines = splitLines(text);
  return lines.length >= 13 && lines.some((l) => l.trimEnd() === FILE_END) && (lines[6] === '' || DATE.test(lines[6]));
}

/**
 * Read an HPRIM lab report (SPEC §8): the 12-line header (or the 13-line variant whose
 * 13th line is a report date), free text, the `****LAB****` block of `RES|` and `TEX|`
 * lines ended by `****FIN****`, and `****FINFICHIER****`. Tolerant: malformed parts give
 * positioned issues, and any line that cannot be read as structure is kept in
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
    issues.push({ line: Math.max(1, lines.length), message: `HPRIM header needs 12 lines, the text has ${lines.length}` });
    return { issues, headerLines: 0, text };
  }
  const h = lines.slice(0, 12);
  if (h[6] !== '' && !DATE.test(h[6])) issues.push({ line: 7, column: 1, message: 'birth date must be DD/MM/YYYY or empty' });
  if (h[7] !== '' && !SSN.test(h[7])) issues.push({ line: 8, column: 1, message: 'social-security number must be 13 digits, a space and a 2-digit key, or empty' });
  if (h[9] !== '' && !DATE.test(h[9])) issues.push({ line: 10, column: 1, message: 'exam date must be DD/MM/YYYY or empty' });
  const report: LabReport = {
    patient: {
      fileNumber: h[0], lastName: h[1], firstName: h[2], address1: h[3], address2: h[4],
      postcodeCity: h[5], birthDate: h[6], socialSecurityNumber: h[7],
    },
    requestNumber: h[8],
    examDate: h[9],
    sender: party(h[10], 11, issues, 'sender'),
    recipient: party(h[11], 12, issues, 'recipient'),
    results: [],
    texts: [],
  };
  let i = 12;
  let headerLines: 12 | 13 = 12;
  if (i < lines.length && REPORT_DATE.test(lines[i])) {
    report.reportDate = lines[i];
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
        issues.push({ line: lineNo, column: 1, message: `text after ${FILE_END} kept as free text` });
        freeText.push(line);
      }
      continue;
    }
    if (marker === FILE_END) {
      if (state === 'lab') issues.push({ line: lineNo, column: 1, message: `${LAB_BEGIN} block not closed by ${LAB_END} before ${FILE_END}` });
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
      issues.push({ line: lineNo, column: 1, message: 'line in the LAB block is neither RES| nor TEX|; kept as free text' });
      freeText.push(line);
      continue;
    }
    if (marker === LAB_BEGIN) {
      if (sawLab) issues.push({ line: lineNo, column: 1, message: `second ${LAB_BEGIN} block` });
      sawLab = true;
      state = 'lab';
      continue;
    }
    if (state === 'after-lab' && line.trim() !== '') issues.push({ line: lineNo, column: 1, message: `text between ${LAB_END} and ${FILE_END} kept as free text` });
    if (state === 'after-lab' && line.trim() === '') continue;
    freeText.push(line);
  }
  if (state === 'lab') issues.push({ line: lines.length, message: `${LAB_BEGIN} block not closed by ${LAB_END}` });
  if (state !== 'end') issues.push({ line: lines.length, message: `missing end marker ${FILE_END}` });
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
