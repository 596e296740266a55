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

/** Per network, its separator and which of its columns a search reads (by position, and as runs of neighbours). */
const SEARCHED_AT = {
  mssante: searchedAt('|', NATIONAL_COLUMNS.length, NATIONAL_SEARCHED.map((f) => NATIONAL_COLUMNS.findIndex((c) => c.field === f))),
  legacy: searchedAt(';', LEGACY_COLUMNS.length, LEGACY_SEARCHED.map((f) => LEGACY_COLUMNS.indexOf(f))),
};

function searchedAt(separator: string, columns: number, positions: number[]) {
  const wanted = mask(positions, columns);
  // [first, last] of each run of searched columns side by side: the national line's 19 are 6 runs.
  const runs: number[] = [];
  for (let k = 0; k < columns; k++) {
    if (!wanted[k]) continue;
    const first = k;
    while (k + 1 < columns && wanted[k + 1]) k++;
    runs.push(first, k);
  }
  return { separator, columns, wanted, runs: Int32Array.from(runs) };
}

function mask(positions: number[], columns: number): Uint8Array {
  const m = new Uint8Array(columns);
  positions.forEach((k, i) => {
    // Listed in the line's order: the words come in the order of the list.
    if (k < 0 || (i > 0 && k <= positions[i - 1]!)) throw new Error('search-text: searched columns must be in the format, in its order');
    m[k] = 1;
  });
  return m;
}

/**
 * The words of a mailbox for the search index (its network's line and its alias). The line
 * is walked, not split: a national line has 31 cells of which 19 are read (1.9 → 1.2 µs a
 * line, with `foldText`'s scan).
 */
export function searchText(network: string, record: string, alias: string | null): string {
  return foldText(searchedCells(network, record, alias));
}

/**
 * What the search index (`directory_search`) is given for a mailbox: the words of
 * `searchText`, left for the index's tokenizer to fold (`unicode61 remove_diacritics 2`: case
 * and accents, as `foldText` does, and without a pass in JavaScript: 1.1 s of a million-line
 * first load). The few characters the tokenizer folds otherwise than `foldText` (`æ œ ß ø`,
 * and letters whose lower case is newer than its Unicode tables) are found by a scan of
 * every character through SQLite's tokenizer (test/directory/alias.test.ts); a text holding
 * one is folded here first. Either way the index holds the tokens of `searchText`'s words,
 * which is what a query's words (`searchTerms`: folded) are tokenized to.
 *
 * @example
 * searchWords('mssante', 'PER|jean.dupont@medecin.mssante.fr|8|…|Hélène|…', null); // '… Hélène …' (the tokenizer makes it `helene`)
 * searchWords('mssante', 'PER|…|Cœur|…', null); // '… coeur …'
 */
export function searchWords(network: string, record: string, alias: string | null): string {
  const text = searchedRuns(network, record, alias);
  return FOLDED_OTHERWISE_BY_TOKENIZER.test(text) ? foldText(text) : text;
}

/**
 * Characters `unicode61 remove_diacritics 2` does not fold as `foldText` does: `æ ø ß œ`
 * (upper and lower case: no accent to remove, `foldText` spells them out), and everything
 * from U+0370 on (among them letters whose lower case is newer than the tokenizer's tables;
 * none of the directory's languages needs them fast).
 */
export const FOLDED_OTHERWISE_BY_TOKENIZER = /[ÆØßæøŒœ\u0370-\uffff]/;

/** The searched cells of a line and the alias, separated by spaces, as they are. */
function searchedCells(network: string, record: string, alias: string | null): string {
  const { separator, columns, wanted } = network === 'legacy' ? SEARCHED_AT.legacy : SEARCHED_AT.mssante;
  let s = '';
  let from = 0;
  for (let k = 0; k < columns && from <= record.length; k++) {
    let to = record.indexOf(separator, from);
    if (to < 0) to = record.length;
    if (wanted[k] && to > from) s += record.slice(from, to) + ' ';
    from = to + 1;
  }
  return alias ? s + alias : s;
}

/**
 * The searched cells of a line as `searchWords` gives them to the index: each run of searched
 * cells side by side taken whole, separators and all (the tokenizer splits on them as on a
 * space), the runs and the alias separated by spaces. The same tokens as `searchedCells`'
 * text, with 6 slices of a national line instead of 19 and no empty cell looked at.
 */
function searchedRuns(network: string, record: string, alias: string | null): string {
  const { separator, runs } = network === 'legacy' ? SEARCHED_AT.legacy : SEARCHED_AT.mssante;
  let s = '';
  let from = 0; // where column k begins
  let k = 0;
  line: for (let r = 0; r < runs.length; r += 2) {
    for (; k < runs[r]!; k++) {
      const to = record.indexOf(separator, from);
      if (to < 0) break line; // the line ends before the run
      from = to + 1;
    }
    const begin = from;
    for (; k <= runs[r + 1]!; k++) {
      const to = record.indexOf(separator, from);
      if (to < 0) {
        s += record.slice(begin) + ' '; // the line ends inside the run
        break line;
      }
      from = to + 1;
    }
    s += record.slice(begin, from - 1) + ' ';
  }
  return alias ? s + alias : s;
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
