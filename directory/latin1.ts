/**
 * ISO-8859-1 for the legacy network's directory files: the one transliteration policy of
 * the project (`mappings/transliteration/`), in the shapes the directory code uses.
 */
import { decodeLatin1, encodeLatin1 as encodeWithChanges } from '../mappings/transliteration/latin1.js';

export { decodeLatin1 };

/**
 * Encodes text as ISO-8859-1, transliterating what it cannot hold.
 *
 * @example
 * encodeLatin1('Cœur'); // bytes of 'Coeur'
 */
export function encodeLatin1(text: string): Uint8Array {
  return encodeWithChanges(text).bytes;
}

/** The text as ISO-8859-1 can carry it (every code point ≤ 0xFF). */
export function toLatin1Text(text: string): string {
  return decodeLatin1(encodeLatin1(text));
}
