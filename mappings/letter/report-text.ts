import type { LabReport } from '../../core/model/content.js';

const FLAG_TEXT: Record<string, string> = { HH: 'CRITIQUE (très élevé)', LL: 'CRITIQUE (très bas)', H: 'élevé', L: 'bas', N: '', '': '' };
const STATUS_TEXT: Record<string, string> = { F: '', R: 'non validé', C: 'corrigé', '': '' };

/**
 * The plain-text body of a lab report for the national message: results with units,
 * reference ranges and flags (critical values first), then the lab's comments. The CR-BIO in
 * `IHE_XDM.ZIP` carries the structure; this is what a mail client shows.
 *
 * @example
 * reportText(report); // 'Compte rendu d'examens biologiques\n…\nPotassium : 6.9 mmol/l (3.5 – 5.0) CRITIQUE (très élevé)\n…'
 */
export function reportText(report: LabReport): string {
  const lines: string[] = ['Compte rendu d\'examens biologiques', `Demande ${report.requestNumber}, examen du ${report.examDate}`, ''];
  const critical = report.results.filter((r) => r.flag === 'HH' || r.flag === 'LL');
  if (critical.length) lines.push(`ATTENTION : ${critical.length} résultat(s) critique(s)`, '');
  for (const r of [...critical, ...report.results.filter((x) => !critical.includes(x))]) {
    const range = r.low || r.high ? ` (${r.low || '…'} – ${r.high || '…'})` : '';
    const second = r.value2 ? ` [${r.value2} ${r.unit2 ?? ''}]`.replace(/ \]$/, ']') : '';
    const notes = [FLAG_TEXT[r.flag] ?? r.flag, STATUS_TEXT[r.status] ?? r.status].filter(Boolean).join(', ');
    lines.push(`${r.label} : ${r.value}${r.unit ? ` ${r.unit}` : ''}${second}${range}${notes ? `  ${notes}` : ''}`);
  }
  if (report.texts.length) lines.push('', ...report.texts);
  lines.push('', 'Le compte rendu structuré (CDA R2 CR-BIO) est joint dans IHE_XDM.ZIP ; l\'original HPRIM aussi.');
  return lines.join('\n') + '\n';
}
