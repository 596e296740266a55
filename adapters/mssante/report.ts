/**
 * Shared writing of `multipart/report` messages (RFC 6522) for MDNs and DSNs.
 * No `node:` imports.
 */
import { base64Encode } from './tls/pem.js';
import { concatBytes } from '../../lib/bytes.js';

const enc = new TextEncoder();

/** RFC 5322 date-time in UTC, e.g. `Mon, 23 Nov 2026 04:00:00 +0000`. */
export function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** A new Message-ID `<uuid@domain>`. */
export function newMessageId(domain: string): string {
  return `<${crypto.randomUUID()}@${domain}>`;
}

/** Removes CR/LF from a value headed for a header or report field. */
export function field(v: string): string {
  return v.replace(/[\r\n]+/g, ' ').trim();
}

/** RFC 2047 encoded-word when the text is not ASCII. */
export function encodeWord(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${base64Encode(enc.encode(text))}?=`;
}

export interface ReportParts {
  headers: Record<string, string>;
  reportType: 'disposition-notification' | 'delivery-status';
  /** Human-readable part (UTF-8 text). */
  human: string;
  /** The machine-readable part: its content type and body (lines, CRLF added). */
  machine: { contentType: string; fields: string[] };
  /** The original message, or its header section, when given. */
  original?: { kind: 'headers' | 'full'; bytes: Uint8Array };
}


/** The header section of a raw message (up to the first empty line), CRLF line ends. */
export function headerSection(raw: Uint8Array): Uint8Array {
  for (let i = 0; i + 3 < raw.length; i++) {
    if (raw[i] === 13 && raw[i + 1] === 10 && raw[i + 2] === 13 && raw[i + 3] === 10) return raw.subarray(0, i + 2);
  }
  for (let i = 0; i + 1 < raw.length; i++) if (raw[i] === 10 && raw[i + 1] === 10) return raw.subarray(0, i + 1);
  return raw;
}

/**
 * Writes a `multipart/report` message.
 *
 * @example
 * const raw = buildReport({ headers: { From: ..., To: ... }, reportType: 'delivery-status', human: '...', machine: {...} });
 */
export function buildReport(r: ReportParts): Uint8Array {
  const boundary = `report_${crypto.randomUUID()}`;
  const head =
    Object.entries(r.headers).map(([k, v]) => `${k}: ${field(v)}\r\n`).join('') +
    `MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=${r.reportType}; boundary="${boundary}"\r\n\r\n` +
    `This is a MIME-formatted ${r.reportType === 'delivery-status' ? 'delivery status' : 'disposition notification'} report.\r\n\r\n`;
  const human =
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n` +
    r.human.replace(/\r?\n/g, '\r\n').replace(/(\r\n)?$/, '\r\n') + '\r\n';
  const machine = `--${boundary}\r\nContent-Type: ${r.machine.contentType}\r\n\r\n` + r.machine.fields.map((l) => `${l}\r\n`).join('') + '\r\n';
  const parts: Uint8Array[] = [enc.encode(head + human + machine)];
  if (r.original) {
    const ct = r.original.kind === 'headers' ? 'text/rfc822-headers' : 'message/rfc822';
    parts.push(enc.encode(`--${boundary}\r\nContent-Type: ${ct}\r\n\r\n`), r.original.bytes);
    const last = r.original.bytes[r.original.bytes.length - 1];
    parts.push(enc.encode(`${last === 10 ? '' : '\r\n'}\r\n`));
  }
  parts.push(enc.encode(`--${boundary}--\r\n`));
  return concatBytes(...parts);
}
