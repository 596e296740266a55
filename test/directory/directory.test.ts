import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { zipSync, strToU8 } from 'fflate';
import { chunksOf } from '../../directory/line-reader.js';
import { decodeLatin1 } from '../../directory/latin1.js';
import { StaleDirectoryFileError } from '../../directory/errors.js';
import { LEGACY_LOCAL } from '../../directory/legacy-format.js';
import { join } from 'node:path';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Directory } from '../../storage/sqlite/directory.js';
import { directoryFileFor, DIRECTORY_PAGE_SIZE } from '../../storage/sqlite/directory-database.js';
import { openDatabase, DIRECTORY_MIGRATIONS_FOLDER } from '../../storage/sqlite/database.js';
import { CONFIG, legacyBytes, tempDirectory, importNational, importLegacy, SAMPLE_LINES, perLine, exportText, nationalText } from './helpers.js';

const DATA = SAMPLE_LINES.slice(1);
const LEGACY = [
  'dr.jean.dupont@medical33.lnp.test;DUPONT;Jean;Médecin;;10101010101;;;33000;BORDEAUX;2026;A',
  'paul.martin@medical33.lnp.test;MARTIN;Paul;Pharmacien;;;339999999;;33000;BORDEAUX;2026;A',
  'labo.test@medical33.lnp.test;LABORATOIRE DE TEST;;;;;;330999999;33100;BORDEAUX;2026;A',
  'amb.x@medical33.lnp.test;DUPONT;Jean;;;10101010101;339999999;;;;2026;A',
  'other.name@medical33.lnp.test;LEBLANC;Marc;;;10202020202;;;;;2026;A',
  'dr.alice.martin@medical33.lnp.test;MARTIN;Alice;Médecin;;10003000001;;;33000;BORDEAUX;2026;A',
  'susp.one@medical33.lnp.test;SUSPENDU;Sam;;;;;;;;2026;S',
  'gone.one@medical33.lnp.test;PARTI;Pat;;;;;;;;2025;R',
  'jean.dupont.med@medical64.lnp.test;DUPONT;Jean;Infirmier;;;641000001;;;;2026;A',
  'gw.entry@interop.lnp.test;X;;;;;;;;;;A',
  'helene.fevre@medical33.lnp.test;FÈVRE;Hélène;Sage-femme;;;;;;;2026;A',
];

let t: ReturnType<typeof tempDirectory>;
let dir: Directory;
beforeEach(() => {
  t = tempDirectory();
  dir = t.dir;
});
afterEach(() => t.cleanup());

describe('national import', () => {
  it('imports the shared sample and resolves its interop aliases', async () => {
    const r = await importNational(dir, DATA, 'Extraction_Correspondance_MSSante_202611010300.txt');
    expect(r).toMatchObject({ lines: 4, inserted: 4, rejected: 0, aliasesAssigned: 4, fileDate: '202611010300' });
    expect(await dir.resolve('Jean.Dupont.Med@INTEROP.lnp.test')).toEqual({
      network: 'mssante',
      address: 'jean.dupont@medecin.mssante.fr',
      status: 'active',
      displayName: 'Dr Jean DUPONT',
    });
    expect(dir.resolveSync('labo-test.secretariat@interop.lnp.test')?.address).toBe('laboratoire@labo-test.mssante.fr');
    expect(dir.resolveSync('paul.martin.pharm@interop.lnp.test')?.address).toBe('p.martin@pharmacie.mssante.fr');
    expect(dir.resolveSync('nobody@interop.lnp.test')).toBeNull();
    expect(dir.resolveSync('jean.dupont@medecin.mssante.fr')).toBeNull(); // not an address the gateway serves
    expect(dir.resolveSync('jean.dupont.med@passerelle.mssante.test')).toBeNull(); // a national mailbox has no gateway address
    expect(await dir.aliasFor('JEAN.DUPONT@medecin.mssante.fr', 'legacy')).toBe('jean.dupont.med@interop.lnp.test'); // the alias it has on the legacy network
  });

  it('upserts: unchanged lines cost nothing, changed ones are updated, missing ones marked removed and keep their alias', async () => {
    await importNational(dir, DATA, 'Extraction_Correspondance_MSSante_202611010300.txt');
    const again = await importNational(dir, DATA, 'Extraction_Correspondance_MSSante_202611020300.txt');
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 4, removed: 0 });

    const changed = DATA[1].replace('Service de cardiologie', 'Service de rythmologie');
    const r = await importNational(dir, [DATA[0], changed, DATA[2]], 'Extraction_Correspondance_MSSante_202611030300.txt');
    expect(r).toMatchObject({ inserted: 0, updated: 1, unchanged: 2, removed: 1 });
    expect(dir.resolveSync('paul.martin.pharm@interop.lnp.test')).toMatchObject({ status: 'removed', address: 'p.martin@pharmacie.mssante.fr' });

    // A newcomer with the same name does not get the removed mailbox's alias.
    const homonym = perLine({ address: 'paul.martin@officine.mssante.fr', first: 'Paul', last: 'Martin', adeli: '339999998', profession: '21' });
    const r2 = await importNational(dir, [...DATA, homonym], 'Extraction_Correspondance_MSSante_202611040300.txt');
    expect(r2).toMatchObject({ inserted: 1, updated: 2, removed: 0 }); // the reappearing one is reactivated
    expect(dir.resolveSync('paul.martin.pharm@interop.lnp.test')).toMatchObject({ status: 'active', address: 'p.martin@pharmacie.mssante.fr' });
    expect(dir.aliasForSync('paul.martin@officine.mssante.fr', 'mssante')).toMatch(/^paul\.martin\.pharm-[0-9a-z]{4}@interop\.lnp\.test$/);
  });

  it('refuses a file older than the last one imported, unless forced', async () => {
    await importNational(dir, DATA, 'Extraction_Correspondance_MSSante_202611050300.txt');
    await expect(importNational(dir, DATA.slice(0, 2), 'Extraction_Correspondance_MSSante_202611010300.txt')).rejects.toThrow(StaleDirectoryFileError);
    const r = await dir.importNational(chunksOf(nationalText(DATA.slice(0, 2))), { fileName: 'Extraction_Correspondance_MSSante_202611010300.txt', force: true });
    expect(r.removed).toBe(2);
  });

  it('reads the published ZIP and takes the date from the entry name', async () => {
    const zip = zipSync({ 'Extraction_Correspondance_MSSante_202611230300.txt': strToU8(nationalText(DATA)) });
    const r = await dir.importNational(chunksOf(zip, 1000), { fileName: 'extraction.zip' });
    expect(r).toMatchObject({ inserted: 4, fileName: 'Extraction_Correspondance_MSSante_202611230300.txt', fileDate: '202611230300' });
  });

  it('reads a legacy annuaire inside a ZIP', async () => {
    const zip = zipSync({ 'annuaire-20261123.csv': legacyBytes(LEGACY.slice(0, 3)) });
    const r = await dir.importLegacy(chunksOf(zip, 500), { fileName: 'annuaire.zip' });
    expect(r).toMatchObject({ inserted: 3, fileDate: '20261123' });
  });

  it('reports bad lines with their number and goes on; a bad header stops the import', async () => {
    const r = await importNational(dir, [DATA[0], 'PER|broken|', DATA[1], 'APP|app@x.mssante.fr' + '|'.repeat(30), DATA[0]]);
    expect(r).toMatchObject({ inserted: 2, rejected: 3 });
    expect(r.issues.map((i) => [i.kind, i.line])).toEqual([
      ['rejected-line', 3],
      ['rejected-line', 5],
      ['duplicate', 6],
    ]);
    expect(dir.issues(r.run).length).toBe(3);
    await expect(dir.importNational(chunksOf('Type|Adresse|\nPER|x|\n'))).rejects.toThrow(/line 1/);
  });

  it('gives homonyms stable aliases that do not depend on the order of later files', async () => {
    const a = perLine({ address: 'jean.dupont@medecin.mssante.fr', first: 'Jean', last: 'DUPONT', rpps: '10101010101' });
    const b = perLine({ address: 'jdupont@chu-b.mssante.fr', first: 'Jean', last: 'Dupont', rpps: '10101010102' });
    const c = perLine({ address: 'dupont.jean@clinique-c.mssante.fr', first: 'JEAN', last: 'DUPONT', rpps: '10101010103' });
    const other = tempDirectory();
    try {
      await importNational(dir, [a]);
      await importNational(dir, [a, b]);
      await importNational(dir, [a, b, c]);
      await importNational(other.dir, [a]);
      await importNational(other.dir, [a, c]);
      await importNational(other.dir, [a, c, b]);
      for (const addr of ['jean.dupont@medecin.mssante.fr', 'jdupont@chu-b.mssante.fr', 'dupont.jean@clinique-c.mssante.fr']) {
        expect(dir.aliasForSync(addr, 'mssante')).toBe(other.dir.aliasForSync(addr, 'mssante'));
      }
      expect(dir.aliasForSync('jean.dupont@medecin.mssante.fr', 'mssante')).toBe('jean.dupont.med@interop.lnp.test');
      // Re-import in another line order: nothing moves.
      const before = ['jdupont@chu-b.mssante.fr', 'dupont.jean@clinique-c.mssante.fr'].map((x) => dir.aliasForSync(x, 'mssante'));
      const r = await importNational(dir, [c, b, a]);
      expect(r.unchanged).toBe(3);
      expect(['jdupont@chu-b.mssante.fr', 'dupont.jean@clinique-c.mssante.fr'].map((x) => dir.aliasForSync(x, 'mssante'))).toEqual(before);
    } finally {
      other.cleanup();
    }
  });
});

describe('legacy directory imported first', () => {
  it('links, reserves its LOCALs and keeps addresses unique when the national one follows', async () => {
    await importLegacy(dir, LEGACY, 'annuaire-20261101.csv');
    const clash = perLine({ address: 'paul.martin@medical33.lnp.test', first: 'Paul', last: 'MARTIN', rpps: '10909090909' });
    const r = await importNational(dir, [...DATA, clash], 'Extraction_Correspondance_MSSante_202611010300.txt');
    expect(r).toMatchObject({ inserted: 4, rejected: 1 });
    expect(r.link).toMatchObject({ linked: 3, ambiguous: 2 });
    // The legacy subscriber came first: its LOCAL stays its own, the national doctor gets a suffix.
    expect(dir.resolveSync('jean.dupont.med@passerelle.mssante.test')?.address).toBe('jean.dupont.med@medical64.lnp.test');
    expect(dir.aliasForSync('jean.dupont@medecin.mssante.fr', 'mssante')).toMatch(/^jean\.dupont\.med-[0-9a-z]{4}@interop\.lnp\.test$/);
    const indexes = dir.sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'directory_mailboxes' ORDER BY name`).pluck().all();
    expect(indexes).toEqual(['directory_mailboxes_address_idx', 'directory_mailboxes_alias_idx', 'directory_mailboxes_legacy_idx', 'directory_mailboxes_party_idx']);
  });
});

describe('legacy import and linking', () => {
  beforeEach(async () => {
    await importNational(dir, DATA, 'Extraction_Correspondance_MSSante_202611010300.txt');
  });

  it('links by RPPS, ADELI and FINESS, reports ambiguities, keeps statuses and reserves LOCALs', async () => {
    const r = await importLegacy(dir, LEGACY, 'annuaire-20261101.csv');
    expect(r).toMatchObject({ lines: 11, inserted: 10, skipped: 1, rejected: 0, aliasConflicts: 1, fileDate: '20261101' });
    expect(r.link).toMatchObject({ linked: 3, ambiguous: 2 });
    const kinds = r.issues.map((i) => `${i.kind} ${i.address}`);
    expect(kinds).toContain('ambiguous-link amb.x@medical33.lnp.test');
    expect(kinds).toContain('ambiguous-link other.name@medical33.lnp.test');
    expect(kinds).toContain('alias-conflict jean.dupont.med@medical64.lnp.test');
    expect(r.issues.find((i) => i.address === 'amb.x@medical33.lnp.test')?.detail).toMatch(/rpps:10101010101, adeli:339999999/);

    expect(dir.resolveSync('dr.alice.martin@passerelle.mssante.test')).toEqual({
      network: 'legacy',
      address: 'dr.alice.martin@medical33.lnp.test',
      status: 'active',
      displayName: 'Alice MARTIN',
    });
    expect(dir.resolveSync('susp.one@passerelle.mssante.test')?.status).toBe('suspended');
    expect(dir.resolveSync('gone.one@passerelle.mssante.test')?.status).toBe('removed');
    expect(dir.resolveSync('helene.fevre@passerelle.mssante.test')?.displayName).toBe('Hélène FÈVRE');
    // The interop alias keeps its LOCAL; the legacy subscriber holding the same LOCAL gets another gateway address.
    expect(dir.resolveSync('jean.dupont.med@interop.lnp.test')?.address).toBe('jean.dupont@medecin.mssante.fr');
    expect(dir.resolveSync('jean.dupont.med@passerelle.mssante.test')).toBeNull();
    expect(dir.aliasForSync('jean.dupont.med@medical64.lnp.test', 'legacy')).toMatch(/^jean\.dupont\.med-[0-9a-z]{4}@passerelle\.mssante\.test$/);
    // The gateway's own interop lines are not subscribers.
    expect(dir.resolveSync('gw.entry@passerelle.mssante.test')).toBeNull();
  });

  it('shows a person on both networks as one entry', async () => {
    await importLegacy(dir, LEGACY, 'annuaire-20261101.csv');
    const found = dir.search('dupont');
    const jean = found.find((e) => e.partyKey === 'rpps:10101010101')!;
    expect(jean.mailboxes.map((m) => [m.network, m.address])).toEqual([
      ['mssante', 'jean.dupont@medecin.mssante.fr'],
      ['legacy', 'dr.jean.dupont@medical33.lnp.test'],
    ]);
    expect(jean.mailboxes[1]).toMatchObject({ alias: 'dr.jean.dupont@passerelle.mssante.test', linkState: 'linked' });
    const labo = dir.search('laboratoire bordeaux').find((e) => e.partyKey === 'finess:330999999')!;
    expect(labo.mailboxes).toHaveLength(2);
    expect(dir.search('helene fevre')[0].mailboxes[0].address).toBe('helene.fevre@medical33.lnp.test');
    expect(dir.search('')).toEqual([]);
  });

  it('re-links when the national side changes, and marks subscribers gone from a newer annuaire', async () => {
    await importLegacy(dir, LEGACY, 'annuaire-20261101.csv');
    const r = await importLegacy(dir, LEGACY.filter((l) => !l.startsWith('dr.alice')), 'annuaire-20261102.csv');
    expect(r).toMatchObject({ inserted: 0, unchanged: 9, removed: 1 });
    expect(dir.resolveSync('dr.alice.martin@passerelle.mssante.test')?.status).toBe('removed');
    // Alice appears nationally: her (removed) legacy entry links to it.
    const alice = perLine({ address: 'alice.martin@medecin.mssante.fr', first: 'Alice', last: 'MARTIN', rpps: '10003000001', city: 'BORDEAUX' });
    const n = await importNational(dir, [...DATA, alice], 'Extraction_Correspondance_MSSante_202611020300.txt');
    expect(n.link.linked).toBe(4);
    expect(dir.search('alice martin')[0].mailboxes.map((m) => m.network)).toEqual(['mssante', 'legacy']);
  });
});

describe('resolve', () => {
  it('sees at once a suspension made through another connection', async () => {
    await importNational(dir, DATA, 'Extraction_Correspondance_MSSante_202611010300.txt');
    await importLegacy(dir, LEGACY.slice(5, 6), 'annuaire-20261101.csv');
    expect(dir.resolveSync('dr.alice.martin@passerelle.mssante.test')?.status).toBe('active');
    const other = Directory.open(join(t.folder, 'db.sqlite'), CONFIG);
    try {
      await importLegacy(other, [LEGACY[5].replace(/;A$/, ';S')], 'annuaire-20261102.csv');
    } finally {
      other.close();
    }
    expect(dir.resolveSync('dr.alice.martin@passerelle.mssante.test')?.status).toBe('suspended');
    // A route handed out is a copy: changing it does not change the next answer.
    const r = dir.resolveSync('dr.alice.martin@passerelle.mssante.test')!;
    r.status = 'active';
    expect(dir.resolveSync('dr.alice.martin@passerelle.mssante.test')?.status).toBe('suspended');
  });
});

describe('exports', () => {
  beforeEach(async () => {
    await importNational(dir, DATA, 'Extraction_Correspondance_MSSante_202611010300.txt');
    await importLegacy(dir, LEGACY, 'annuaire-20261101.csv');
  });

  it('writes the interop list in the SPEC §7 format (ISO-8859-1, CRLF), full then as differences', () => {
    const full = exportText(dir, 'interop', 'full');
    expect(full.count).toBe(4);
    expect(full.bytes.includes(0xe9)).toBe(true); // é in ISO-8859-1
    const text = decodeLatin1(full.bytes);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('adresse;nom;prenom;profession;specialite;rpps;adeli;finess;code_postal;ville;annee_cle;statut');
    expect(lines).toContain('jean.dupont.med@interop.lnp.test;DUPONT;Jean;Médecin;Médecine générale (SM);10101010101;;;;;;A');
    expect(lines).toContain('labo-test.secretariat@interop.lnp.test;LABO TEST;Secrétariat;;;;;330999999;33100;BORDEAUX;;A');
    expect(lines).toContain('paul.martin.pharm@interop.lnp.test;MARTIN;Paul;Pharmacien;;;339999999;;;;;A');
    expect(text.endsWith('\r\n')).toBe(true);
    for (const l of lines.slice(1, -1)) expect(l.split(';')[0].split('@')[0]).toMatch(LEGACY_LOCAL);

    expect(exportText(dir, 'interop', 'diff').count).toBe(0);
    return importNational(dir, [DATA[0], DATA[1].replace('|12|', '|14|'), DATA[2]], 'Extraction_Correspondance_MSSante_202611020300.txt').then(() => {
      const diff = decodeLatin1(exportText(dir, 'interop', 'diff').bytes).split('\r\n');
      expect(diff.slice(1, -1).sort()).toEqual([
        'camille.roux.med@interop.lnp.test;ROUX;Camille;Médecin;Cardiologie et maladies vasculaires (SM);10202020202;;;33000;BORDEAUX;;A',
        'paul.martin.pharm@interop.lnp.test;MARTIN;Paul;Pharmacien;;;339999999;;;;;R',
      ]);
      expect(exportText(dir, 'interop', 'diff').count).toBe(0);
    });
  });

  it('writes the operator feed as a FHIR-shaped bundle, full then as differences', async () => {
    const full = JSON.parse(new TextDecoder().decode(exportText(dir, 'operator', 'full').bytes));
    expect(full).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(full.entry).toHaveLength(10);
    type Res = { resourceType: string; identifier: Array<{ value: string }>; name: Array<{ given?: string[] }> };
    const resources = full.entry.map((e: { resource: Res }) => e.resource) as Res[];
    const jean = resources.find((r) => r.identifier[0]?.value === '810101010101' && r.name[0].given);
    expect(jean).toMatchObject({ resourceType: 'Practitioner', active: true, telecom: [{ system: 'email' }] });
    const org = full.entry.find((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'Organization').resource;
    expect(org.identifier).toEqual([{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: '1330999999' }]);
    const addresses = full.entry.map((e: { resource: { telecom: Array<{ value: string }> } }) => e.resource.telecom[0].value);
    expect(addresses).toContain('dr.alice.martin@passerelle.mssante.test');

    expect(exportText(dir, 'operator', 'diff').count).toBe(0);
    await importLegacy(dir, LEGACY.filter((l) => !l.startsWith('susp.one')), 'annuaire-20261102.csv');
    const diff = JSON.parse(new TextDecoder().decode(exportText(dir, 'operator', 'diff').bytes));
    expect(diff.entry).toHaveLength(1);
    expect(diff.entry[0].resource.telecom[0]).toMatchObject({ value: 'susp.one@passerelle.mssante.test' });
    expect(JSON.stringify(diff.entry[0].resource)).toContain('"valueCode":"removed"');
  });

  it('keeps the export state until committed', () => {
    exportText(dir, 'interop', 'full', false);
    expect(exportText(dir, 'interop', 'diff', false).count).toBe(4);
  });
});

describe('search index (SQLite FTS5)', () => {
  const indexed = (d: Directory) => d.sqlite.prepare(`SELECT count(*) FROM directory_search`).pluck().get() as number;
  const mailboxes = (d: Directory) => d.sqlite.prepare(`SELECT count(*) FROM directory_mailboxes`).pluck().get() as number;

  it('is written with each mailbox, by a bulk first import and by later ones, and follows changed lines', async () => {
    await importNational(dir, DATA, 'Extraction_Correspondance_MSSante_202611010300.txt'); // bulk
    expect(indexed(dir)).toBe(mailboxes(dir));
    await importLegacy(dir, LEGACY, 'annuaire-20261101.csv'); // incremental
    expect(indexed(dir)).toBe(mailboxes(dir));
    expect(dir.search('sage-femme fevre').map((e) => e.mailboxes[0].address)).toContain('helene.fevre@medical33.lnp.test');
    // A changed line replaces its words: the old city is no longer found, the new one is.
    const moved = LEGACY.map((l) => (l.startsWith('paul.martin@') ? l.replace('33000;BORDEAUX', '64000;PAU') : l));
    await importLegacy(dir, moved, 'annuaire-20261102.csv');
    expect(indexed(dir)).toBe(mailboxes(dir));
    expect(dir.search('paul martin pau').map((e) => e.mailboxes.map((m) => m.address)).flat()).toContain('paul.martin@medical33.lnp.test');
    expect(dir.search('paul martin bordeaux')).toEqual([]);
    dir.sqlite.exec(`INSERT INTO directory_search (directory_search) VALUES ('integrity-check')`);
  });

  it('creates its file with 8 KB pages; a file made before keeps its 4 KB pages and loads and reads the same', async () => {
    const pageSize = (d: Directory) => d.sqlite.pragma('page_size', { simple: true });
    expect(pageSize(dir)).toBe(DIRECTORY_PAGE_SIZE);
    expect(DIRECTORY_PAGE_SIZE).toBe(8192);
    const older = join(t.folder, 'older.directory.db');
    openDatabase(older, { migrationsFolder: DIRECTORY_MIGRATIONS_FOLDER }).sqlite.close(); // as files were made before
    const d = Directory.open(older, CONFIG);
    try {
      expect(pageSize(d)).toBe(4096);
      await importNational(d, DATA, 'Extraction_Correspondance_MSSante_202611010300.txt');
      await importNational(dir, DATA, 'Extraction_Correspondance_MSSante_202611010300.txt');
      const found = (x: Directory) => x.search('dupont').flatMap((e) => e.mailboxes.map((m) => `${m.address} ${m.alias}`));
      expect(found(d)).toEqual(found(dir));
      expect(found(d).length).toBeGreaterThan(0);
      expect((await d.resolve('jean.dupont.med@interop.lnp.test'))?.address).toBe('jean.dupont@medecin.mssante.fr');
    } finally {
      d.close();
    }
  });

  it('is made anew without its prefix index in a file made before (migration 0003), refilled once, a D1 copy told to publish in full (and the alias index of 0004 made)', async () => {
    // The file as the migrations up to 0002 left it: the search table with a three-letter prefix index.
    const before = join(t.folder, 'migrations-0002');
    cpSync(DIRECTORY_MIGRATIONS_FOLDER, before, { recursive: true });
    rmSync(join(before, '0003_search_index_words.sql'));
    const journal = JSON.parse(readFileSync(join(before, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> };
    journal.entries = journal.entries.filter((e) => e.tag < '0003');
    writeFileSync(join(before, 'meta', '_journal.json'), JSON.stringify(journal));
    const older = join(t.folder, 'prefixed.directory.db');
    const definition = (d: Directory) => d.sqlite.prepare(`SELECT sql FROM sqlite_master WHERE name = 'directory_search'`).pluck().get() as string;
    const o = new Directory(openDatabase(older, { migrationsFolder: before }).sqlite, CONFIG);
    try {
      expect(definition(o)).toContain("prefix='3'");
      await importNational(o, DATA, 'Extraction_Correspondance_MSSante_202611010300.txt');
      await importLegacy(o, LEGACY, 'annuaire-20261101.csv');
      o.sqlite.exec(`INSERT INTO directory_exports (feed, last_run, exported_at, count) VALUES ('published', 2, 0, 9)`);
    } finally {
      o.close();
    }
    const d = Directory.open(older, CONFIG);
    try {
      expect(definition(d)).not.toContain('prefix');
      expect(indexed(d)).toBe(mailboxes(d));
      expect(d.sqlite.prepare(`SELECT count(*) FROM directory_exports WHERE feed = 'published'`).pluck().get()).toBe(0);
      // Migration 0004 too: the route index gives way to the alias index; the routes read the same.
      const names = d.sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'directory_mailboxes' ORDER BY name`).pluck().all();
      expect(names).toEqual(['directory_mailboxes_address_idx', 'directory_mailboxes_alias_idx', 'directory_mailboxes_legacy_idx', 'directory_mailboxes_party_idx']);
      expect(d.resolveSync('jean.dupont.med@interop.lnp.test')?.address).toBe('jean.dupont@medecin.mssante.fr');
      await importNational(dir, DATA, 'Extraction_Correspondance_MSSante_202611010300.txt');
      await importLegacy(dir, LEGACY, 'annuaire-20261101.csv');
      for (const q of ['dupont', 'dup', 'sage-femme fevre', 'bordeaux']) {
        const found = (x: Directory) => x.search(q).flatMap((e) => e.mailboxes.map((m) => m.address));
        expect(found(d)).toEqual(found(dir));
        expect(found(d).length).toBeGreaterThan(0);
      }
      d.sqlite.exec(`INSERT INTO directory_search (directory_search) VALUES ('integrity-check')`);
    } finally {
      d.close();
    }
  });

  it('takes the address book of an older database that kept it in the message store\'s file, once', async () => {
    // The older layout: the message store's file, with the directory tables its migrations made.
    await importNational(dir, DATA, 'Extraction_Correspondance_MSSante_202611010300.txt');
    await importLegacy(dir, LEGACY, 'annuaire-20261101.csv');
    const before = dir.sqlite.prepare(`SELECT address, alias, status, party_key FROM directory_mailboxes ORDER BY id`).all();
    const main = join(t.folder, 'passerelle.db');
    const { sqlite: old } = openDatabase(main);
    old.prepare(`ATTACH DATABASE ? AS d`).run(join(t.folder, 'db.sqlite'));
    for (const table of ['directory_imports', 'directory_mailboxes', 'directory_issues', 'directory_exports']) {
      const cols = (old.prepare(`SELECT name FROM pragma_table_info(?, 'd')`).pluck().all(table) as string[]).join(', ');
      old.exec(`INSERT INTO main.${table} (${cols}) SELECT ${cols} FROM d.${table}`);
    }
    old.exec('DETACH DATABASE d');
    old.close();

    const moved = Directory.open(directoryFileFor(main), CONFIG, { adoptFrom: main });
    try {
      expect(directoryFileFor(main)).toBe(join(t.folder, 'passerelle.directory.db'));
      expect(moved.sqlite.prepare(`SELECT address, alias, status, party_key FROM directory_mailboxes ORDER BY id`).all()).toEqual(before);
      expect(await moved.resolve('jean.dupont.med@interop.lnp.test')).toEqual(await dir.resolve('jean.dupont.med@interop.lnp.test'));
      expect(moved.search('sage-femme fevre').map((e) => e.mailboxes[0].address)).toContain('helene.fevre@medical33.lnp.test');
      const { sqlite: after } = openDatabase(main);
      expect(after.prepare(`SELECT count(*) FROM directory_mailboxes`).pluck().get()).toBe(0);
      after.close();
    } finally {
      moved.close();
    }
    // Opened again: nothing taken twice.
    const again = Directory.open(directoryFileFor(main), CONFIG, { adoptFrom: main });
    expect(again.sqlite.prepare(`SELECT count(*) FROM directory_mailboxes`).pluck().get()).toBe(before.length);
    again.close();
  });
});
