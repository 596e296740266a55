import type { LabResult, ResultFlag, ResultStatus } from '../../core/model/content.js';
import { hprimIssue, type HprimIssue } from './issue.js';

const TYPES = new Set(['N', 'A', 'C', '']);
const FLAGS = new Set(['L', 'H', 'LL', 'HH', 'N', '']);
const STATUSES = new Set(['F', 'R', 'C', '']);

/** Field names of a `RES|` line, in order (after the `RES` tag). */
export const RES_FIELDS = ['label', 'code', 'type', 'value', 'unit', 'low', 'high', 'flag', 'status', 'value2', 'unit2', 'low2', 'high2'] as const;

/** Column (1-based) where field `index` (0 = the `RES` tag) starts. */
function columnOf(parts: string[], index: number): number {
  let col = 1;
  for (let i = 0; i < index; i++) col += parts[i].length + 1;
  return col;
}

/**
 * Read one `RES|` line. Returns the result, or the issues that prevent reading it as
 * structure (the caller then keeps the line as text).
 *
 * @example
 * parseResLine('RES|Potassium|K|N|6.9|mmol/l|3.5|5.0|HH|F', 17).result?.flag // 'HH'
 */
export function parseResLine(line: string, lineNo: number): { result?: LabResult; issues: HprimIssue[] } {
  const parts = line.split('|');
  const issues: HprimIssue[] = [];
  const n = parts.length - 1;
  if (n < 9 || n > 13) {
    issues.push(hprimIssue('res-field-count', lineNo, 1, n));
    return { issues };
  }
  const [, label, code, type, value, unit, low, high, flag, status] = parts;
  if (!TYPES.has(type)) issues.push(hprimIssue('res-type', lineNo, columnOf(parts, 3)));
  if (!FLAGS.has(flag)) issues.push(hprimIssue('res-flag', lineNo, columnOf(parts, 8)));
  if (!STATUSES.has(status)) issues.push(hprimIssue('res-status', lineNo, columnOf(parts, 9)));
  if (issues.length) return { issues };
  const result: LabResult = {
    label, code, type: type as LabResult['type'], value, unit, low, high,
    flag: flag as ResultFlag, status: status as ResultStatus,
  };
  if (n >= 10) result.value2 = parts[10];
  if (n >= 11) result.unit2 = parts[11];
  if (n >= 12) result.low2 = parts[12];
  if (n >= 13) result.high2 = parts[13];
  return { result, issues };
}

/**
 * Make a field safe for a `|`-separated line: no separator, no line break.
 *
 * @example
 * cleanField('a|b\r\nc') // 'a/b c'
 */
export function cleanField(s: string | undefined): string {
  return (s ?? '').replace(/\|/g, '/').replace(/[\r\n]+/g, ' ');
}

/**
 * Write one `RES|` line; the second-unit fields are written up to the last one present.
 *
 * @example
 * formatResLine({ label: 'K', code: 'K', type: 'N', value: '4', unit: 'mmol/l', low: '', high: '', flag: 'N', status: 'F' })
 * // 'RES|K|K|N|4|mmol/l|||N|F'
 */
export function formatResLine(r: LabResult): string {
  const fields = [r.label, r.code, r.type, r.value, r.unit, r.low, r.high, r.flag, r.status].map(cleanField);
  const extra = [r.value2, r.unit2, r.low2, r.high2];
  let last = -1;
  extra.forEach((v, i) => { if (v !== undefined) last = i; });
  for (let i = 0; i <= last; i++) fields.push(cleanField(extra[i]));
  return `RES|${fields.join('|')}`;
}
