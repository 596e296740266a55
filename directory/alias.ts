/**
 * Aliases: the `LOCAL` a national mailbox gets in the legacy network's `interop` zone,
 * readable from the name (`jean.dupont.med`), at most 64 characters, valid for
 * `^[a-z0-9][a-z0-9._-]{0,63}$`, never reused.
 *
 * Collisions: the first claimant keeps the plain form; a homonym gets `-` and a suffix
 * derived from its own mailbox address (a hash), so its alias does not depend on which
 * other files arrive later or in which order, nor on how many homonyms came before it.
 * An alias once given is stored and never recomputed.
 */
import { PROFESSION_ALIAS_SUFFIX, DEFAULT_PERSON_ALIAS_SUFFIX } from './alias-suffixes.js';
import { LEGACY_LOCAL } from './legacy-format.js';
import { hash53 } from './hash53.js';

export const ALIAS_MAX = 64;

const FOLD = new Map<string, string>(
  Object.entries({
    a: 'àáâãäåā', c: 'çćč', e: 'èéêëēėę', i: 'ìíîïī', n: 'ñń', o: 'òóôõöøō', u: 'ùúûüū', y: 'ýÿ', s: 'šś', z: 'žźż',
    oe: 'œ', ae: 'æ', ss: 'ß',
  }).flatMap(([to, from]) => [...from].flatMap((ch) => [[ch, to], [ch.toUpperCase(), to]] as Array<[string, string]>)),
);

/**
 * The folds of `foldText` (a character → its accent-free lower-case form), for an engine
 * that folds the same way in SQL (PostgreSQL's search).
 */
export const FOLDS: ReadonlyMap<string, string> = FOLD;

/**
 * Lower-case without accents, everything else kept (search).
 *
 * @example
 * foldText('Hélène FÈVRE'); // 'helene fevre'
 */
export function foldText(text: string): string {
  // One native scan for the characters that may fold (a search index's text is mostly
  // ASCII): 0.85 → 0.54 µs for a 200-character directory line against a loop in JavaScript.
  return text.replace(MAY_FOLD, foldOne).toLowerCase();
}

/** The characters `FOLD` may hold (UTF-16 code units from U+00C0 up, as the map's keys). */
const MAY_FOLD = /[\u00c0-\uffff]/g;
const FOLD_OF: Record<string, string> = Object.fromEntries(FOLD);
const foldOne = (ch: string): string => FOLD_OF[ch] ?? ch;

/**
 * Accent-free, lower-case, runs of anything else turned into `-`, trimmed.
 *
 * @example
 * slug("D'ARC Hélène-Zoé"); // 'd-arc-helene-zoe'
 */
export function slug(text: string): string {
  let out = '';
  let dash = false;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    let piece: string | undefined;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) piece = text[k];
    else if (c >= 65 && c <= 90) piece = String.fromCharCode(c + 32);
    else if (c >= 0xc0) {
      piece = FOLD.get(text[k]);
      if (piece === undefined) {
        const base = text[k].normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
        piece = /^[a-z0-9]+$/.test(base) ? base : undefined;
      }
    }
    if (piece === undefined) {
      dash = out.length > 0;
      continue;
    }
    if (dash) {
      out += '-';
      dash = false;
    }
    out += piece;
  }
  return out;
}

/**
 * The non-empty parts joined with `.`, the longest shortened until the whole fits in `max`,
 * trailing `.` and `-` dropped.
 *
 * @example
 * clip(['jean', '', 'dupont', 'med'], 64); // 'jean.dupont.med'
 */
export function clip(parts: string[], max: number): string {
  // Most aliases fit: joined without the filtered copy, the trailing separators looked at, not matched.
  let joined = '';
  for (const x of parts) if (x.length > 0) joined = joined.length > 0 ? `${joined}.${x}` : x;
  if (joined.length <= max) return withoutTrailingSeparators(joined);
  const p = parts.filter((x) => x.length > 0);
  let s = joined;
  // Shorten the longest part until it fits.
  while (s.length > max) {
    let longest = 0;
    for (let i = 1; i < p.length; i++) if (p[i].length > p[longest].length) longest = i;
    p[longest] = p[longest].slice(0, Math.max(1, p[longest].length - (s.length - max))).replace(/-+$/, '');
    s = p.join('.');
    if (p.every((x) => x.length <= 1)) s = s.slice(0, max);
  }
  return withoutTrailingSeparators(s);
}

/** `s.replace(/[.-]+$/, '')`, without the expression. */
function withoutTrailingSeparators(s: string): string {
  let end = s.length;
  for (let c = s.charCodeAt(end - 1); c === 46 || c === 45; c = s.charCodeAt(end - 1)) end--;
  return end === s.length ? s : s.slice(0, end);
}

export interface AliasSource {
  kind: 'PER' | 'ORG';
  address: string;
  firstName?: string;
  lastName?: string;
  professionCode?: string;
  orgName?: string;
  tradeName?: string;
  service?: string;
}

/**
 * The preferred alias of a national mailbox, before collisions.
 *
 * @example
 * aliasBase({ kind: 'PER', address: 'j.dupont@x.fr', firstName: 'Jean', lastName: 'DUPONT', professionCode: '10' });
 * // 'jean.dupont.med'
 * aliasBase({ kind: 'ORG', address: 'labo@x.fr', tradeName: 'LABO TEST', service: 'Secrétariat' });
 * // 'labo-test.secretariat'
 */
export function aliasBase(s: AliasSource): string {
  let base = '';
  if (s.kind === 'PER') {
    const last = slug(s.lastName ?? '');
    if (last) {
      const suffix = PROFESSION_ALIAS_SUFFIX[s.professionCode ?? ''] ?? DEFAULT_PERSON_ALIAS_SUFFIX;
      base = clip([slug(s.firstName ?? ''), last, suffix], ALIAS_MAX);
    }
  } else {
    const name = slug(s.tradeName || s.orgName || '');
    if (name) base = clip([name, slug(s.service ?? '')], ALIAS_MAX);
  }
  if (!base) {
    const [local, domain = ''] = s.address.toLowerCase().split('@');
    base = clip([slug(local), slug(domain.split('.')[0] ?? '')], ALIAS_MAX);
  }
  base = base.replace(/^[^a-z0-9]+/, '');
  return LEGACY_LOCAL.test(base) ? base : 'bal';
}

/**
 * The alias of a homonym: `base-XXXX`, the suffix taken from a hash of the mailbox address
 * (`width` characters of base 36).
 *
 * @example
 * homonymAlias('jean.dupont.med', 'jean.dupont2@chu.mssante.fr'); // 'jean.dupont.med-k3f9'
 */
export function homonymAlias(base: string, address: string, width = 4): string {
  const h = base36(hash53(address.toLowerCase()));
  const tag = h.slice(0, Math.min(width, h.length));
  const extra = width > h.length ? String(width - h.length) : '';
  const room = ALIAS_MAX - 1 - tag.length - extra.length;
  return `${clip([base], room)}-${tag}${extra}`;
}

const BASE36_DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';
const BASE36_LOW = 36 ** 6;

/**
 * `h.toString(36).padStart(11, '0')` for a `hash53` (an integer below 2^53, at most eleven
 * base-36 digits), without the engine's radix conversion (0.9 µs a number, most of a
 * homonym's alias): six low digits and five high ones, each part below 2^32.
 *
 * @example
 * base36(36 ** 3); // '00000001000'
 */
export function base36(h: number): string {
  let high = Math.floor(h / BASE36_LOW);
  if (high * BASE36_LOW > h) high--; // never, by the rounding of a quotient of integers; kept exact regardless
  let low = h - high * BASE36_LOW;
  let out = '';
  for (let k = 0; k < 6; k++) {
    const q = Math.floor(low / 36);
    out = BASE36_DIGITS[low - q * 36]! + out;
    low = q;
  }
  for (let k = 0; k < 5; k++) {
    const q = Math.floor(high / 36);
    out = BASE36_DIGITS[high - q * 36]! + out;
    high = q;
  }
  return out;
}

/**
 * The alias a new mailbox gets: its base when free, else the homonym form with a suffix
 * from its own address (longer suffixes on the rare clash). `taken` is updated.
 *
 * @example
 * const taken = new Set(['jean.dupont.med']);
 * chooseAlias('jean.dupont.med', 'jd@x.fr', taken); // 'jean.dupont.med-…'
 */
export function chooseAlias(base: string, address: string, taken: { has(l: string): boolean; add(l: string): unknown }): string {
  let alias = base;
  for (let width = 4; taken.has(alias); width += 2) alias = homonymAlias(base, address, width);
  taken.add(alias);
  return alias;
}
