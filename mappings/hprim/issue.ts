/**
 * Every problem the HPRIM reader can report, as data: a stable code, the English message
 * (logs, command line; `{n}` is a count, never a value from the document) and the French
 * label a doctor reads in the CR-BIO ("Remarques de conversion") or an administrator in a
 * notice. No row ever echoes the value found: it may identify a patient.
 */
export const HPRIM_ISSUES = {
  'header-too-short': { message: 'HPRIM header needs 12 lines, the text has {n}', label: "En-tête HPRIM incomplet : le compte rendu est transmis en texte." },
  'header-not-found': { message: 'no 12-line HPRIM header found (dates on lines 7 and 10, codes on lines 11 and 12); the report travels as text', label: "En-tête HPRIM non reconnu : le compte rendu est transmis en texte, sans structure." },
  'preamble': { message: '{n} line(s) before the 12-line header kept as free text', label: "Ligne(s) précédant l'en-tête HPRIM conservée(s) en texte libre." },
  'birth-date-format': { message: 'birth date must be DD/MM/YYYY or empty; kept as written, unknown in the CDA', label: "Date de naissance illisible : conservée telle qu'écrite, inconnue dans le document structuré." },
  'birth-date-impossible': { message: 'birth date is not a calendar date; kept as written, unknown in the CDA', label: "Date de naissance impossible (jour ou mois inexistant) : conservée telle qu'écrite, inconnue dans le document structuré." },
  'exam-date-format': { message: 'exam date must be DD/MM/YYYY or empty; kept as written, unknown in the CDA', label: "Date d'examen illisible : conservée telle qu'écrite, inconnue dans le document structuré." },
  'exam-date-impossible': { message: 'exam date is not a calendar date; kept as written, unknown in the CDA', label: "Date d'examen impossible (jour ou mois inexistant) : conservée telle qu'écrite, inconnue dans le document structuré." },
  'report-date-impossible': { message: 'report date (line 13) is not a calendar date and time; kept as written, not in the CDA header', label: "Date du compte rendu impossible : conservée telle qu'écrite, absente de l'en-tête structuré." },
  'ssn-format': { message: 'social-security number must be 13 digits, a space and a 2-digit key, or empty', label: "Numéro de sécurité sociale mal formé (il n'est jamais transmis)." },
  'sender-code-length': { message: 'sender code must be at most 10 characters, then a space and the sender LOCAL', label: "Code expéditeur de plus de 10 caractères." },
  'recipient-code-length': { message: 'recipient code must be at most 10 characters, then a space and the recipient LOCAL', label: "Code destinataire de plus de 10 caractères." },
  'xml-character': { message: 'control character that XML cannot carry; dropped in the CDA (the original HPRIM travels unchanged)', label: "Caractère de contrôle non transmissible : omis dans le document structuré (l'original HPRIM est joint)." },
  'res-field-count': { message: 'RES line has {n} fields, expected 9 to 13 (label|code|type|value|unit|low|high|flag|status[|value2|unit2|low2|high2])', label: "Ligne de résultat mal formée (nombre de champs) : conservée en texte." },
  'res-type': { message: 'RES field 3 (type) must be N, A, C or empty', label: "Ligne de résultat au type inconnu : conservée en texte." },
  'res-flag': { message: 'RES field 8 (flag) must be L, H, LL, HH, N or empty', label: "Ligne de résultat à l'indicateur d'anomalie inconnu : conservée en texte." },
  'res-status': { message: 'RES field 9 (status) must be F, R, C or empty', label: "Ligne de résultat au statut inconnu : conservée en texte." },
  'lab-stray-line': { message: 'line in the LAB block is neither RES| nor TEX|; kept as free text', label: "Ligne inattendue dans le bloc de résultats : conservée en texte." },
  'lab-second-block': { message: 'second ****LAB**** block', label: "Second bloc de résultats dans le même compte rendu." },
  'lab-not-closed-before-end': { message: '****LAB**** block not closed by ****FIN**** before ****FINFICHIER****', label: "Bloc de résultats non fermé." },
  'lab-not-closed': { message: '****LAB**** block not closed by ****FIN****', label: "Bloc de résultats non fermé." },
  'text-after-lab': { message: 'text between ****FIN**** and ****FINFICHIER**** kept as free text', label: "Texte après le bloc de résultats : conservé en texte libre." },
  'text-after-end': { message: 'text after ****FINFICHIER**** kept as free text', label: "Texte après la fin du fichier : conservé en texte libre." },
  'missing-end': { message: 'missing end marker ****FINFICHIER****', label: "Marqueur de fin de fichier absent." },
} as const satisfies Record<string, { message: string; label: string }>;

export type HprimIssueCode = keyof typeof HPRIM_ISSUES;

/**
 * A problem found while reading HPRIM text: what (a code of {@link HPRIM_ISSUES}), where
 * (1-based line, optional column) and the English message. Messages name the line and the
 * expected shape, never the value found (it may identify a patient).
 */
export interface HprimIssue {
  code: HprimIssueCode;
  line: number;
  column?: number;
  message: string;
}

/**
 * Build an issue from its row of {@link HPRIM_ISSUES}; `n` fills the row's `{n}`.
 *
 * @example
 * hprimIssue('exam-date-format', 10, 1) // { code: 'exam-date-format', line: 10, column: 1, message: 'exam date must be …' }
 */
export function hprimIssue(code: HprimIssueCode, line: number, column?: number, n?: number): HprimIssue {
  const message = HPRIM_ISSUES[code].message.replace('{n}', String(n ?? ''));
  return column === undefined ? { code, line, message } : { code, line, column, message };
}

/**
 * The French label of an issue, with its line, for doctors and administrators.
 *
 * @example
 * issueLabelFr(hprimIssue('exam-date-format', 10, 1)) // "Ligne 10 : Date d'examen illisible : …"
 */
export function issueLabelFr(issue: HprimIssue): string {
  return `Ligne ${issue.line} : ${HPRIM_ISSUES[issue.code].label}`;
}

/**
 * "line 8: social-security number must be 13 digits, a space and a 2-digit key"
 *
 * @example
 * formatIssue({ code: 'ssn-format', line: 8, column: 1, message: 'bad' }) // 'line 8, column 1: bad'
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
