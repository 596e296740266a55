import type { LabReport } from '../../core/model/content.js';
import { cleanField, formatResLine } from './res-line.js';
import { FILE_END, LAB_BEGIN, LAB_END, writeParty } from './read.js';

function oneLine(s: string | undefined): string {
  return (s ?? '').replace(/[\r\n]+/g, ' ');
}

/**
 * Write a lab report as HPRIM text (SPEC §8) with CRLF line ends: the preamble lines when
 * the report had some, the 12-line header (13
 * when `reportDate` is set), the free text, the `****LAB****` block when there are results
 * or `TEX|` lines (keeping the read order when `layout` matches), and the end markers.
 * A `|` inside a field becomes `/` (HPRIM has no escape).
 *
 * @example
 * writeHprim(readHprim(text).report!) === text // for a clean CRLF document
 */
export function writeHprim(report: LabReport): string {
  const p = report.patient;
  const party = (x: { code: string; local: string; gap?: string }) => oneLine(writeParty(x));
  const out: string[] = (report.preamble ?? []).map(oneLine);
  out.push(...[
    p.fileNumber, p.lastName, p.firstName, p.address1, p.address2, p.postcodeCity, p.birthDate, p.socialSecurityNumber,
    report.requestNumber, report.examDate,
  ].map(oneLine));
  out.push(party(report.sender), party(report.recipient));
  if (report.reportDate) out.push(oneLine(report.reportDate));
  for (const l of report.freeText ?? []) out.push(oneLine(l));
  if (report.results.length || report.texts.length) {
    out.push(LAB_BEGIN);
    const res = report.results.map(formatResLine);
    const tex = report.texts.map((t) => `TEX|${oneLine(t)}`);
    const layout = report.layout;
    const fits = layout && layout.filter((k) => k === 'R').length === res.length && layout.filter((k) => k === 'T').length === tex.length;
    if (fits) {
      let r = 0, t = 0;
      for (const k of layout) out.push(k === 'R' ? res[r++] : tex[t++]);
    } else {
      out.push(...tex, ...res);
    }
    out.push(LAB_END);
  }
  out.push(FILE_END);
  return out.join('\r\n') + '\r\n';
}

export { cleanField };
