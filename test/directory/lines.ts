/**
 * Directory lines for tests, with Web APIs only (the directory contract suite also runs in
 * workerd, against D1): national extraction texts, legacy annuaire bytes, national PER lines.
 */
import { encodeLatin1 } from '../../directory/latin1.js';
import { LEGACY_HEADER } from '../../directory/legacy-format.js';
import { NATIONAL_HEADER } from '../../directory/national-format.js';

/** A national extraction text from the extraction's header and the given data lines. */
export function nationalText(lines: string[]): string {
  return [NATIONAL_HEADER, ...lines].join('\n') + '\n';
}

/** A legacy annuaire in ISO-8859-1 with CRLF. */
export function legacyBytes(lines: string[]): Uint8Array {
  return encodeLatin1([LEGACY_HEADER, ...lines].join('\r\n') + '\r\n');
}

/** A national PER line with the sample's layout. */
export function perLine(o: { address: string; first: string; last: string; rpps?: string; adeli?: string; profession?: string; city?: string }): string {
  const idType = o.rpps ? '8' : '0';
  const id = o.rpps ?? o.adeli ?? '';
  const prof = o.profession ?? '10';
  const label = prof === '10' ? 'Médecin' : prof === '21' ? 'Pharmacien' : 'Infirmier';
  const cells = [
    'PER', o.address, idType, id, idType + id, '', '', '', 'DR', o.last, o.first, 'C', 'Civil', prof, label, '', '', 'O', '', '', '', '', '', '', '', '', '',
    o.city ? `33000 ${o.city}` : '', o.city ? '33000' : '', o.city ? '33' : '', 'France',
  ];
  return cells.join('|') + '|';
}
