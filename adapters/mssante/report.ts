/**
 * Shared writing of `multipart/report` messages (RFC 6522) for MDNs and DSNs.
 * No `node:` imports.
 */
import { toBase64 } from '../../lib/base64.js';
import { concatBytes } from '../../lib/bytes.js';
import { base64Lines } from '../../lib/base64.js';

const enc = new TextEncoder();


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
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${toBase64(enc.encode(text))}?=`;
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
  /**
   * Files after the original, base64 attachments (the national guide gives the original's
   * IHE_XDM.ZIP and PDF back this way; RFC 6522 neither defines nor forbids such parts).
   */
  files?: ReportFile[];
}

export interface ReportFile {
  filename: string;
  contentType: string;
  data: Uint8Array;
}

/** A file name safe for a quoted MIME parameter: printable ASCII, no quotes or backslashes. */
function safeFilename(name: string): string {
  // eslint-disable-next-line no-control-regex
  const ascii = name.normalize('NFD').replace(/\p{M}/gu, '').replace(/[^\x20-\x7e]|["\\/]/g, '_').trim();
  return ascii || 'attachment.bin';
}

/** A MIME content type safe to write: `type/subtype` tokens only, else octet-stream. */
function safeContentType(ct: string): string {
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(ct.trim()) ? ct.trim().toLowerCase() : 'application/octet-stream';
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
  for (const f of r.files ?? []) {
    const name = safeFilename(f.filename);
    parts.push(enc.encode(
      `--${boundary}\r\nContent-Type: ${safeContentType(f.contentType)}; name="${name}"\r\nContent-Transfer-Encoding: base64\r\n` +
      `Content-Disposition: attachment; filename="${name}"\r\n\r\n${base64Lines(f.data)}\r\n`,
    ));
  }
  parts.push(enc.encode(`--${boundary}--\r\n`));
  return concatBytes(...parts);
}
