/**
 * Synthetic directory files, deterministic for a seed (Web APIs only): a national extraction
 * (default 535,000 lines, 85% PER, 15% ORG) and a legacy annuaire (default 90,000 lines).
 * They hold homonyms, accents, compound names, ADELI-only people, people on both networks
 * (same RPPS/ADELI), organisations linked by FINESS, a few ambiguous identifiers, suspended
 * and removed subscribers, and the gateway's own `interop` lines (to be skipped).
 *
 * Line `i` of a file depends only on the seed and `i`, so a variant with a share of lines
 * changed (`changeRate`) differs from the original exactly on those lines.
 */
import { NATIONAL_HEADER, formatNationalLine, type NationalRecord } from '../national-format.js';
import { LEGACY_HEADER, formatLegacyLine, type LegacyRecord } from '../legacy-format.js';
import { slug } from '../alias.js';
import { hash53 } from '../hash53.js';
import {
  LAST_NAME_STEMS,
  LAST_NAME_ENDINGS,
  PARTICLES,
  FIRST_NAMES,
  PROFESSIONS,
  CITIES,
  STREET_TYPES,
  STREET_NAMES,
  ORG_KINDS,
  SERVICES,
  MAIL_DOMAINS,
} from './pools.js';

/** A small deterministic generator (mulberry32) seeded from (seed, index, salt). */
function rngFor(seed: number, i: number, salt = 0): () => number {
  let a = hash53(`${seed}:${i}:${salt}`) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)];
}

export const DEFAULT_NATIONAL_LINES = 535_000;
export const DEFAULT_LEGACY_LINES = 90_000;

/** Is national line `i` an organisation (15%)? */
export function isOrgLine(i: number): boolean {
  return i % 20 < 3;
}

/** National line `i` (0-based, header not counted) as a record. */
export function nationalRecordAt(seed: number, i: number): NationalRecord {
  const rnd = rngFor(seed, i);
  const [postcode, city, dept] = pick(rnd, CITIES);
  const street = {
    locationComplement: rnd() < 0.1 ? `Bâtiment ${pick(rnd, ['A', 'B', 'C'])}` : '',
    distributionComplement: '',
    streetNumber: String(1 + Math.floor(rnd() * 120)),
    streetNumberComplement: rnd() < 0.05 ? 'bis' : '',
    streetType: pick(rnd, STREET_TYPES),
    streetName: pick(rnd, STREET_NAMES),
    locality: '',
    routingLine: `${postcode} ${city}`,
    postcode,
    department: dept,
    country: 'France',
  };
  if (isOrgLine(i)) {
    const [kind, short] = pick(rnd, ORG_KINDS);
    const place = rnd() < 0.5 ? city : lastNameFor(rnd);
    const finess = `${dept.padStart(2, '0').slice(0, 2)}${String(i).padStart(7, '0')}`;
    const service = pick(rnd, SERVICES);
    const domain = `${slug(short)}-${slug(place)}.mssante.fr`;
    return {
      mailboxType: 'ORG',
      address: `${service ? slug(service) : 'contact'}.${i.toString(36)}@${domain}`,
      personIdType: '',
      personId: '',
      nationalPersonId: '',
      orgIdType: rnd() < 0.9 ? '1' : '3',
      orgId: finess,
      service,
      civility: '',
      lastName: '',
      firstName: '',
      categoryCode: '',
      categoryLabel: '',
      professionCode: '',
      professionLabel: '',
      specialityCode: '',
      specialityLabel: '',
      dematerialisation: rnd() < 0.95 ? 'O' : 'N',
      orgName: `${kind} ${place}`,
      tradeName: rnd() < 0.5 ? `${short} ${place}` : '',
      ...street,
    };
  }
  const p = personAt(seed, i);
  const inStructure = rnd() < 0.3;
  return {
    mailboxType: 'PER',
    address: `${slug(p.firstName)}.${slug(p.lastName)}.${i.toString(36)}@${pick(rnd, MAIL_DOMAINS)}`,
    personIdType: p.rpps ? '8' : '0',
    personId: p.rpps || p.adeli,
    nationalPersonId: p.rpps ? `8${p.rpps}` : `0${p.adeli}`,
    orgIdType: inStructure ? '1' : '',
    orgId: inStructure ? `${dept.slice(0, 2)}${String((i * 7) % 1_000_000).padStart(7, '0')}` : '',
    service: inStructure ? pick(rnd, SERVICES) : '',
    civility: p.professionCode === '10' ? 'DR' : pick(rnd, ['M', 'MME']),
    lastName: p.lastName,
    firstName: p.firstName,
    categoryCode: 'C',
    categoryLabel: 'Civil',
    professionCode: p.professionCode,
    professionLabel: p.professionLabel,
    specialityCode: p.speciality[0],
    specialityLabel: p.speciality[1],
    dematerialisation: rnd() < 0.97 ? 'O' : 'N',
    orgName: inStructure ? `${pick(rnd, ORG_KINDS)[0]} ${city}` : '',
    tradeName: '',
    ...(inStructure ? street : { ...street, streetNumber: '', streetType: '', streetName: '', locationComplement: '', streetNumberComplement: '' }),
  };
}

function lastNameFor(rnd: () => number): string {
  return `${pick(rnd, PARTICLES)}${pick(rnd, LAST_NAME_STEMS)}${pick(rnd, LAST_NAME_ENDINGS)}`;
}

/** The person behind national PER line `i`: names, identifiers (10% ADELI only), profession. */
export function personAt(seed: number, i: number) {
  const rnd = rngFor(seed, i, 1);
  const lastName = rnd() < 0.05 ? `${lastNameFor(rnd)}-${lastNameFor(rnd)}` : lastNameFor(rnd);
  const firstName = pick(rnd, FIRST_NAMES);
  let x = rnd() * 1000;
  let prof = PROFESSIONS[0];
  for (const p of PROFESSIONS) {
    if (x < p.share) {
      prof = p;
      break;
    }
    x -= p.share;
  }
  const adeliOnly = i % 10 === 7;
  return {
    lastName,
    firstName,
    professionCode: prof.code,
    professionLabel: prof.label,
    speciality: prof.specialities.length ? pick(rnd, prof.specialities) : (['', ''] as [string, string]),
    rpps: adeliOnly ? '' : String(10_000_000_000 + i),
    adeli: adeliOnly ? `33${prof.code.slice(0, 1)}${String(i).padStart(6, '0')}` : '',
  };
}

export interface NationalOptions {
  seed: number;
  lines?: number;
  /** Share of lines changed (a tenth of them dropped, replaced by as many new lines). */
  changeRate?: number;
  /** Distinguishes variants with the same rate. */
  changeSeed?: number;
}

/**
 * The lines of a national extraction, header first (no line ends).
 *
 * @example
 * for (const line of syntheticNationalLines({ seed: 1, lines: 1000 })) out.write(line + '\n');
 */
export function* syntheticNationalLines(o: NationalOptions): Generator<string> {
  const n = o.lines ?? DEFAULT_NATIONAL_LINES;
  const rate = o.changeRate ?? 0;
  yield NATIONAL_HEADER;
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    if (rate > 0) {
      const h = (hash53(`chg:${o.changeSeed ?? 0}:${i}`) % 1_000_000) / 1_000_000;
      if (h < rate) {
        if (h < rate / 10) {
          dropped++;
          continue;
        }
        const r = nationalRecordAt(o.seed, i);
        r.dematerialisation = r.dematerialisation === 'O' ? 'N' : 'O';
        r.streetNumber = String(Number(r.streetNumber || '0') + 1);
        yield formatNationalLine(r);
        continue;
      }
    }
    yield formatNationalLine(nationalRecordAt(o.seed, i));
  }
  for (let k = 0; k < dropped; k++) yield formatNationalLine(nationalRecordAt(o.seed, n + 1000 + k + (o.changeSeed ?? 0) * 100_000));
}

export interface LegacyOptions {
  seed: number;
  lines?: number;
  /** Size of the national file the legacy one overlaps with. */
  nationalLines?: number;
  /** The legacy network domain. */
  domain?: string;
}

/** Legacy line `j` as a record. */
export function legacyRecordAt(o: LegacyOptions, j: number): LegacyRecord {
  const seed = o.seed;
  const nat = o.nationalLines ?? DEFAULT_NATIONAL_LINES;
  const domain = o.domain ?? 'lnp.test';
  const rnd = rngFor(seed, j, 2);
  const [postcode, city, dept] = pick(rnd, CITIES);
  const zone = `medical${dept.toLowerCase()}`;
  const status = ((): 'A' | 'S' | 'R' => {
    const x = rnd();
    return x < 0.94 ? 'A' : x < 0.97 ? 'S' : 'R';
  })();
  const keyYear = status === 'R' ? '2025' : '2026';
  const tag = j.toString(36);
  if (j % 5000 === 4999) {
    // The gateway's own interop entry, as the network lists it: skipped by the import.
    return { address: `gw.entry.${tag}@interop.${domain}`, lastName: 'INTEROP', firstName: '', profession: '', speciality: '', rpps: '', adeli: '', finess: '', postcode: '', city: '', keyYear: '', status: 'A' };
  }
  const slot = j % 10;
  if (slot === 9) {
    // Organisation: half of them with the FINESS of a national ORG line.
    let i = Math.floor(rnd() * nat);
    i -= i % 20; // an ORG line
    const natRec = nationalRecordAt(seed, i);
    const finess = rnd() < 0.5 && i < nat ? natRec.orgId : `${dept.slice(0, 2)}9${String(j).padStart(6, '0')}`;
    const name = rnd() < 0.5 ? natRec.orgName : `LABORATOIRE ${city}`;
    return { address: `${slug(name).replace(/-/g, '.')}.${tag}@${zone}.${domain}`, lastName: name, firstName: '', profession: '', speciality: '', rpps: '', adeli: '', finess, postcode, city, keyYear, status };
  }
  let person: ReturnType<typeof personAt>;
  let rpps = '';
  let adeli = '';
  if (slot < 4) {
    // On both networks: a national person.
    let i = Math.floor(rnd() * nat);
    if (isOrgLine(i)) i += 3;
    if (i >= nat) i = 3;
    person = personAt(seed, i);
    rpps = person.rpps;
    adeli = person.adeli;
    if (j % 1000 === 3) {
      // Ambiguous: the RPPS of one national person, the ADELI of another.
      const other = personAt(seed, 7 + 10 * Math.floor(rnd() * (nat / 10 - 1)));
      if (rpps && other.adeli) adeli = other.adeli;
    }
    if (j % 1000 === 13 && rpps) person = { ...person, lastName: lastNameFor(rnd) + 'Y' };
  } else {
    // Legacy only: new people, some with an ADELI only.
    person = personAt(seed, nat + 10_000_000 + j);
    rpps = slot === 8 ? '' : String(20_000_000_000 + j);
    adeli = slot === 8 ? `64${person.professionCode.slice(0, 1)}${String(j).padStart(6, '0')}` : '';
  }
  const local = j % 2000 === 1 ? `${slug(person.firstName)}.${slug(person.lastName)}.med` : `${rnd() < 0.5 ? 'dr.' : ''}${slug(person.firstName)}.${slug(person.lastName)}.${tag}`;
  return {
    address: `${local.slice(0, 64)}@${zone}.${domain}`,
    lastName: person.lastName,
    firstName: person.firstName,
    profession: person.professionLabel,
    speciality: person.speciality[1],
    rpps,
    adeli,
    finess: '',
    postcode,
    city,
    keyYear,
    status,
  };
}

/**
 * The lines of a legacy annuaire, header first (no line ends; the writer encodes them in
 * ISO-8859-1 with CRLF).
 *
 * @example
 * for (const line of syntheticLegacyLines({ seed: 1, lines: 500, nationalLines: 5000 })) …
 */
export function* syntheticLegacyLines(o: LegacyOptions): Generator<string> {
  const n = o.lines ?? DEFAULT_LEGACY_LINES;
  yield LEGACY_HEADER;
  for (let j = 0; j < n; j++) yield formatLegacyLine(legacyRecordAt(o, j));
}
