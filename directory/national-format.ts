/**
 * The national mailbox extraction (`Extraction_Correspondance_MSSante_AAAAMMJJhhmm.txt`):
 * UTF-8, `|` separated, a header line, a trailing `|` on every line, 31 columns read by
 * position. The header is checked column by column against loose patterns (wording changes
 * from year to year); a header that does not fit is reported, never guessed.
 */
import { DirectoryFormatError } from './errors.js';

/** One line of the extraction, by field. Empty columns are empty strings. */
export interface NationalRecord {
  mailboxType: string;
  address: string;
  personIdType: string;
  personId: string;
  nationalPersonId: string;
  orgIdType: string;
  orgId: string;
  service: string;
  civility: string;
  lastName: string;
  firstName: string;
  categoryCode: string;
  categoryLabel: string;
  professionCode: string;
  professionLabel: string;
  specialityCode: string;
  specialityLabel: string;
  dematerialisation: string;
  orgName: string;
  tradeName: string;
  locationComplement: string;
  distributionComplement: string;
  streetNumber: string;
  streetNumberComplement: string;
  streetType: string;
  streetName: string;
  locality: string;
  routingLine: string;
  postcode: string;
  department: string;
  country: string;
}

/** Column order of the file, with a pattern its (accent-free, lower-case) header must match. */
export const NATIONAL_COLUMNS: ReadonlyArray<{ field: keyof NationalRecord; header: RegExp }> = [
  { field: 'mailboxType', header: /type.*bal/ },
  { field: 'address', header: /adresse.*bal/ },
  { field: 'personIdType', header: /type.*ident.*pp/ },
  { field: 'personId', header: /^ident.*pp/ },
  { field: 'nationalPersonId', header: /nationale.*pp/ },
  { field: 'orgIdType', header: /type.*ident.*struct/ },
  { field: 'orgId', header: /ident.*struct/ },
  { field: 'service', header: /service/ },
  { field: 'civility', header: /civilite/ },
  { field: 'lastName', header: /^nom/ },
  { field: 'firstName', header: /^prenom/ },
  { field: 'categoryCode', header: /^categorie/ },
  { field: 'categoryLabel', header: /libelle.*categorie/ },
  { field: 'professionCode', header: /code.*profession/ },
  { field: 'professionLabel', header: /libelle.*profession/ },
  { field: 'specialityCode', header: /code.*(savoir|specialite)/ },
  { field: 'specialityLabel', header: /libelle.*(savoir|specialite)/ },
  { field: 'dematerialisation', header: /dematerialisation/ },
  { field: 'orgName', header: /raison.*sociale/ },
  { field: 'tradeName', header: /enseigne/ },
  { field: 'locationComplement', header: /complement.*localisation/ },
  { field: 'distributionComplement', header: /complement.*distribution/ },
  { field: 'streetNumber', header: /^numero.*voie/ },
  { field: 'streetNumberComplement', header: /complement.*numero/ },
  { field: 'streetType', header: /type.*voie/ },
  { field: 'streetName', header: /libelle.*voie/ },
  { field: 'locality', header: /lieu.*dit|mention/ },
  { field: 'routingLine', header: /acheminement/ },
  { field: 'postcode', header: /code.*postal/ },
  { field: 'department', header: /departement/ },
  { field: 'country', header: /pays/ },
];

export const NATIONAL_COLUMN_COUNT = NATIONAL_COLUMNS.length; // 31

/** Lower-case, accents removed, apostrophes and separators collapsed to one space. */
export function foldHeader(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/**
 * Checks the header line of an extraction; throws a `DirectoryFormatError` naming the
 * columns that do not fit.
 *
 * @example
 * checkNationalHeader('Type de BAL|Adresse BAL|…|Pays structure BAL|');
 */
export function checkNationalHeader(line: string): void {
  let cells: string[];
  try {
    cells = splitNationalLine(line.replace(/^\uFEFF/, ''), 1);
  } catch (e) {
    throw new DirectoryFormatError(`unrecognised national extraction header: ${(e as DirectoryFormatError).message.replace(/^line 1: /, '')}`, 1);
  }
  const bad: string[] = [];
  NATIONAL_COLUMNS.forEach((c, i) => {
    if (!c.header.test(foldHeader(cells[i]))) bad.push(`column ${i + 1} "${cells[i]}" (expected ${c.field})`);
  });
  if (bad.length) throw new DirectoryFormatError(`unrecognised national extraction header: ${bad.join('; ')}`, 1);
}

function splitNationalLine(line: string, lineNo: number): string[] {
  const cells = line.split('|');
  if (cells.length !== NATIONAL_COLUMN_COUNT + 1 || cells[NATIONAL_COLUMN_COUNT] !== '') {
    const found = cells[cells.length - 1] === '' ? cells.length - 1 : cells.length;
    throw new DirectoryFormatError(`expected ${NATIONAL_COLUMN_COUNT} columns each ended by '|', found ${found}`, lineNo);
  }
  return cells;
}

/**
 * Parses one data line (without its line end) into a record; throws a `DirectoryFormatError`
 * on a wrong column count.
 *
 * @example
 * const r = parseNationalLine('PER|jean.dupont@medecin.mssante.fr|8|10101010101|…|France|', 2);
 * r.lastName; // 'DUPONT'
 */
export function parseNationalLine(line: string, lineNo: number): NationalRecord {
  const c = splitNationalLine(line, lineNo);
  return {
    mailboxType: c[0],
    address: c[1],
    personIdType: c[2],
    personId: c[3],
    nationalPersonId: c[4],
    orgIdType: c[5],
    orgId: c[6],
    service: c[7],
    civility: c[8],
    lastName: c[9],
    firstName: c[10],
    categoryCode: c[11],
    categoryLabel: c[12],
    professionCode: c[13],
    professionLabel: c[14],
    specialityCode: c[15],
    specialityLabel: c[16],
    dematerialisation: c[17],
    orgName: c[18],
    tradeName: c[19],
    locationComplement: c[20],
    distributionComplement: c[21],
    streetNumber: c[22],
    streetNumberComplement: c[23],
    streetType: c[24],
    streetName: c[25],
    locality: c[26],
    routingLine: c[27],
    postcode: c[28],
    department: c[29],
    country: c[30],
  };
}

/**
 * What an import decides a mailbox on (its alias, display name and party key): the first
 * twenty columns' fields that `aliasBase`, `nationalDisplayName` and `nationalPartyKey` read.
 */
export type NationalHead = Pick<
  NationalRecord,
  'mailboxType' | 'address' | 'personIdType' | 'personId' | 'nationalPersonId' | 'orgIdType' | 'orgId' | 'service' | 'civility' | 'lastName' | 'firstName' | 'professionCode' | 'orgName' | 'tradeName'
>;

/**
 * `parseNationalLine` for an import's decisions: the same check of the line (31 columns, each
 * ended by `|`, the same error), but only the fields of `NationalHead` taken out. The line is
 * walked, not split: a million lines' 32 strings each were 0.76 µs a line, the walk 0.41.
 *
 * @example
 * parseNationalHead('PER|jean.dupont@medecin.mssante.fr|8|10101010101|…|France|', 2).lastName; // 'DUPONT'
 */
export function parseNationalHead(line: string, lineNo: number): NationalHead {
  const c = HEAD_CELLS;
  let from = 0;
  for (let k = 0; k < NATIONAL_COLUMN_COUNT; k++) {
    const to = line.indexOf('|', from);
    if (to < 0) break;
    if (k < HEAD_COLUMN_COUNT) c[k] = line.slice(from, to);
    from = to + 1;
    if (k === NATIONAL_COLUMN_COUNT - 1 && from === line.length) {
      return {
        mailboxType: c[0]!, address: c[1]!, personIdType: c[2]!, personId: c[3]!, nationalPersonId: c[4]!, orgIdType: c[5]!, orgId: c[6]!,
        service: c[7]!, civility: c[8]!, lastName: c[9]!, firstName: c[10]!, professionCode: c[13]!, orgName: c[18]!, tradeName: c[19]!,
      };
    }
  }
  splitNationalLine(line, lineNo); // throws the count's error
  throw new DirectoryFormatError(`expected ${NATIONAL_COLUMN_COUNT} columns each ended by '|'`, lineNo);
}

/** The columns `parseNationalHead` reads from (the first twenty; 11, 12 and 14–17 taken and unused). */
const HEAD_COLUMN_COUNT = 20;
const HEAD_CELLS: string[] = new Array<string>(HEAD_COLUMN_COUNT).fill('');

/**
 * Writes a record back as a line (no line end). Used by the synthetic generator and tests.
 *
 * @example
 * formatNationalLine(parseNationalLine(line, 2)) === line; // true
 */
export function formatNationalLine(r: NationalRecord): string {
  return NATIONAL_COLUMNS.map((c) => r[c.field]).join('|') + '|';
}

/** The header line of the 2026 extraction (as in the shared sample). */
export const NATIONAL_HEADER =
  "Type de BAL|Adresse BAL|Type Identifiant PP|Identifiant PP|Identification nationale PP|Type identifiant structure|Identification Structure|Service de rattachement|Civilité d'exercice|Nom d'exercice|Prénom d'exercice|Catégorie professionnelle|Libellé catégorie professionnelle|Code profession|Libellé profession|Code savoir-faire|Libellé savoir-faire|Dématérialisation|Raison sociale structure BAL|Enseigne commerciale structure BAL|Complément localisation structure BAL|Complément distribution structure BAL|Numéro voie structure BAL|Complément numéro voie structure BAL|Type voie structure BAL|Libellé voie structure BAL|Lieu-dit mention structure BAL|Ligne d'acheminement structure BAL|Code postal structure BAL|Département structure BAL|Pays structure BAL|";

/** Person identifier types of the extraction: `8` RPPS, `0` ADELI. */
export const PERSON_ID_RPPS = '8';
export const PERSON_ID_ADELI = '0';
/** Structure identifier type for FINESS. Other types (SIREN, SIRET, cabinet) are kept as is. */
export const ORG_ID_FINESS = '1';

/**
 * The RPPS or ADELI of a person's line: the identifier column, or else the national
 * identifier without its type prefix (`8` + RPPS, `0` + ADELI).
 *
 * @example
 * personIdentifier({ personIdType: '8', personId: '', nationalPersonId: '810101010101' }); // { kind: 'rpps', value: '10101010101' }
 */
export function personIdentifier(r: Pick<NationalRecord, 'personIdType' | 'personId' | 'nationalPersonId'>): { kind: 'rpps' | 'adeli'; value: string } | null {
  const kind = r.personIdType === PERSON_ID_RPPS ? 'rpps' : r.personIdType === PERSON_ID_ADELI ? 'adeli' : null;
  if (!kind) return null;
  const value = r.personId || (r.nationalPersonId.startsWith(r.personIdType) ? r.nationalPersonId.slice(1) : '');
  return value ? { kind, value } : null;
}

/**
 * The party key of a national line: who this mailbox belongs to, across both networks.
 *
 * @example
 * nationalPartyKey(rec); // 'rpps:10101010101' for a PER line with type 8
 */
export function nationalPartyKey(r: Pick<NationalRecord, 'mailboxType' | 'personIdType' | 'personId' | 'nationalPersonId' | 'orgIdType' | 'orgId'>): string | null {
  if (r.mailboxType === 'PER') {
    const id = personIdentifier(r);
    return id ? `${id.kind}:${id.value}` : null;
  }
  if (r.orgIdType === ORG_ID_FINESS && r.orgId) return `finess:${r.orgId}`;
  if (r.orgIdType && r.orgId) return `org:${r.orgIdType}:${r.orgId}`;
  return null;
}

/**
 * The date in an extraction's file name (`AAAAMMJJhhmm`), or null.
 *
 * @example
 * nationalFileDate('Extraction_Correspondance_MSSante_202611230300.zip'); // '202611230300'
 */
export function nationalFileDate(fileName: string): string | null {
  const m = /Extraction_Correspondance_MSSante_(\d{12})/i.exec(fileName);
  return m ? m[1] : null;
}

/**
 * The city of a line: its routing line without the postcode.
 *
 * @example
 * nationalCity({ routingLine: '33000 BORDEAUX', postcode: '33000' }); // 'BORDEAUX'
 */
export function nationalCity(r: Pick<NationalRecord, 'routingLine' | 'postcode'>): string {
  return r.postcode && r.routingLine.startsWith(r.postcode) ? r.routingLine.slice(r.postcode.length).trim() : r.routingLine.replace(/^\d{5}\s*/, '').trim();
}

/**
 * A readable name for headers: `Dr Jean DUPONT`, or the organisation's name and service.
 *
 * @example
 * nationalDisplayName(parseNationalLine(line, 2)); // 'Dr Jean DUPONT'
 */
export function nationalDisplayName(r: Pick<NationalRecord, 'mailboxType' | 'civility' | 'firstName' | 'lastName' | 'tradeName' | 'orgName' | 'service'>): string {
  if (r.mailboxType === 'PER') {
    const civ = r.civility === 'DR' ? 'Dr' : r.civility === 'PR' ? 'Pr' : '';
    return [civ, r.firstName, r.lastName].filter(Boolean).join(' ');
  }
  return [r.tradeName || r.orgName, r.service].filter(Boolean).join(' - ');
}
