/**
 * Writes RFC 5322 / MIME messages with Web APIs only (no Buffer, no streams), so adapters
 * can seal on any runtime. Text parts are UTF-8 quoted-printable, attachments base64,
 * non-ASCII header text RFC 2047 encoded-words, CRLF line ends throughout.
 *
 * @example
 * const raw = writeMime({
 *   headers: { From: 'a@x.test', To: 'b@y.test', Subject: 'Résultats', 'Message-ID': '<1@x.test>' },
 *   text: 'Bonjour', attachments: [{ filename: 'cr.pdf', contentType: 'application/pdf', data }],
 * });
 */
export interface MimeAttachment {
  filename: string;
  contentType: string;
  data: Uint8Array;
  /** `attachment` (default) or `inline`. */
  disposition?: 'attachment' | 'inline';
}

export interface MimeInput {
  /** Header fields in order; values are Unicode text (encoded here when needed). */
  headers: Record<string, string>;
  text?: string;
  html?: string;
  attachments?: MimeAttachment[];
}

import { base64Lines, toBase64 } from '../base64.js';

export { base64Lines };

const enc = new TextEncoder();

export function writeMime(m: MimeInput): Uint8Array {
  return enc.encode(headerBlock(m.headers) + 'MIME-Version: 1.0\r\n' + bodyPart(m));
}

/** Header fields, RFC 2047-encoded where needed and folded, each ending in CRLF. */
export function headerBlock(headers: Record<string, string>): string {
  return Object.entries(headers).map(([k, v]) => foldHeader(k, encodeHeaderValue(k, v)) + '\r\n').join('');
}

/** One MIME entity (headers + body) for the content, as text with CRLF line ends. */
export function bodyPart(m: Omit<MimeInput, 'headers'>): string {
  const textPart = alternative(m.text ?? '', m.html);
  const atts = m.attachments ?? [];
  if (atts.length === 0) return textPart;
  const b = boundary();
  const parts = [textPart, ...atts.map(attachmentPart)];
  return `Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n` +
    parts.map((p) => `--${b}\r\n${p}\r\n`).join('') + `--${b}--\r\n`;
}

function alternative(text: string, html?: string): string {
  const plain = `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${quotedPrintable(text)}`;
  if (!html) return plain;
  const b = boundary();
  const h = `Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${quotedPrintable(html)}`;
  return `Content-Type: multipart/alternative; boundary="${b}"\r\n\r\n--${b}\r\n${plain}\r\n--${b}\r\n${h}\r\n--${b}--\r\n`;
}

function attachmentPart(a: MimeAttachment): string {
  const name = encodeParam(a.filename);
  return `Content-Type: ${a.contentType}; name=${name}\r\nContent-Transfer-Encoding: base64\r\n` +
    `Content-Disposition: ${a.disposition ?? 'attachment'}; filename=${name}\r\n\r\n${base64Lines(a.data)}`;
}

let counter = 0;
function boundary(): string {
  const r = new Uint8Array(12);
  crypto.getRandomValues(r);
  return `=_pas_${(counter++).toString(36)}_${Array.from(r, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** A line quoted-printable leaves as it is: up to 75 characters of printable ASCII but '=' (blanks inside only). */
const QP_VERBATIM = /^(?:[\x21-\x3c\x3e-\x7e]|[ \t](?!$)){0,75}$/;

/** Quoted-printable (RFC 2045) of UTF-8 text; line breaks become CRLF. */
export function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.replace(/\r?\n/g, '\n').split('\n')) {
    // Most lines need no encoding at all: printable ASCII but '=', short, no trailing blank.
    if (QP_VERBATIM.test(line)) {
      out.push(line);
      continue;
    }
    let cur = '';
    const bytes = enc.encode(line);
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i];
      const last = i === bytes.length - 1;
      let piece: string;
      if ((c >= 33 && c <= 126 && c !== 61) || ((c === 32 || c === 9) && !last)) piece = String.fromCharCode(c);
      else piece = '=' + c.toString(16).toUpperCase().padStart(2, '0');
      if (cur.length + piece.length > 75) {
        out.push(cur + '=');
        cur = '';
      }
      cur += piece;
    }
    out.push(cur);
  }
  return out.join('\r\n') + '\r\n';
}

const ADDRESS_HEADERS = /^(from|to|cc|bcc|reply-to|sender|disposition-notification-to)$/i;

function encodeHeaderValue(name: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  if (ADDRESS_HEADERS.test(name)) {
    // Encode display names only; addresses stay ASCII.
    return value.replace(/"?([^",<]*[^\x20-\x7e][^",<]*)"?(\s*<)/g, (_m, dn: string, lt: string) => `${encodedWord(dn.trim())}${lt}`);
  }
  return encodedWord(value);
}

/** RFC 2047 B-encoding, split so no encoded-word exceeds 75 characters. */
export function encodedWord(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    const next = chunk + ch;
    if (enc.encode(next).length > 45) {
      words.push(chunk);
      chunk = ch;
    } else chunk = next;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${toBase64(enc.encode(w))}?=`).join(' ');
}

function encodeParam(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7e]*$/.test(value)) return `"${value.replace(/["\\]/g, '\\$&')}"`;
  return `"${encodedWord(value)}"`;
}

function foldHeader(name: string, value: string): string {
  const line = `${name}: ${value}`;
  if (line.length <= 78) return line;
  const words = line.split(' ');
  const out: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > 76) {
      out.push(cur);
      cur = ' ' + w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  out.push(cur);
  return out.join('\r\n');
}
