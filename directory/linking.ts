/**
 * Linking a legacy subscriber to the national directory: a person by RPPS (the national
 * identifier is "8" + RPPS) or ADELI, an organisation by FINESS. A link is made only when the
 * identifiers point to exactly one national party and, for a person, the last names agree;
 * anything else is reported as ambiguous, never guessed.
 */
import { slug } from './alias.js';

export interface LinkInput {
  kind: 'PER' | 'ORG';
  rpps: string;
  adeli: string;
  finess: string;
  lastName: string;
}

/** What the national directory knows of a party key: the last names on its mailboxes. */
export type NationalParty = { key: string; lastNames: string[] };

export type LinkDecision =
  | { state: 'linked'; partyKey: string }
  | { state: 'unlinked'; partyKey: string | null }
  | { state: 'ambiguous'; partyKey: null; note: string };

/** Candidate party keys of a legacy subscriber, most specific first. */
export function linkKeys(r: LinkInput): string[] {
  if (r.kind === 'PER') {
    const keys: string[] = [];
    if (r.rpps) keys.push(`rpps:${r.rpps}`);
    if (r.adeli) keys.push(`adeli:${r.adeli}`);
    return keys;
  }
  return r.finess ? [`finess:${r.finess}`] : [];
}

function sameName(a: string, b: string): boolean {
  const x = slug(a);
  const y = slug(b);
  return x.length > 0 && y.length > 0 && (x === y || x.startsWith(`${y}-`) || y.startsWith(`${x}-`));
}

/**
 * Decides the link of one legacy subscriber, given the national parties found for its keys.
 *
 * @example
 * decideLink({ kind: 'PER', rpps: '10101010101', adeli: '', finess: '', lastName: 'Dupont' },
 *            [{ key: 'rpps:10101010101', lastNames: ['DUPONT'] }]);
 * // { state: 'linked', partyKey: 'rpps:10101010101' }
 */
export function decideLink(r: LinkInput, found: NationalParty[]): LinkDecision {
  const keys = linkKeys(r);
  const own = keys[0] ?? null;
  if (found.length === 0) return { state: 'unlinked', partyKey: own };
  if (found.length > 1) {
    return { state: 'ambiguous', partyKey: null, note: `identifiers lead to different national entries: ${found.map((f) => f.key).join(', ')}` };
  }
  const party = found[0];
  if (r.kind === 'PER' && r.lastName && party.lastNames.length > 0 && !party.lastNames.some((n) => sameName(n, r.lastName))) {
    return { state: 'ambiguous', partyKey: null, note: `${party.key} is found nationally under another last name` };
  }
  return { state: 'linked', partyKey: party.key };
}
