import type { LabReport } from '../../core/model/content.js';
import { FLAG_SEVERITY } from '../tables/interpretation.js';

export type AlertLevel = 'panic' | 'abnormal' | 'none';

/**
 * The alert level of a report: `panic` when a result is LL or HH, `abnormal` when one is L
 * or H, else `none`.
 *
 * @example
 * alertOf(report) // 'panic'
 */
export function alertOf(report: LabReport): AlertLevel {
  let level: AlertLevel = 'none';
  for (const r of report.results) {
    const s = FLAG_SEVERITY[r.flag] ?? 'none';
    if (s === 'panic') return 'panic';
    if (s === 'abnormal') level = 'abnormal';
  }
  return level;
}

/** Subject tags by level: neutral, never a patient's name or a value. */
export const ALERT_SUBJECT_TAGS: Readonly<Record<AlertLevel, string>> = {
  panic: '[ALERTE RESULTAT CRITIQUE]',
  abnormal: '[RESULTAT ANORMAL]',
  none: '',
};

/**
 * A neutral subject tag for a report ('' when nothing is abnormal).
 *
 * @example
 * `${alertSubjectTag(report)} Compte rendu de biologie`.trim() // '[ALERTE RESULTAT CRITIQUE] Compte rendu de biologie'
 */
export function alertSubjectTag(report: LabReport): string {
  return ALERT_SUBJECT_TAGS[alertOf(report)];
}

/**
 * Mail priority headers for a report's alert level (RFC 2156 `Priority`, `Importance`,
 * and the de-facto `X-Priority`): urgent for panic values, high importance for abnormal.
 *
 * @example
 * alertHeaders(report) // { Priority: 'urgent', Importance: 'high', 'X-Priority': '1' }
 */
export function alertHeaders(report: LabReport): Record<string, string> {
  switch (alertOf(report)) {
    case 'panic': return { Priority: 'urgent', Importance: 'high', 'X-Priority': '1' };
    case 'abnormal': return { Priority: 'normal', Importance: 'high', 'X-Priority': '2' };
    default: return {};
  }
}
