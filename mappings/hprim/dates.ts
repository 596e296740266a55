/**
 * HPRIM dates as data: what a date field holds and, when it is a real calendar date, its
 * HL7 form. A date is never guessed: `05/03/24` (two-digit year), `1970-01-01` (another
 * order) and `31/02/2024` (no such day) are not dates here; the caller reports them and
 * keeps the text as written.
 */

/** `DD/MM/YYYY`, the only date shape of SPEC §8. */
export const HPRIM_DATE = /^(\d{2})\/(\d{2})\/(\d{4})$/;
/** Line 13 of the 13-line header: `DD/MM/YYYY[ HH:MM[:SS]]` (`14h32` also written by some labs). */
export const HPRIM_REPORT_DATE = /^(\d{2})\/(\d{2})\/(\d{4})(?: (\d{2})[:h](\d{2})(?::(\d{2}))?)?$/;
/** Anything a laboratory writes where a date belongs (used to find the header by its shape, never to read a value). */
export const DATE_LIKE = /^\s*(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}[/.-]\d{1,2}[/.-]\d{1,2}|\d{6}|\d{8})\s*$/;

export type DateReading =
  | { kind: 'empty' }
  | { kind: 'date'; hl7: string }
  | { kind: 'malformed' }
  | { kind: 'impossible' };

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Is (year, month, day) a day of the Gregorian calendar?
 *
 * @example
 * isCalendarDate(2024, 2, 29) // true
 * isCalendarDate(2023, 2, 29) // false
 */
export function isCalendarDate(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS[m - 1]);
}

/**
 * Read an HPRIM date field (`DD/MM/YYYY`, or empty).
 *
 * @example
 * readHprimDate('14/03/1968') // { kind: 'date', hl7: '19680314' }
 * readHprimDate('31/02/2024') // { kind: 'impossible' }
 * readHprimDate('05/03/24')   // { kind: 'malformed' }
 */
export function readHprimDate(s: string): DateReading {
  if (s === '') return { kind: 'empty' };
  const m = HPRIM_DATE.exec(s);
  if (!m) return { kind: 'malformed' };
  const [, dd, mm, yyyy] = m;
  return isCalendarDate(+yyyy, +mm, +dd) ? { kind: 'date', hl7: `${yyyy}${mm}${dd}` } : { kind: 'impossible' };
}

/**
 * Read the report date of line 13 (`DD/MM/YYYY[ HH:MM[:SS]]`): HL7 TS in local time, no
 * time zone (HPRIM writes none, and none is invented), or why not.
 *
 * @example
 * readReportDate('06/03/2024 14:32') // { kind: 'date', hl7: '202403061432' }
 * readReportDate('31/02/2024 25:00') // { kind: 'impossible' }
 */
export function readReportDate(s: string): DateReading {
  if (s === '') return { kind: 'empty' };
  const m = HPRIM_REPORT_DATE.exec(s);
  if (!m) return { kind: 'malformed' };
  const [, dd, mm, yyyy, hh, mi, ss] = m;
  if (!isCalendarDate(+yyyy, +mm, +dd)) return { kind: 'impossible' };
  if (hh !== undefined && (+hh > 23 || +mi > 59 || (ss !== undefined && +ss > 59))) return { kind: 'impossible' };
  return { kind: 'date', hl7: `${yyyy}${mm}${dd}${hh ?? ''}${mi ?? ''}${ss ?? ''}` };
}
