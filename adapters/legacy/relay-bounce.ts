/**
 * A bounce the legacy relay sends after it accepted a submission (a suspended subscriber,
 * SPEC §7 `statut S`; a failure inside the network). SPEC.md does not define its form; the
 * relay, like any MTA, writes an RFC 3464 delivery status notification
 * (`multipart/report; report-type=delivery-status`) from the null sender to the envelope
 * sender of the submission — the gateway's own address — either as it is or sealed as an
 * LNP/1 mail whose text is that report entity. Both reach {@link parseRelayBounce} as text.
 *
 * Pure: Web APIs only (no `node:` imports, no Buffer).
 */
import { fromBase64 } from '../../lib/base64.js';
import { LegacyError } from './legacy-error.js';

/** One recipient block of the `message/delivery-status` part. */
export interface BouncedRecipient {
  /** `Final-Recipient` address (the `rfc822;` prefix removed), lower-cased. */
  recipient: string;
  /** `Action`, lower-cased: `failed`, `delayed`, `delivered`, `relayed`, `expanded`. */
  action: string;
  /** `Status`, e.g. `5.2.1`. */
  status: string;
  /** `Diagnostic-Code` without its type prefix (`smtp;`), when given. */
  diagnostic?: string;
}

/** What the gateway reads from a relay bounce. Never the content of the original. */
export interface RelayBounce {
  /** `Reporting-MTA` without its type prefix, when given. */
  reportingMta?: string;
  recipients: BouncedRecipient[];
  /** The bounced message's Message-ID, from its `text/rfc822-headers` (or `message/rfc822`) part. */
  originalMessageId?: string;
  /** The human-readable part, as the relay wrote it. */
  text: string;
}

interface Entity {
  headers: Record<string, string>;
  body: string;
}

/** Is this raw mail's top-level Content-Type a delivery-status report (the plain form)? */
export function isDeliveryReport(raw: Uint8Array): boolean {
  const head = headerText(new TextDecoder('latin1').decode(raw.subarray(0, Math.min(raw.byteLength, 64 * 1024))));
  const ct = parseHeaders(head)['content-type'] ?? '';
  return isReportType(ct);
}

/**
 * Reads a delivery status notification: a whole mail (plain form) or the report entity that a
 * sealed bounce carries as its text (its own `Content-Type` header, a blank line, the parts).
 * Throws `LegacyError('BAD_REPORT')` when it is not a `delivery-status` report or names no
 * recipient.
 *
 * @example
 * const b = parseRelayBounce(text);
 * b.recipients[0]; // { recipient: 'cab.dupuis@medical33.lnp.test', action: 'failed', status: '5.2.1', diagnostic: '550 5.2.1 …' }
 * b.originalMessageId; // '<01JD2Z6Q7XK3M9V4T8B2C5D7FG.legacy@passerelle.mssante.test>'
 */
export function parseRelayBounce(text: string): RelayBounce {
  const top = splitEntity(text.replace(/^(\r?\n)+/, ''));
  const ct = top.headers['content-type'] ?? '';
  if (!isReportType(ct)) {
    throw new LegacyError('BAD_REPORT', `not a delivery-status report (Content-Type ${ct.split(';')[0]!.trim() || 'missing'})`);
  }
  const boundary = param(ct, 'boundary');
  if (!boundary) throw new LegacyError('BAD_REPORT', 'multipart/report without a boundary parameter');
  const parts = splitMultipart(top.body, boundary);
  let human = '';
  let status: Entity | undefined;
  let original: Entity | undefined;
  for (const p of parts) {
    const type = (p.headers['content-type'] ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
    if (type === 'message/delivery-status' || type === 'message/global-delivery-status') status ??= p;
    else if (type === 'text/rfc822-headers' || type === 'message/rfc822' || type === 'message/rfc822-headers') original ??= p;
    else if (type === 'text/plain' && !human) human = decodeBody(p);
  }
  if (!status) throw new LegacyError('BAD_REPORT', 'the report has no message/delivery-status part');
  const { reportingMta, recipients } = readDeliveryStatus(decodeBody(status));
  if (recipients.length === 0) throw new LegacyError('BAD_REPORT', 'the delivery-status part names no Final-Recipient');
  const originalMessageId = original ? messageIdOf(decodeBody(original)) : undefined;
  return {
    ...(reportingMta ? { reportingMta } : {}),
    recipients,
    ...(originalMessageId ? { originalMessageId } : {}),
    text: human,
  };
}

/** The per-message and per-recipient fields of a `message/delivery-status` body (RFC 3464 §2.2, §2.3). */
function readDeliveryStatus(body: string): { reportingMta?: string; recipients: BouncedRecipient[] } {
  const groups = unfold(body).split(/\r?\n(?:[ \t]*\r?\n)+/);
  let reportingMta: string | undefined;
  const recipients: BouncedRecipient[] = [];
  for (const g of groups) {
    const f = parseHeaders(g);
    if (f['reporting-mta'] && reportingMta === undefined) reportingMta = typed(f['reporting-mta']);
    const final = f['final-recipient'];
    if (!final) continue;
    recipients.push({
      recipient: typed(final).replace(/^<(.*)>$/, '$1').toLowerCase(),
      action: (f['action'] ?? '').trim().toLowerCase(),
      status: (f['status'] ?? '').match(/[245]\.\d{1,3}\.\d{1,3}/)?.[0] ?? '',
      ...(f['diagnostic-code'] ? { diagnostic: typed(f['diagnostic-code']).slice(0, 300) } : {}),
    });
  }
  return { ...(reportingMta ? { reportingMta } : {}), recipients };
}

/** `rfc822; a@b` → `a@b`. */
function typed(v: string): string {
  return v.replace(/^\s*[A-Za-z0-9-]+\s*;\s*/, '').trim();
}

function messageIdOf(headers: string): string | undefined {
  const v = parseHeaders(headerText(headers))['message-id'];
  const m = v?.match(/<[^<>\s]+>/);
  return m ? m[0] : undefined;
}

function isReportType(ct: string): boolean {
  return /^\s*multipart\/report\b/i.test(ct) && (param(ct, 'report-type') ?? '').toLowerCase() === 'delivery-status';
}

/** A Content-Type parameter, quotes removed. */
function param(ct: string, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*("((?:[^"\\\\]|\\\\.)*)"|[^;\\s]*)`, 'i').exec(ct);
  if (!m) return undefined;
  return m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[1];
}

function unfold(text: string): string {
  return text.replace(/\r?\n[ \t]+(?=\S)/g, ' ');
}

/** The header section of a text (up to the first empty line). */
function headerText(text: string): string {
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

/** Header fields, names lower-cased, first occurrence kept, folding undone. */
function parseHeaders(section: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of unfold(section).split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!(name in out)) out[name] = line.slice(i + 1).trim();
  }
  return out;
}

function splitEntity(text: string): Entity {
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return { headers: parseHeaders(text), body: '' };
  return { headers: parseHeaders(text.slice(0, m.index)), body: text.slice(m.index + m[0].length) };
}

function splitMultipart(body: string, boundary: string): Entity[] {
  const parts: Entity[] = [];
  let cur: string[] | null = null;
  let closed = false;
  for (const line of body.split(/\r?\n/)) {
    const t = line.trimEnd();
    if (t === `--${boundary}--`) {
      if (cur) parts.push(splitEntity(cur.join('\r\n')));
      closed = true;
      break;
    }
    if (t === `--${boundary}`) {
      if (cur) parts.push(splitEntity(cur.join('\r\n')));
      cur = [];
      continue;
    }
    if (cur) cur.push(line);
  }
  if (!closed) throw new LegacyError('BAD_REPORT', 'multipart/report has no closing boundary');
  return parts;
}

/** A part's body as text (base64 and quoted-printable undone; bytes read as UTF-8, else ISO-8859-1). */
function decodeBody(p: Entity): string {
  const cte = (p.headers['content-transfer-encoding'] ?? '7bit').trim().toLowerCase();
  let bytes: Uint8Array;
  if (cte === 'base64') {
    try {
      bytes = fromBase64(p.body);
    } catch {
      throw new LegacyError('BAD_REPORT', 'a part of the report has invalid base64');
    }
  } else if (cte === 'quoted-printable') {
    const text = p.body.replace(/=\r?\n/g, '');
    const out: number[] = [];
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
        out.push(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else out.push(text.charCodeAt(i) & 0xff);
    }
    bytes = new Uint8Array(out);
  } else {
    bytes = Uint8Array.from(p.body, (c) => c.charCodeAt(0) & 0xff);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('latin1').decode(bytes);
  }
}
