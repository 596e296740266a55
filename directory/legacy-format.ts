/**
 * The legacy network's directory export `annuaire-YYYYMMDD.csv` (SPEC §7): ISO-8859-1, CRLF,
 * `;` separated, never quoted, a fixed header. The same format carries the `interop` list a
 * gateway hands to the network.
 */
import { DirectoryFormatError } from './errors.js';

export const LEGACY_HEADER = 'adresse;nom;prenom;profession;specialite;rpps;adeli;finess;code_postal;ville;annee_cle;statut';
export const LEGACY_COLUMNS = LEGACY_HEADER.split(';');

/** `LOCAL` part of a legacy address (SPEC §1). */
export const LEGACY_LOCAL = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export type LegacyStatus = 'A' | 'S' | 'R';

export interface LegacyRecord {
  address: string;
  lastName: string;
  firstName: string;
  profession: string;
  speciality: string;
  rpps: string;
  adeli: string;
  finess: string;
  postcode: string;
  city: string;
  /** Empty in an `interop` list. */
  keyYear: string;
  status: LegacyStatus;
}

/**
 * Checks the header line (exact, after trimming a BOM and trailing blanks).
 *
 * @example
 * checkLegacyHeader('adresse;nom;prenom;profession;specialite;rpps;adeli;finess;code_postal;ville;annee_cle;statut');
 */
export function checkLegacyHeader(line: string): void {
  const h = line.replace(/^\uFEFF/, '').trimEnd().toLowerCase();
  if (h !== LEGACY_HEADER) throw new DirectoryFormatError(`unrecognised legacy annuaire header (expected "${LEGACY_HEADER}")`, 1);
}

/**
 * Parses one data line. Throws a `DirectoryFormatError` for a wrong column count, an unknown
 * status, a malformed address or identifier.
 *
 * @example
 * parseLegacyLine('dr.alice.martin@medical33.lnp.test;MARTIN;Alice;Médecin;;10003000001;;;33000;BORDEAUX;2026;A', 2);
 */
export function parseLegacyLine(line: string, lineNo: number): LegacyRecord {
  const c = line.split(';');
  if (c.length !== LEGACY_COLUMNS.length) {
    throw new DirectoryFormatError(`expected ${LEGACY_COLUMNS.length} columns, found ${c.length}`, lineNo);
  }
  const address = c[0].trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at <= 0 || !LEGACY_LOCAL.test(address.slice(0, at)) || !address.slice(at + 1).includes('.')) {
    throw new DirectoryFormatError(`column adresse is not a valid subscriber address`, lineNo);
  }
  const status = c[11].trim().toUpperCase();
  if (status !== 'A' && status !== 'S' && status !== 'R') {
    throw new DirectoryFormatError(`column statut must be A, S or R, found "${c[11].slice(0, 4)}"`, lineNo);
  }
  const rpps = c[5].trim();
  const adeli = c[6].trim();
  const finess = c[7].trim();
  if (rpps && !/^\d{11}$/.test(rpps)) throw new DirectoryFormatError('column rpps must be 11 digits', lineNo);
  if (adeli && !/^[0-9A-Za-z]{9}$/.test(adeli)) throw new DirectoryFormatError('column adeli must be 9 characters', lineNo);
  if (finess && !/^[0-9A-Za-z]{9}$/.test(finess)) throw new DirectoryFormatError('column finess must be 9 characters', lineNo);
  const keyYear = c[10].trim();
  if (keyYear && !/^\d{4}$/.test(keyYear)) throw new DirectoryFormatError('column annee_cle must be a year', lineNo);
  return {
    address,
    lastName: c[1].trim(),
    firstName: c[2].trim(),
    profession: c[3].trim(),
    speciality: c[4].trim(),
    rpps,
    adeli,
    finess,
    postcode: c[8].trim(),
    city: c[9].trim(),
    keyYear,
    status,
  };
}

/** A value as the format allows it: no `;`, no line break. */
function cell(v: string): string {
  return v.replace(/[;\r\n]+/g, ' ').trim();
}

/**
 * One line of the format (no line end).
 *
 * @example
 * formatLegacyLine({ address: 'jean.dupont.med@interop.lnp.test', …, keyYear: '', status: 'A' });
 */
export function formatLegacyLine(r: LegacyRecord): string {
  return [r.address, r.lastName, r.firstName, r.profession, r.speciality, r.rpps, r.adeli, r.finess, r.postcode, r.city, r.keyYear, r.status]
    .map(cell)
    .join(';');
}

/**
 * The date in an annuaire file name (`YYYYMMDD`), or null.
 *
 * @example
 * legacyFileDate('annuaire-20261123.csv'); // '20261123'
 */
export function legacyFileDate(fileName: string): string | null {
  const m = /annuaire-(\d{8})/i.exec(fileName);
  return m ? m[1] : null;
}

/**
 * A subscriber is a person when it has an RPPS or ADELI (or, lacking any identifier, a first name).
 *
 * @example
 * legacyKind({ rpps: '', adeli: '', finess: '330999999', firstName: '' }); // 'ORG'
 */
export function legacyKind(r: Pick<LegacyRecord, 'rpps' | 'adeli' | 'finess' | 'firstName'>): 'PER' | 'ORG' {
  if (r.rpps || r.adeli) return 'PER';
  if (r.finess) return 'ORG';
  return r.firstName ? 'PER' : 'ORG';
}

/**
 * A readable name for headers.
 *
 * @example
 * legacyDisplayName({ firstName: 'Alice', lastName: 'MARTIN' }); // 'Alice MARTIN'
 */
export function legacyDisplayName(r: Pick<LegacyRecord, 'firstName' | 'lastName'>): string {
  return [r.firstName, r.lastName].filter(Boolean).join(' ');
}
