/**
 * The neutral content model: what a message says, independent of the network that carried
 * it. Adapters produce it when they open a message and consume it when they seal one; the
 * mappings in `mappings/` translate between its kinds (HPRIM text ↔ CDA documents).
 */

/** A file carried with a message. */
export interface Attachment {
  /** File name as the sender gave it (never a path). */
  filename: string;
  /** MIME type, e.g. `application/pdf`; `application/octet-stream` when unknown. */
  contentType: string;
  data: Uint8Array;
}

/** A free-text letter, possibly with attachments. */
export interface LetterContent {
  kind: 'letter';
  /** The text, with `\n` or `\r\n` line ends, as Unicode. */
  text: string;
  /** An HTML rendering when the sender wrote one. */
  html?: string;
  attachments: Attachment[];
}

/**
 * A lab report. `hprim` is the original HPRIM text when the report came from the legacy
 * network; `report` is its structured reading when the mappings could read it;
 * `documents` are CDA/XDM documents when it came from the national side.
 */
export interface LabReportContent {
  kind: 'lab-report';
  hprim?: string;
  report?: LabReport;
  /** Free text around the structured part (HPRIM free text, CDA narrative). */
  text: string;
  attachments: Attachment[];
}

/** A delivery or disposition notification (DSN, MDN, relay bounce). Never answered. */
export interface NotificationContent {
  kind: 'notification';
  notification: 'dsn' | 'mdn' | 'notice';
  /** The Message-ID of the message it is about. */
  originalMessageId?: string;
  text: string;
  attachments: Attachment[];
}

export type Content = LetterContent | LabReportContent | NotificationContent;

/** Abnormality flag of a lab result, as HPRIM writes it (HL7 interpretation codes alike). */
export type ResultFlag = 'L' | 'H' | 'LL' | 'HH' | 'N' | '';

/** Status of a lab result: F validated, R not validated, C corrected. */
export type ResultStatus = 'F' | 'R' | 'C' | '';

/** One `RES|` line of an HPRIM report: all 14 fields. */
export interface LabResult {
  label: string;
  code: string;
  /** N numeric, A alphanumeric, C coded. */
  type: 'N' | 'A' | 'C' | '';
  value: string;
  unit: string;
  low: string;
  high: string;
  flag: ResultFlag;
  status: ResultStatus;
  value2?: string;
  unit2?: string;
  low2?: string;
  high2?: string;
}

/** The structured reading of a lab report (HPRIM header plus results). */
export interface LabReport {
  patient: {
    fileNumber: string;
    lastName: string;
    firstName: string;
    address1: string;
    address2: string;
    postcodeCity: string;
    /** `DD/MM/YYYY` as written. */
    birthDate: string;
    /** Social-security number as written, or empty. Never an INS. */
    socialSecurityNumber: string;
  };
  requestNumber: string;
  /** `DD/MM/YYYY` as written. */
  examDate: string;
  /** Line 11. `gap` holds the spaces between code and `LOCAL` as written when they are not exactly one (fixed-width codes), so the line comes back exactly. */
  sender: { code: string; local: string; gap?: string };
  /** Line 12, as line 11. */
  recipient: { code: string; local: string; gap?: string };
  results: LabResult[];
  /** `TEX|` lines, in order, as written. */
  texts: string[];
  /** Free-text lines between the header and the `****LAB****` block (and any line that could not be read as structure), as written. */
  freeText?: string[];
  /** Lines some laboratory software writes before the 12-line header, kept as free text and written back before it. */
  preamble?: string[];
  /** Line 13 of the 13-line header variant (report date `DD/MM/YYYY[ HH:MM[:SS]]`), when the sender wrote one. */
  reportDate?: string;
  /** Order of the `****LAB****` block as read: `R` a `RES|` line, `T` a `TEX|` line (lets a writer keep the original interleaving). */
  layout?: Array<'R' | 'T'>;
}

/** Does this content carry a panic value (LL/HH) or any abnormal value? */
export function alertLevel(content: Content): 'panic' | 'abnormal' | 'none' {
  if (content.kind !== 'lab-report' || !content.report) return 'none';
  const flags = content.report.results.map((r) => r.flag);
  if (flags.some((f) => f === 'LL' || f === 'HH')) return 'panic';
  if (flags.some((f) => f === 'L' || f === 'H')) return 'abnormal';
  return 'none';
}
