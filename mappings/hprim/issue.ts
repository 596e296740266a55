/**
 * A problem found while reading HPRIM text: where (1-based line, optional column) and what.
 * Messages name the line and the expected shape, never the value found (it may identify a
 * patient).
 */
export interface HprimIssue {
  line: number;
  column?: number;
  message: string;
}

/**
 * "line 8: social-security number must be 13 digits, a space and a 2-digit key"
 *
 * @example
 * formatIssue({ line: 8, column: 1, message: 'bad' }) // 'line 8, column 1: bad'
 */
export function formatIssue(issue: HprimIssue): string {
  const where = issue.column !== undefined ? `line ${issue.line}, column ${issue.column}` : `line ${issue.line}`;
  return `${where}: ${issue.message}`;
}

/**
 * Thrown by the strict reader when HPRIM text is malformed. `issues` holds every problem
 * found, in order; the message shows the first ones.
 *
 * @example
 * try { readHprimStrict(text); } catch (e) { if (e instanceof HprimError) console.log(e.issues[0].line); }
 */
export class HprimError extends Error {
  readonly issues: HprimIssue[];
  constructor(issues: HprimIssue[]) {
    const shown = issues.slice(0, 3).map(formatIssue).join('; ');
    const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
    super(`malformed HPRIM: ${shown}${more}`);
    this.name = 'HprimError';
    this.issues = issues;
  }
}
