/**
 * The LNP/1 mail (SPEC §5): an RFC 5322 message whose body is `$LNP1` + armour
 * (`text/plain; charset=ISO-8859-1`, 7bit), or a `multipart/mixed` whose first part is that
 * text and whose further parts are sealed attachment containers (`NAME.lpz`, base64).
 *
 * A small purpose-built reader and writer: folded headers, quoted parameters, CRLF or LF,
 * RFC 2047 subjects. It reads what it needs and refuses (`BAD_MAIL`) what it cannot read.
 */
import { decodeLatin1, encodeLatin1, latin1Bytes } from '../../mappings/transliteration/latin1.js';
import { LegacyError } from './legacy-error.js';
import { decodeBase64, encodeBase64 } from '../../lib/base64.js';
import { rfc5322Date } from '../../lib/mime/date.js';
import { ARMOUR_BEGIN, ARMOUR_END } from './armour.js';
import { trimEndOf, trimSuffixes } from './trim.js';

/** The marker line before the armour. */
export const LNP_MARKER = '$LNP1';

/** A parsed LNP/1 mail. Addresses are lower-cased; header names in `headers` too. */
export interface LnpMail {
  from: string;
  to: string[];
  cc: string[];
  /** The Date header as written. */
  date?: string;
  /** The Message-ID with its angle brackets. */
  messageId?: string;
  /** The Subject, RFC 2047 words decoded. In clear on the network: never a patient's identity. */
  subject: string;
  /** `X-LNP-Transit`: set on mail the relay delivered. */
  transit?: string;
  /** `X-LNP-Version`. */
  version?: string;
  /** The armour, from `#BINASCII1#` to `#ENDBINASCII1#`, CRLF line ends. */
  armour: string;
  /** The sealed attachment containers, in order. */
  attachments: { filename: string; sealed: Uint8Array }[];
  /** Every header, name lower-cased, folded lines joined (first occurrence wins). */
  headers: Record<string, string>;
}

/** What {@link buildLnpMail} writes. */
export interface LnpMailInput {
  from: string;
  to: string[];
  cc?: string[];
  date?: Date | string;
  messageId?: string;
  subject: string;
  transit?: string;
  armour: string;
  attachments?: { filename: string; sealed: Uint8Array }[];
  /** Further header fields (single-line values). */
  extraHeaders?: Record<string, string>;
}

interface Part {
  headers: Record<string, string>;
  body: string;
}

/**
 * @example
 * const mail = parseLnpMail(raw);
 * mail.transit; // 'relay1'
 * const sealed = dearmour(mail.armour);
 */
export function parseLnpMail(raw: Uint8Array): LnpMail {
  const top = splitPart(decodeLatin1(raw), 'mail');
  const h = top.headers;
  const fromList = parseAddressList(h['from'] ?? '');
  if (fromList.length === 0) throw new LegacyError('BAD_MAIL', 'mail has no From address');
  const ct = parseContentType(h['content-type'] ?? 'text/plain');
  let textPart: Part;
  const attachments: { filename: string; sealed: Uint8Array }[] = [];
  if (ct.type === 'multipart/mixed') {
    const boundary = ct.params['boundary'];
    if (!boundary) throw new LegacyError('BAD_MAIL', 'multipart/mixed without a boundary parameter');
    const parts = splitMultipart(top.body, boundary);
    if (parts.length === 0) throw new LegacyError('BAD_MAIL', 'multipart/mixed has no part');
    textPart = parts[0]!;
    const firstType = parseContentType(textPart.headers['content-type'] ?? 'text/plain').type;
    if (firstType !== 'text/plain') throw new LegacyError('BAD_MAIL', `first part is ${firstType}, expected text/plain`);
    parts.slice(1).forEach((p, i) => {
      attachments.push({ filename: partFilename(p, i), sealed: partBytes(p, `part ${i + 2}`) });
    });
  } else if (ct.type === 'text/plain') {
    textPart = top;
  } else {
    throw new LegacyError('BAD_MAIL', `unexpected Content-Type ${ct.type}`);
  }
  const text = partText(textPart);
  return {
    from: fromList[0]!,
    to: parseAddressList(h['to'] ?? ''),
    cc: parseAddressList(h['cc'] ?? ''),
    ...(h['date'] !== undefined ? { date: h['date'] } : {}),
    ...(h['message-id'] !== undefined ? { messageId: h['message-id'].trim() } : {}),
    subject: decodeEncodedWords(h['subject'] ?? ''),
    ...(h['x-lnp-transit'] !== undefined ? { transit: h['x-lnp-transit'].trim() } : {}),
    ...(h['x-lnp-version'] !== undefined ? { version: h['x-lnp-version'].trim() } : {}),
    armour: extractArmour(text),
    attachments,
    headers: h,
  };
}

/**
 * Write an LNP/1 mail, CRLF line ends.
 *
 * @example
 * const raw = buildLnpMail({ from: 'passerelle@gw.lnp.test', to: ['cab.dupuis@medical33.lnp.test'],
 *   subject: 'Compte rendu', date: new Date(), messageId: '<x@gw>', armour: armour(sealed) });
 */
export function buildLnpMail(input: LnpMailInput): Uint8Array {
  const lines: string[] = [];
  const add = (name: string, value: string) => {
    if (/[\r\n]/.test(value) || /[\r\n:]/.test(name)) throw new LegacyError('BAD_MAIL', `header ${name.replace(/[^\x21-\x7e]/g, '?')} holds a line break`);
    lines.push(fold(`${name}: ${value}`));
  };
  add('From', encodeMailbox(input.from));
  add('To', input.to.map(encodeMailbox).join(', '));
  if (input.cc && input.cc.length > 0) add('Cc', input.cc.map(encodeMailbox).join(', '));
  add('Date', input.date === undefined ? rfc5322Date(new Date()) : typeof input.date === 'string' ? input.date : rfc5322Date(input.date));
  if (input.messageId) add('Message-ID', input.messageId.startsWith('<') ? input.messageId : `<${input.messageId}>`);
  add('Subject', encodeSubject(input.subject));
  add('X-LNP-Version', '1');
  if (input.transit) add('X-LNP-Transit', input.transit);
  for (const [k, v] of Object.entries(input.extraHeaders ?? {})) add(k, v);
  add('MIME-Version', '1.0');
  const textBody = `${LNP_MARKER}\r\n${trimSuffixes(input.armour.replace(/\r?\n/g, '\r\n'), '\r\n')}\r\n`;
  const atts = input.attachments ?? [];
  if (atts.length === 0) {
    add('Content-Type', 'text/plain; charset="ISO-8859-1"');
    add('Content-Transfer-Encoding', '7bit');
    return latin1Bytes(`${lines.join('\r\n')}\r\n\r\n${textBody}`);
  }
  const boundary = `=_lnp_${hexRandom(12)}`;
  add('Content-Type', `multipart/mixed; boundary="${boundary}"`);
  const out = [lines.join('\r\n'), '', `--${boundary}`, 'Content-Type: text/plain; charset="ISO-8859-1"', 'Content-Transfer-Encoding: 7bit', '', textBody];
  for (const a of atts) {
    out.push(
      `--${boundary}`,
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="${asciiFilename(a.filename)}"`,
      '',
      wrap(encodeBase64(a.sealed), 76),
      '',
    );
  }
  out.push(`--${boundary}--`, '');
  return latin1Bytes(out.join('\r\n'));
}

/**
 * The addresses of an address-list header, lower-cased, display names and comments dropped.
 *
 * @example
 * parseAddressList('"Martin, Alice" <Dr.Alice.Martin@medical33.lnp.test>, x@y.test'); // ['dr.alice.martin@medical33.lnp.test', 'x@y.test']
 */
export function parseAddressList(value: string): string[] {
  const items: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = 0;
  let comment = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '\\') {
        cur += c + (value[++i] ?? '');
        continue;
      }
      if (c === '"') quoted = false;
      cur += c;
      continue;
    }
    if (comment > 0) {
      if (c === '(') comment++;
      else if (c === ')') comment--;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '(') {
      comment++;
      continue;
    } else if (c === '<') angle++;
    else if (c === '>') angle = Math.max(0, angle - 1);
    else if ((c === ',' || c === ';') && angle === 0) {
      items.push(cur);
      cur = '';
      continue;
    } else if (c === ':' && angle === 0) {
      cur = ''; // group name
      continue;
    }
    cur += c;
  }
  items.push(cur);
  const out: string[] = [];
  for (const item of items) {
    const m = /<([^<>]*)>/.exec(item);
    const addr = (m ? m[1]! : item.replace(/"([^"\\]|\\.)*"/g, '')).trim();
    if (addr.includes('@')) out.push(addr.toLowerCase());
  }
  return out;
}

/** Decode RFC 2047 encoded words (B and Q; UTF-8, ISO-8859-1, others TextDecoder knows). */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)/g, '$1')
    .replace(/=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g, (whole, charset: string, enc: string, data: string) => {
      try {
        const bytes = enc.toUpperCase() === 'B' ? decodeBase64(data) : qBytes(data);
        const cs = charset.toLowerCase().replace(/\*.*$/, '');
        if (cs === 'iso-8859-1' || cs === 'latin1' || cs === 'us-ascii') return decodeLatin1(bytes);
        return new TextDecoder(cs).decode(bytes);
      } catch {
        return whole;
      }
    })
    .trim();
}

function qBytes(data: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === '_') out.push(0x20);
    else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(data.slice(i + 1, i + 3))) {
      out.push(parseInt(data.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c.charCodeAt(0) & 0xff);
  }
  return new Uint8Array(out);
}

function splitPart(text: string, where: string): Part {
  const m = /\r?\n\r?\n/.exec(text);
  let headerText: string;
  let body: string;
  if (m) {
    headerText = text.slice(0, m.index);
    body = text.slice(m.index + m[0].length);
  } else if (/^\r?\n/.test(text)) {
    headerText = '';
    body = text.replace(/^\r?\n/, '');
  } else {
    throw new LegacyError('BAD_MAIL', `${where}: no blank line after the header`);
  }
  const headers: Record<string, string> = {};
  // The header being continued by folded lines; null after a repeated header (first wins).
  let current: string | null = null;
  for (const line of headerText.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (current !== null) headers[current] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      if (line.trim() === '') continue;
      throw new LegacyError('BAD_MAIL', `${where}: header line without a colon`);
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    if (headers[name] === undefined) {
      headers[name] = line.slice(colon + 1).trim();
      current = name;
    } else current = null;
  }
  return { headers, body };
}

function splitMultipart(body: string, boundary: string): Part[] {
  const lines = body.split(/\r?\n/);
  const parts: Part[] = [];
  let cur: string[] | null = null;
  let closed = false;
  for (const line of lines) {
    const t = trimEndOf(line, ' \t');
    if (t === `--${boundary}--`) {
      if (cur) parts.push(splitPart(cur.join('\r\n'), `part ${parts.length + 1}`));
      cur = null;
      closed = true;
      break;
    }
    if (t === `--${boundary}`) {
      if (cur) parts.push(splitPart(cur.join('\r\n'), `part ${parts.length + 1}`));
      cur = [];
      continue;
    }
    if (cur) cur.push(line);
  }
  if (!closed) throw new LegacyError('BAD_MAIL', 'multipart/mixed has no closing boundary');
  return parts;
}

interface ContentType {
  type: string;
  params: Record<string, string>;
}

function parseContentType(value: string): ContentType {
  const [type, params] = parseParams(value);
  return { type: type.toLowerCase(), params };
}

/** `value; a=b; c="d;e"` → ['value', {a:'b', c:'d;e'}] (names lower-cased, RFC 2231 `*` values decoded). */
function parseParams(value: string): [string, Record<string, string>] {
  const semi = value.indexOf(';');
  const head = (semi < 0 ? value : value.slice(0, semi)).trim();
  const params: Record<string, string> = {};
  const re = /;\s*([^=\s;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  let m: RegExpExecArray | null;
  const rest = semi < 0 ? '' : value.slice(semi);
  while ((m = re.exec(rest)) !== null) {
    let v = m[2]!.trim();
    if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    let name = m[1]!.toLowerCase();
    if (name.endsWith('*')) {
      name = name.slice(0, -1);
      const ext = /^([^']*)'[^']*'(.*)$/.exec(v);
      if (ext) {
        try {
          const bytes = new Uint8Array([...ext[2]!.matchAll(/%([0-9A-Fa-f]{2})|([^%])/g)].map((x) => (x[1] ? parseInt(x[1], 16) : x[2]!.charCodeAt(0) & 0xff)));
          v = /^utf-?8$/i.test(ext[1]!) ? new TextDecoder().decode(bytes) : decodeLatin1(bytes);
        } catch {
          /* keep as written */
        }
      }
    }
    if (params[name] === undefined || m[1]!.endsWith('*')) params[name] = v;
  }
  return [head, params];
}

function partFilename(p: Part, i: number): string {
  const disp = p.headers['content-disposition'];
  const fromDisp = disp ? parseParams(disp)[1]['filename'] : undefined;
  const fromType = parseContentType(p.headers['content-type'] ?? '').params['name'];
  const name = decodeEncodedWords(fromDisp ?? fromType ?? '');
  return name === '' ? `attachment-${i + 1}.lpz` : name;
}

/** A part's Content-Transfer-Encoding, lower-cased (`7bit` when absent). */
const transferEncoding = (p: Part) => (p.headers['content-transfer-encoding'] ?? '7bit').trim().toLowerCase();
/** The encodings under which a body is its bytes as they are. */
const UNENCODED = new Set(['7bit', '8bit', 'binary']);

/** The text part as ISO-8859-1 text: an unencoded body is that text already (it was read from the bytes as ISO-8859-1). */
function partText(p: Part): string {
  return UNENCODED.has(transferEncoding(p)) ? p.body : decodeLatin1(partBytes(p, 'text part'));
}

function partBytes(p: Part, where: string): Uint8Array {
  const cte = transferEncoding(p);
  if (cte === 'base64') {
    try {
      return decodeBase64(p.body.replace(/\s+/g, ''));
    } catch {
      throw new LegacyError('BAD_MAIL', `${where}: invalid base64`);
    }
  }
  if (cte === 'quoted-printable') {
    return qpBytes(p.body);
  }
  if (UNENCODED.has(cte)) return latin1Bytes(p.body);
  throw new LegacyError('BAD_MAIL', `${where}: unknown Content-Transfer-Encoding`);
}

function qpBytes(body: string): Uint8Array {
  const text = body.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c.charCodeAt(0) & 0xff);
  }
  return new Uint8Array(out);
}

/**
 * The armour of an LNP/1 text part: from the begin marker after the `$LNP1` line to the end
 * marker (or the text's end), each line without its trailing white space, CRLF line ends.
 * Lines end at LF (CRLF or LF); one walk with `indexOf`, each line looked at once (exported
 * for its property test against the split on `\r?\n` it replaced).
 */
export function extractArmour(text: string): string {
  const out: string[] = [];
  // 0: looking for the `$LNP1` line; 1: for the begin marker; 2: in the armour.
  let state = 0;
  for (let at = 0; at <= text.length;) {
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    // A CR before the LF is the line's trailing white space: trimmed below, as every line is.
    const line = text.slice(at, nl);
    at = nl + 1;
    if (state === 0) {
      if (line.trim() === LNP_MARKER) state = 1;
    } else if (state === 1) {
      if (line.trim() === ARMOUR_BEGIN) {
        state = 2;
        out.push(line.trimEnd());
      }
    } else {
      out.push(line.trimEnd());
      if (line.trim() === ARMOUR_END) break;
    }
  }
  if (state === 0) throw new LegacyError('BAD_MAIL', `text part has no ${LNP_MARKER} line`);
  if (state === 1) throw new LegacyError('NO_BEGIN_MARKER', `no ${ARMOUR_BEGIN} line after ${LNP_MARKER}`);
  return trimSuffixes(out.join('\r\n'), '\r\n');
}

/** One mailbox (`addr` or `Name <addr>`); a non-ASCII display name becomes RFC 2047 words. */
function encodeMailbox(mailbox: string): string {
  if (/^[\x20-\x7e]*$/.test(mailbox)) return mailbox;
  const m = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(mailbox);
  if (!m || !/^[\x21-\x7e]+$/.test(m[2]!)) throw new LegacyError('BAD_MAIL', 'an address holds characters outside ASCII');
  const name = m[1]!.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
  return `${encodeSubject(name)} <${m[2]}>`;
}

function encodeSubject(subject: string): string {
  const s = subject.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  const bytes = encodeLatin1(s).bytes;
  const words: string[] = [];
  let cur = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    const enc = b === 0x20 ? '_' : /[A-Za-z0-9!*+\-/]/.test(c) ? c : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (cur.length + enc.length > 45) {
      words.push(cur);
      cur = '';
    }
    cur += enc;
  }
  if (cur) words.push(cur);
  return words.map((w) => `=?ISO-8859-1?Q?${w}?=`).join(' ');
}

/** Fold a header line at spaces so that lines stay under 78 characters where possible. */
function fold(line: string): string {
  if (line.length <= 76) return line;
  const out: string[] = [];
  let cur = '';
  for (const word of line.split(' ')) {
    if (cur !== '' && cur.length + 1 + word.length > 76) {
      out.push(cur);
      cur = ` ${word}`;
    } else cur = cur === '' ? word : `${cur} ${word}`;
  }
  out.push(cur);
  return out.join('\r\n');
}

function wrap(s: string, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += n) out.push(s.slice(i, i + n));
  return out.join('\r\n');
}

function asciiFilename(name: string): string {
  const latin = decodeLatin1(encodeLatin1(name).bytes);
  const ascii = latin.normalize('NFD').replace(/\p{M}/gu, '').replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return ascii === '' ? 'attachment.lpz' : ascii;
}



function hexRandom(n: number): string {
  return [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

