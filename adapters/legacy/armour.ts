/**
 * The LNP/1 armour (SPEC §4): a sealed payload written as text.
 *
 *     #BINASCII1#
 *     LLLLLLLL                 byte length, 8 upper-case hex digits
 *     <base64 lines ≤ 64>      alphabet 0–9 A–Z a–z + - (instead of A–Z a–z 0–9 + /), `=` padding
 *     CCCCCCCC                 CRC-32 of the payload, 8 upper-case hex digits
 *     #ENDBINASCII1#
 */
import { LegacyError } from './legacy-error.js';
import { decodeBase64, encodeBase64 } from '../../lib/base64.js';

/** The LNP/1 armour alphabet `0–9 A–Z a–z + -` (SPEC §4). */
export const LNP_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+-';
import { crc32, type Crc32 } from '../../lib/crc32.js';

export const ARMOUR_BEGIN = '#BINASCII1#';
export const ARMOUR_END = '#ENDBINASCII1#';
const LINE_LENGTH = 64;
const HEX8 = /^[0-9A-Fa-f]{8}$/;
const ARMOUR_CHAR = /^[0-9A-Za-z+\-=]*$/;

function hex8(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/**
 * Armour a sealed payload; lines end with CRLF, no line end after the end marker. `crc` is
 * the CRC-32 to use (default `lib/crc32.ts`; a runtime may give its native one).
 *
 * @example
 * const text = armour(sealed); // '#BINASCII1#\r\n00000074\r\n0GVg…\r\nB9407011\r\n#ENDBINASCII1#'
 */
export function armour(sealed: Uint8Array, crc: Crc32 = crc32): string {
  const b64 = encodeBase64(sealed, LNP_ALPHABET);
  const lines = [ARMOUR_BEGIN, hex8(sealed.length)];
  for (let i = 0; i < b64.length; i += LINE_LENGTH) lines.push(b64.slice(i, i + LINE_LENGTH));
  lines.push(hex8(crc(sealed)), ARMOUR_END);
  return lines.join('\r\n');
}

/**
 * Read an armoured payload from `text` (which may hold other lines before the begin marker,
 * e.g. `$LNP1`). Line ends may be CRLF or LF. Errors: `NO_BEGIN_MARKER`, `NO_END_MARKER`,
 * `BAD_ARMOR_FORMAT` (length or CRC line malformed), `BAD_ARMOR_CHAR`, `LENGTH_MISMATCH`,
 * `CRC_MISMATCH`. `crc`: as for `armour`.
 *
 * @example
 * const sealed = dearmour(armour(bytes)); // bytes again
 */
export function dearmour(text: string, crc: Crc32 = crc32): Uint8Array {
  // One walk over the lines (a 10 KB payload's armour is some 200 of them): each line is
  // compared and kept trimmed, as a line split on `\r?\n` and trimmed would be.
  let at = 0;
  const next = (): string | null => {
    if (at > text.length) return null;
    let nl = text.indexOf('\n', at);
    if (nl < 0) nl = text.length;
    const line = text.slice(at, nl).trim();
    at = nl + 1;
    return line;
  };
  let beginLine = 0;
  for (let line = next(); ; line = next()) {
    if (line === null) throw new LegacyError('NO_BEGIN_MARKER', `no ${ARMOUR_BEGIN} line found`);
    beginLine++;
    if (line === ARMOUR_BEGIN) break;
  }
  const inner: string[] = [];
  for (let line = next(); line !== ARMOUR_END; line = next()) {
    if (line === null) throw new LegacyError('NO_END_MARKER', `no ${ARMOUR_END} line after the ${ARMOUR_BEGIN} at line ${beginLine}`);
    if (line !== '') inner.push(line);
  }
  if (inner.length < 2) throw new LegacyError('BAD_ARMOR_FORMAT', 'armour lacks its length and CRC lines');
  const lengthLine = inner[0]!;
  const crcLine = inner[inner.length - 1]!;
  if (!HEX8.test(lengthLine)) throw new LegacyError('BAD_ARMOR_FORMAT', `length line (armour line 2) is not 8 hexadecimal digits`);
  if (!HEX8.test(crcLine)) throw new LegacyError('BAD_ARMOR_FORMAT', `CRC line (armour line ${inner.length + 1}) is not 8 hexadecimal digits`);
  const data = inner.slice(1, -1).join('');
  let sealed: Uint8Array;
  try {
    sealed = decodeBase64(data, LNP_ALPHABET);
  } catch (err) {
    // Data the decoder refuses: a character outside the alphabet is named by its line and
    // column (a well-formed armour never needs that scan), else the decoder's reason.
    for (let i = 1; i < inner.length - 1; i++) {
      if (!ARMOUR_CHAR.test(inner[i]!)) {
        const col = [...inner[i]!].findIndex((c) => !ARMOUR_CHAR.test(c));
        throw new LegacyError('BAD_ARMOR_CHAR', `character outside the armour alphabet at armour line ${i + 2}, column ${col + 1}`);
      }
    }
    throw new LegacyError('BAD_ARMOR_FORMAT', `armour data is not well-formed base64 (${(err as Error).message})`, { cause: err });
  }
  const declared = parseInt(lengthLine, 16);
  if (declared !== sealed.length) {
    throw new LegacyError('LENGTH_MISMATCH', `armour declares ${declared} bytes, its data holds ${sealed.length}`);
  }
  const sum = crc(sealed);
  if (sum !== parseInt(crcLine, 16) >>> 0) {
    throw new LegacyError('CRC_MISMATCH', `armour CRC ${crcLine.toUpperCase()} does not match its data (${hex8(sum)})`);
  }
  return sealed;
}
