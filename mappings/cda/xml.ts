/** Small XML and encoding helpers shared by the CDA and XDM writers (Web APIs only). */
import { base64Lines, fromBase64, toBase64 } from '../../lib/base64.js';
import { readHprimDate } from '../hprim/dates.js';

// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Does this text keep at least one character once written in XML (characters XML 1.0
 * cannot carry are dropped)? An attribute that must not be empty is written only then.
 *
 * @example
 * writable('\u0001') // false
 */
export function writable(s: string): boolean {
  return s.replace(INVALID_XML, '') !== '';
}

const CHAR_REF: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;', '\u0085': '&#133;', '\u2028': '&#8232;' };

/**
 * Escape text for XML content or a double-quoted attribute; drops characters XML 1.0 cannot
 * carry. Tab, line feed, carriage return, NEL (U+0085) and LS (U+2028) are written as
 * character references, so a parser gives them back as written (attribute-value and
 * line-end normalisation would turn them into spaces or line feeds; xmldom treats NEL and
 * LS as line ends).
 *
 * @example
 * esc('a < b & "c"') // 'a &lt; b &amp; &quot;c&quot;'
 */
export function esc(s: string): string {
  // Most values (codes, names, units, comment lines) hold nothing to escape or drop: returned as
  // they are, after one test (the two replacements each walked the text and built a copy).
  if (!NEEDS_ESCAPING.test(s)) return s;
  return s.replace(INVALID_XML, '').replace(/[&<>"\t\n\r\u0085\u2028]/g, (c) => CHAR_REF[c]);
}

/** Any character `esc` escapes or drops: controls, XML specials, NEL, LS, surrogates, U+FFFE and U+FFFF. */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPING = /[\u0000-\u001f"&<>\u0085\u2028\ud800-\udfff\ufffe\uffff]/;

/**
 * ` name="value"` or '' when the value is empty or undefined.
 *
 * @example
 * attr('styleCode', 'Bold') // ' styleCode="Bold"'
 */
export function attr(name: string, value: string | undefined): string {
  return value ? ` ${name}="${esc(value)}"` : '';
}

/**
 * Base64 in lines (LF) for XML text content; `lineLength` 0 for one line.
 *
 * @example
 * base64(new Uint8Array([37, 80, 68, 70])) // 'JVBERg=='
 */
export function base64(bytes: Uint8Array, lineLength = 76): string {
  return lineLength ? base64Lines(bytes, lineLength, '\n').replace(/\n$/, '') : toBase64(bytes);
}

/** Decode base64 (whitespace ignored). */
export { fromBase64 };

/**
 * HL7 TS in UTC: `YYYYMMDDHHMMSS+0000`.
 *
 * @example
 * hl7Time(new Date('2026-11-20T10:15:00Z')) // '20261120101500+0000'
 */
export function hl7Time(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+0000`;
}

/**
 * HPRIM `DD/MM/YYYY` → HL7 `YYYYMMDD`, or undefined when not exactly a calendar date
 * (`31/02/2024`, `05/03/24`, `1970-01-01` are not: see `hprim/dates.ts`).
 *
 * @example
 * hprimDateToHl7('14/03/1968') // '19680314'
 * hprimDateToHl7('30/02/1970') // undefined
 */
export function hprimDateToHl7(s: string): string | undefined {
  const d = readHprimDate(s);
  return d.kind === 'date' ? d.hl7 : undefined;
}

/**
 * HL7 TS (`YYYYMMDD…`) → HPRIM `DD/MM/YYYY`, or '' when too short.
 *
 * @example
 * hl7DateToHprim('19790328') // '28/03/1979'
 */
export function hl7DateToHprim(ts: string | null | undefined): string {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(ts ?? '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}
