/**
 * The LNP/1 body plaintext (SPEC §4):
 *
 *     TEXT || "#DESTBEGIN#" || D1 "," D2 "," … Dk || ",,#DESTEND#"
 *
 * TEXT is ISO-8859-1 with CRLF line ends; D1..Dk are the recipients' LOCAL parts.
 */
import type { TextChange } from '../../core/model/message.js';
import { decodeLatin1, encodeLatin1 } from '../../mappings/transliteration/latin1.js';
import { LegacyError } from './legacy-error.js';
import { LOCAL_PATTERN } from './key-file.js';
import { trimEndOf } from './trim.js';

export const DEST_BEGIN = '#DESTBEGIN#';
export const DEST_END = ',,#DESTEND#';

/**
 * Encode text and destination list. Bare LF or CR line ends become CRLF. Throws
 * `BAD_DEST_BLOCK` when the list is empty or holds something other than a LOCAL.
 *
 * @example
 * encodeBody('Bonjour\n', ['jean.dupont.med']).bytes; // 'Bonjour\r\n#DESTBEGIN#jean.dupont.med,,#DESTEND#'
 */
export function encodeBody(text: string, dests: string[]): { bytes: Uint8Array; changes: TextChange[] } {
  checkDests(dests);
  const { bytes: t, changes } = encodeLatin1(toCrlf(text));
  const tail = encodeLatin1(`${DEST_BEGIN}${dests.join(',')}${DEST_END}`).bytes;
  const bytes = new Uint8Array(t.length + tail.length);
  bytes.set(t, 0);
  bytes.set(tail, t.length);
  return { bytes, changes };
}

/**
 * Decode a body plaintext. Throws `BAD_DEST_BLOCK` when the destination block is missing,
 * not at the end, empty, or names something other than a LOCAL.
 *
 * @example
 * decodeBody(plain); // { text: 'Bonjour\r\n', dests: ['jean.dupont.med'] }
 */
export function decodeBody(plaintext: Uint8Array): { text: string; dests: string[] } {
  const s = decodeLatin1(plaintext);
  // Tolerate trailing line ends or spaces after the end marker.
  const trimmed = trimEndOf(s, '\r\n \t');
  if (!trimmed.endsWith(DEST_END)) throw new LegacyError('BAD_DEST_BLOCK', `body does not end with ${DEST_END}`);
  const begin = trimmed.lastIndexOf(DEST_BEGIN);
  if (begin < 0) throw new LegacyError('BAD_DEST_BLOCK', `body has no ${DEST_BEGIN} marker`);
  const list = trimmed.slice(begin + DEST_BEGIN.length, trimmed.length - DEST_END.length);
  const dests = list === '' ? [] : list.split(',');
  checkDests(dests);
  return { text: s.slice(0, begin), dests };
}

function checkDests(dests: string[]): void {
  if (dests.length === 0) throw new LegacyError('BAD_DEST_BLOCK', 'destination list is empty');
  dests.forEach((d, i) => {
    if (!LOCAL_PATTERN.test(d)) throw new LegacyError('BAD_DEST_BLOCK', `destination ${i + 1} is not a valid LOCAL`);
  });
}

function toCrlf(text: string): string {
  return /\r(?!\n)|(?<!\r)\n/.test(text) ? text.replace(/\r\n|\r|\n/g, '\r\n') : text;
}
