/**
 * What a search can find of a mailbox, for an engine whose index is fed words (SQLite and D1:
 * the FTS5 table `directory_search`): the searchable fields of its source line and its alias,
 * folded as `foldText` (accents, case, œ æ ß), separated by spaces. Codes, types and constant
 * columns (`PER`, `O`, `France`, category codes) are left out: they would be in every row and
 * make the index slow to build without helping anyone find a colleague.
 *
 * A query's words are matched as prefixes of these words (`searchTerms`); a word that is a
 * sequence (`jean.dupont.med`) is checked as a sequence on the candidates (`containsTerms`),
 * the index itself keeping no positions.
 *
 * @example
 * searchText('mssante', 'PER|jean.dupont@medecin.mssante.fr|8|10001234567|…', 'jean.dupont.med');
 * // 'jean.dupont@medecin.mssante.fr 10001234567 … dupont jean medecin … 33000 bordeaux jean.dupont.med'
 */
import { foldText } from './alias.js';
import { NATIONAL_COLUMNS, type NationalRecord } from './national-format.js';
import { LEGACY_COLUMNS } from './legacy-format.js';

/** National columns a search reads (by field name; positions come from the format's table). */
const NATIONAL_SEARCHED: ReadonlyArray<keyof NationalRecord> = [
  'address', 'personId', 'orgId', 'service', 'civility', 'lastName', 'firstName', 'professionLabel', 'specialityLabel', 'orgName', 'tradeName',
  'locationComplement', 'distributionComplement', 'streetNumber', 'streetNumberComplement', 'streetType', 'streetName', 'locality', 'routingLine',
];
const LEGACY_SEARCHED = ['adresse', 'nom', 'prenom', 'profession', 'specialite', 'rpps', 'adeli', 'finess', 'code_postal', 'ville'];

const NATIONAL_AT = NATIONAL_SEARCHED.map((f) => NATIONAL_COLUMNS.findIndex((c) => c.field === f));
const LEGACY_AT = LEGACY_SEARCHED.map((f) => LEGACY_COLUMNS.indexOf(f));

/** The words of a mailbox for the search index (its network's line and its alias). */
export function searchText(network: string, record: string, alias: string | null): string {
  const cells = record.split(network === 'legacy' ? ';' : '|');
  let s = '';
  for (const k of network === 'legacy' ? LEGACY_AT : NATIONAL_AT) {
    const v = cells[k];
    if (v) s += v + ' ';
  }
  return foldText(alias ? s + alias : s);
}

const TOKEN_SEPARATOR = /[^\p{L}\p{N}]+/u;

/**
 * Whether a mailbox's search text holds every term as a sequence of words, the last one a
 * prefix (`searchTerms`' form: `[['jean', 'dupont', 'med'], ['bord']]`). Single-word terms
 * need no check: the index answered them.
 */
export function containsTerms(text: string, terms: string[][]): boolean {
  if (terms.every((t) => t.length < 2)) return true;
  const words = text.split(TOKEN_SEPARATOR);
  return terms.every((t) => {
    if (t.length < 2) return true;
    for (let i = 0; i + t.length <= words.length; i++) {
      let k = 0;
      while (k < t.length - 1 && words[i + k] === t[k]) k++;
      if (k === t.length - 1 && words[i + k].startsWith(t[k])) return true;
    }
    return false;
  });
}

/** FTS5 query over `directory_search`: every word of every term, the last of each term a prefix. */
export function searchIndexQuery(terms: string[][]): string {
  return terms.flatMap((t) => t.map((w, k) => `"${w}"${k === t.length - 1 ? '*' : ''}`)).join(' ');
}
