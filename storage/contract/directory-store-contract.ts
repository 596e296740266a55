/**
 * The directory store contract: one suite, run against every implementation of
 * `DirectoryStore` (SQLite, PostgreSQL), as the message store's. It drives the port only and
 * says its behaviour: imports of both sources (inserted, updated, unchanged, removed,
 * rejected, skipped), the file-date check, the alias namespace (one per mailbox, never
 * reassigned, legacy LOCALs on the gateway's national domain, conflicts reported), linking
 * across networks, resolve both ways (case ignored, statuses kept), search, stats, issues,
 * and the feeds in full or as differences since the acknowledged export.
 *
 * SQLite is the reference: a case that fails there is a wrong case, not a wrong engine.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { DirectoryStore } from '../../core/ports/directory-store.js';
import { chunksOf } from '../../directory/line-reader.js';
import { decodeLatin1 } from '../../directory/latin1.js';
import { StaleDirectoryFileError } from '../../directory/errors.js';
import { concatBytes } from '../../lib/bytes.js';
import { legacyBytes, nationalText, perLine } from '../../test/directory/lines.js';

export interface DirectoryUnderTest {
  store: DirectoryStore;
  close(): Promise<void>;
}

const DUPONT = perLine({ address: 'jean.dupont@medecin.mssante.fr', first: 'Jean', last: 'Dupont', rpps: '10001234567', city: 'Bordeaux' });
const MARTIN = perLine({ address: 'anne.martin@pharmacie.mssante.fr', first: 'Anne', last: 'Martin', rpps: '10007654321', profession: '21', city: 'Talence' });
const FEVRE = perLine({ address: 'helene.fevre@sage-femme.mssante.fr', first: 'Hélène', last: 'FÈVRE', adeli: '339000001', profession: '50', city: 'Pessac' });
const NATIONAL = [DUPONT, MARTIN];

const nationalFile = (stamp: string) => `Extraction_Correspondance_MSSante_${stamp}.txt`;

/** Legacy annuaire lines: `address;nom;prenom;profession;specialite;rpps;adeli;finess;code_postal;ville;annee_cle;statut`. */
const L_DUPUIS = 'cab.dupuis@medical33.lnp.test;Dupuis;Pierre;Médecin;;;;;33000;Bordeaux;2026;A';
/** Jean Dupont on the legacy network: same RPPS and last name as his national mailbox. */
const L_DUPONT = 'dr.jean.dupont@medical33.lnp.test;DUPONT;Jean;Médecin;;10001234567;;;33000;BORDEAUX;2026;A';
/** Anne Martin's RPPS under another last name: not linked, reported. */
const L_AMBIGUOUS = 'a.durand@medical33.lnp.test;DURAND;Anne;Pharmacien;;10007654321;;;33400;TALENCE;2026;A';
const L_SUSPENDED = 'susp.one@medical33.lnp.test;SUSPENDU;Sam;;;;;;;;2026;S';
/** The gateway's own entry, as the legacy network lists it back: skipped. */
const L_INTEROP = 'gw.entry@interop.lnp.test;X;;;;;;;;;;A';

async function importNational(store: DirectoryStore, lines: string[], fileName?: string, force?: boolean) {
  return store.importNational(chunksOf(nationalText(lines), 61), { fileName, force });
}

async function importLegacy(store: DirectoryStore, lines: string[], fileName?: string, force?: boolean) {
  return store.importLegacy(chunksOf(legacyBytes(lines), 17), { fileName, force });
}

async function text(store: DirectoryStore, feed: 'interop' | 'operator', mode: 'full' | 'diff'): Promise<{ body: string; count: number; sinceRun: number; uptoRun: number }> {
  const parts: Uint8Array[] = [];
  const s = await store.exportFeed(feed, mode, (c) => void parts.push(c));
  const body = feed === 'interop' ? parts.map((p) => decodeLatin1(p)).join('') : new TextDecoder().decode(concatBytes(...parts));
  return { body, count: s.count, sinceRun: s.sinceRun, uptoRun: s.uptoRun };
}

/** The data lines of an interop list (header and final CRLF left out). */
const interopLines = (body: string) => body.split('\r\n').slice(1, -1);

/**
 * @param open a fresh, empty store, configured as `test/directory/helpers.ts`'s `CONFIG`
 *   (legacy domain `lnp.test`, national domain `passerelle.mssante.test`, `passerelle` reserved).
 */
export function directoryStoreContract(name: string, open: () => Promise<DirectoryUnderTest>): void {
  describe(`DirectoryStore contract: ${name}`, () => {
    let d: DirectoryUnderTest;
    let store: DirectoryStore;
    beforeEach(async () => {
      d = await open();
      store = d.store;
    });
    afterEach(async () => {
      await d.close();
    });

    it('imports the national extraction and gives each mailbox an alias that resolves back to it', async () => {
      const report = await importNational(store, NATIONAL, nationalFile('202611010300'));
      expect(report).toMatchObject({ source: 'national', lines: 2, inserted: 2, updated: 0, unchanged: 0, removed: 0, rejected: 0, aliasesAssigned: 2, fileDate: '202611010300' });
      const [entry] = await store.search('dupont');
      const mailbox = entry!.mailboxes.find((m) => m.network === 'mssante')!;
      expect(mailbox.address).toBe('jean.dupont@medecin.mssante.fr');
      expect(mailbox.alias).toBe('jean.dupont.med@interop.lnp.test');
      expect(await store.resolve(mailbox.alias!)).toEqual({ network: 'mssante', address: 'jean.dupont@medecin.mssante.fr', status: 'active', displayName: 'Dr Jean Dupont' });
      expect(await store.aliasFor('jean.dupont@medecin.mssante.fr', 'legacy')).toBe(mailbox.alias);
      expect(await store.aliasFor('anne.martin@pharmacie.mssante.fr', 'legacy')).toMatch(/^anne\.martin\.pharm@interop\.lnp\.test$/);
      expect(await store.resolve('nobody@interop.lnp.test')).toBeNull();
      expect(await store.resolve('jean.dupont@medecin.mssante.fr')).toBeNull(); // not an address the gateway serves
      expect(await store.aliasFor('nobody@medecin.mssante.fr', 'legacy')).toBeNull();
    });

    it('ignores case in addresses and aliases, and stores addresses lower-cased', async () => {
      await importNational(store, [perLine({ address: 'Marc.Leroy@Medecin.MSSante.fr', first: 'Marc', last: 'Leroy', rpps: '10005555555' })]);
      const alias = await store.aliasFor('MARC.LEROY@medecin.mssante.fr', 'legacy');
      expect(alias).toBe('marc.leroy.med@interop.lnp.test');
      expect(await store.resolve('  Marc.Leroy.MED@Interop.LNP.test ')).toMatchObject({ network: 'mssante', address: 'marc.leroy@medecin.mssante.fr' });
      await importLegacy(store, ['Cab.Dupuis@Medical33.LNP.test;Dupuis;Pierre;Médecin;;;;;33000;Bordeaux;2026;A']);
      expect(await store.resolve('CAB.DUPUIS@PASSERELLE.MSSANTE.TEST')).toMatchObject({ network: 'legacy', address: 'cab.dupuis@medical33.lnp.test' });
    });

    it('imports the legacy annuaire: each subscriber reachable on the national domain by its own LOCAL', async () => {
      expect(await store.lastImports()).toEqual({});
      const report = await importLegacy(store, [L_DUPUIS, L_SUSPENDED, L_INTEROP], 'annuaire-20261101.csv');
      expect(Object.keys(await store.lastImports())).toEqual(['legacy']);
      expect((await store.lastImports()).legacy).toBeTypeOf('number');
      expect(report).toMatchObject({ source: 'legacy', lines: 3, inserted: 2, skipped: 1, rejected: 0, aliasesAssigned: 2, fileDate: '20261101' });
      expect(await store.aliasFor('cab.dupuis@medical33.lnp.test', 'mssante')).toBe('cab.dupuis@passerelle.mssante.test');
      expect(await store.resolve('cab.dupuis@passerelle.mssante.test')).toEqual({ network: 'legacy', address: 'cab.dupuis@medical33.lnp.test', status: 'active', displayName: 'Pierre Dupuis' });
      expect(await store.resolve('susp.one@passerelle.mssante.test')).toMatchObject({ status: 'suspended' });
      // An alias answers only on its own network's domain.
      expect(await store.resolve('cab.dupuis@interop.lnp.test')).toBeNull();
      // The gateway's own interop entries are not subscribers.
      expect(await store.resolve('gw.entry@passerelle.mssante.test')).toBeNull();
    });

    it('keeps the alias namespace single: a LOCAL already held, or reserved, is reported and the newcomer suffixed', async () => {
      await importNational(store, NATIONAL);
      const r = await importLegacy(store, ['jean.dupont.med@medical64.lnp.test;DUPONT;Jean;Infirmier;;;641000001;;;;2026;A', 'passerelle@medical33.lnp.test;GATEWAY;;;;;;;;;2026;A']);
      expect(r).toMatchObject({ inserted: 2, aliasConflicts: 2 });
      expect(r.issues.filter((i) => i.kind === 'alias-conflict').map((i) => i.address)).toEqual(['jean.dupont.med@medical64.lnp.test', 'passerelle@medical33.lnp.test']);
      expect(await store.resolve('jean.dupont.med@interop.lnp.test')).toMatchObject({ address: 'jean.dupont@medecin.mssante.fr' });
      expect(await store.resolve('jean.dupont.med@passerelle.mssante.test')).toBeNull();
      const suffixed = await store.aliasFor('jean.dupont.med@medical64.lnp.test', 'mssante');
      expect(suffixed).toMatch(/^jean\.dupont\.med-[0-9a-z]{4}@passerelle\.mssante\.test$/);
      expect(await store.resolve(suffixed!)).toMatchObject({ network: 'legacy', address: 'jean.dupont.med@medical64.lnp.test' });
      expect(await store.aliasFor('passerelle@medical33.lnp.test', 'mssante')).toMatch(/^passerelle-[0-9a-z]{4}@passerelle\.mssante\.test$/);
      // Homonyms: one alias each, the later one suffixed from its own address.
      await importNational(store, [...NATIONAL, perLine({ address: 'jdupont@chu.mssante.fr', first: 'Jean', last: 'DUPONT', rpps: '10001234999' })]);
      expect(await store.aliasFor('jdupont@chu.mssante.fr', 'legacy')).toMatch(/^jean\.dupont\.med-[0-9a-z]{4}@interop\.lnp\.test$/);
      expect(await store.aliasFor('jean.dupont@medecin.mssante.fr', 'legacy')).toBe('jean.dupont.med@interop.lnp.test');
    });

    it('re-import: unchanged lines counted, changed ones updated, new ones inserted; no alias moves', async () => {
      await importNational(store, [DUPONT, MARTIN], nationalFile('202611010300'));
      const before = await store.aliasFor('anne.martin@pharmacie.mssante.fr', 'legacy');
      const moved = MARTIN.replace('33000 Talence', '33000 Pessac');
      expect(moved).not.toBe(MARTIN);
      const r = await importNational(store, [FEVRE, moved, DUPONT], nationalFile('202611020300'));
      expect(r).toMatchObject({ lines: 3, inserted: 1, updated: 1, unchanged: 1, removed: 0, rejected: 0, aliasesAssigned: 1 });
      expect(await store.aliasFor('anne.martin@pharmacie.mssante.fr', 'legacy')).toBe(before);
      expect((await store.search('pessac martin')).map((e) => e.partyKey)).toEqual(['rpps:10007654321']);
      const again = await importNational(store, [DUPONT, moved, FEVRE], nationalFile('202611030300'));
      expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 3, removed: 0 });
    });

    it('re-import marks what the file no longer lists as removed: its alias kept, resolving with status removed', async () => {
      await importNational(store, NATIONAL, nationalFile('202611010300'));
      const alias = await store.aliasFor('anne.martin@pharmacie.mssante.fr', 'legacy');
      const r = await importNational(store, [DUPONT], nationalFile('202611020300'));
      expect(r).toMatchObject({ unchanged: 1, removed: 1, inserted: 0 });
      expect(await store.resolve(alias!)).toMatchObject({ network: 'mssante', address: 'anne.martin@pharmacie.mssante.fr', status: 'removed' });
      expect(await store.aliasFor('anne.martin@pharmacie.mssante.fr', 'legacy')).toBe(alias);
      // Removed once: a later file without it does not count it again; back in a file, active again under the same alias.
      expect(await importNational(store, [DUPONT], nationalFile('202611030300'))).toMatchObject({ removed: 0, unchanged: 1 });
      expect(await importNational(store, NATIONAL, nationalFile('202611040300'))).toMatchObject({ updated: 1, unchanged: 1, inserted: 0 });
      expect(await store.resolve(alias!)).toMatchObject({ status: 'active' });
      // Same on the legacy side.
      await importLegacy(store, [L_DUPUIS, L_SUSPENDED], 'annuaire-20261101.csv');
      const l = await importLegacy(store, [L_SUSPENDED], 'annuaire-20261102.csv');
      expect(l).toMatchObject({ removed: 1, unchanged: 1 });
      expect(await store.resolve('cab.dupuis@passerelle.mssante.test')).toMatchObject({ network: 'legacy', status: 'removed' });
    });

    it('refuses a file older than the last one imported from the same source, unless forced', async () => {
      await importNational(store, NATIONAL, nationalFile('202611020300'));
      await expect(importNational(store, NATIONAL, nationalFile('202611010300'))).rejects.toBeInstanceOf(StaleDirectoryFileError);
      expect(await importNational(store, NATIONAL, nationalFile('202611010300'), true)).toMatchObject({ fileDate: '202611010300', unchanged: 2 });
      // The same date again, and a file without a date, are taken.
      expect(await importNational(store, NATIONAL, nationalFile('202611020300'))).toMatchObject({ unchanged: 2 });
      expect(await importNational(store, NATIONAL)).toMatchObject({ fileDate: null });
      // Each source has its own dates.
      await importLegacy(store, [L_DUPUIS], 'annuaire-20261101.csv');
      await expect(importLegacy(store, [L_DUPUIS], 'annuaire-20261031.csv')).rejects.toBeInstanceOf(StaleDirectoryFileError);
    });

    it('links a legacy subscriber to the national party its RPPS designates, and reports what it cannot link', async () => {
      await importNational(store, NATIONAL, nationalFile('202611010300'));
      const r = await importLegacy(store, [L_DUPONT, L_AMBIGUOUS, L_DUPUIS], 'annuaire-20261101.csv');
      expect(r.link).toEqual({ linked: 1, unlinked: 1, ambiguous: 1, changed: 3 });
      expect(r.issues.filter((i) => i.kind === 'ambiguous-link').map((i) => i.address)).toEqual(['a.durand@medical33.lnp.test']);
      // One entry, both mailboxes: the national one first.
      const [jean] = (await store.search('dupont jean')).filter((e) => e.partyKey === 'rpps:10001234567');
      expect(jean.mailboxes.map((m) => [m.network, m.address, m.alias, m.linkState])).toEqual([
        ['mssante', 'jean.dupont@medecin.mssante.fr', 'jean.dupont.med@interop.lnp.test', null],
        ['legacy', 'dr.jean.dupont@medical33.lnp.test', 'dr.jean.dupont@passerelle.mssante.test', 'linked'],
      ]);
      // The ambiguous subscriber stays an entry of its own.
      const durand = await store.search('durand');
      expect(durand).toHaveLength(1);
      expect(durand[0]).toMatchObject({ partyKey: null, mailboxes: [{ address: 'a.durand@medical33.lnp.test', linkState: 'ambiguous' }] });
      // A national import re-links: nothing changed, nothing counted as changed.
      const again = await importNational(store, NATIONAL, nationalFile('202611020300'));
      expect(again.link).toEqual({ linked: 1, unlinked: 1, ambiguous: 1, changed: 0 });
    });

    it('searches by every word (accents and case ignored), by city and by alias', async () => {
      await importNational(store, [DUPONT, MARTIN, FEVRE]);
      const names = async (q: string) => (await store.search(q)).map((e) => e.name).sort();
      expect(await names('dupont')).toEqual(['Dr Jean Dupont']);
      expect(await names('JEAN bordeaux')).toEqual(['Dr Jean Dupont']);
      expect(await names('anne dupont')).toEqual([]);
      expect(await names('helene fevre')).toEqual([expect.stringMatching(/Hélène FÈVRE/)]);
      expect(await names('HÉLÈNE')).toEqual(await names('helene'));
      expect(await names('anne.martin.pharm')).toEqual([expect.stringMatching(/Anne Martin/)]);
      expect(await names('mssante.fr')).toHaveLength(3);
      expect(await store.search('mssante.fr', 2)).toHaveLength(2);
      expect(await store.search('   ')).toEqual([]);
    });

    it('searches on its index by word prefixes: name, profession, city, identifiers, address parts; follows re-imports', async () => {
      await importNational(store, [DUPONT, MARTIN, FEVRE], nationalFile('202611010300'));
      const names = async (q: string) => (await store.search(q)).map((e) => e.name).sort();
      expect(await names('dup')).toEqual(['Dr Jean Dupont']);
      expect(await names('BORD')).toEqual(['Dr Jean Dupont']);
      expect(await names('10001234567')).toEqual(['Dr Jean Dupont']);
      expect(await names('339000')).toEqual([expect.stringMatching(/Hélène FÈVRE/)]);
      expect(await names('pharmacien tal')).toEqual(['Dr Anne Martin']);
      expect(await names('sage-femme')).toEqual([expect.stringMatching(/Hélène FÈVRE/)]);
      expect(await names('fèv')).toEqual(await names('FEV'));
      // A word starts a word of the line, not found inside one; a dotted word is a sequence.
      expect(await names('upont')).toEqual([]);
      expect(await names('jean.dupont.med')).toEqual(['Dr Jean Dupont']);
      expect(await names('medecin.dupont')).toEqual([]);
      expect(await names('zzzz')).toEqual([]);
      // A re-import changes what is found; two-letter folds (œ) as foldText.
      const moved = perLine({ address: 'jean.dupont@medecin.mssante.fr', first: 'Jean', last: 'Dupont', rpps: '10001234567', city: 'Mérignac' });
      const loeuf = perLine({ address: 'marie.loeuf@medecin.mssante.fr', first: 'Marie', last: 'LŒUF', rpps: '10009999999', city: 'Cœuilly' });
      await importNational(store, [moved, MARTIN, FEVRE, loeuf], nationalFile('202611020300'));
      expect(await names('bordeaux')).toEqual([]);
      expect(await names('merignac dupont')).toEqual(['Dr Jean Dupont']);
      expect(await names('coeuilly loeuf')).toEqual([expect.stringMatching(/Marie/)]);
    });

    it('gives each candidate address its confidence: freshness, source, conflicts (several addresses, suspended or removed elsewhere, removed)', async () => {
      const n1 = await importNational(store, NATIONAL, nationalFile('202611010300'));
      const l1 = await importLegacy(store, [L_DUPONT, L_DUPUIS], 'annuaire-20261101.csv');
      const [jean] = (await store.search('dupont jean')).filter((e) => e.partyKey === 'rpps:10001234567');
      const [nat, leg] = jean.mailboxes;
      expect(nat.confidence).toMatchObject({ source: 'linked', lastSeen: { run: n1.run, fileDate: '202611010300' }, conflicts: [] });
      expect(typeof nat.confidence.lastSeen!.importedAt).toBe('number');
      expect(leg.confidence).toMatchObject({ source: 'linked', lastSeen: { run: l1.run, fileDate: '20261101' }, conflicts: [] });
      const [pierre] = await store.search('dupuis');
      expect(pierre.mailboxes[0].confidence).toMatchObject({ source: 'legacy', lastSeen: { run: l1.run }, conflicts: [] });
      expect((await store.search('martin'))[0].mailboxes[0].confidence.source).toBe('national');
      // lookup: the route and its confidence; resolve unchanged.
      expect(await store.lookup('jean.dupont.med@interop.lnp.test')).toMatchObject({
        network: 'mssante', address: 'jean.dupont@medecin.mssante.fr', status: 'active', partyKey: 'rpps:10001234567', confidence: { source: 'linked', conflicts: [] },
      });
      expect(await store.lookup('nobody@interop.lnp.test')).toBeNull();
      // The same RPPS with a second national address; the legacy side suspended.
      const second = perLine({ address: 'dr.dupont@cabinet.mssante.fr', first: 'Jean', last: 'Dupont', rpps: '10001234567', city: 'Bordeaux' });
      const n2 = await importNational(store, [...NATIONAL, second], nationalFile('202611020300'));
      await importLegacy(store, [L_DUPONT.replace(/;A$/, ';S'), L_DUPUIS], 'annuaire-20261102.csv');
      const found = await store.lookup('jean.dupont.med@interop.lnp.test');
      expect(found!.confidence.lastSeen).toMatchObject({ run: n2.run, fileDate: '202611020300' });
      expect(found!.confidence.conflicts).toEqual(
        expect.arrayContaining([
          { kind: 'several-addresses', address: 'dr.dupont@cabinet.mssante.fr' },
          { kind: 'suspended-elsewhere', address: 'dr.jean.dupont@medical33.lnp.test' },
        ]),
      );
      expect(found!.confidence.conflicts).toHaveLength(2);
      // Removed since: the national mailbox gone from the next extraction.
      const n3 = await importNational(store, [MARTIN, second], nationalFile('202611030300'));
      const gone = await store.lookup('jean.dupont.med@interop.lnp.test');
      expect(gone).toMatchObject({ status: 'removed', confidence: { lastSeen: { run: n2.run }, conflicts: [{ kind: 'removed', run: n3.run }] } });
      const legacy = await store.lookup('dr.jean.dupont@passerelle.mssante.test');
      expect(legacy).toMatchObject({ network: 'legacy', status: 'suspended' });
      expect(legacy!.confidence.conflicts).toEqual([{ kind: 'removed-elsewhere', address: 'jean.dupont@medecin.mssante.fr' }]);
    });

    it('reports rejected and repeated lines as issues of the run, with their line numbers', async () => {
      const r = await importNational(store, [DUPONT, 'PER|broken|', MARTIN, 'APP|app@x.mssante.fr' + '|'.repeat(30), DUPONT]);
      expect(r).toMatchObject({ lines: 5, inserted: 2, rejected: 3, issueCount: 3 });
      const expected = [
        ['rejected-line', 3],
        ['rejected-line', 5],
        ['duplicate', 6],
      ];
      expect(r.issues.map((i) => [i.kind, i.line])).toEqual(expected);
      const stored = await store.issues();
      expect(stored.map((i) => [i.kind, i.line])).toEqual(expected);
      expect(stored.every((i) => i.run === r.run)).toBe(true);
      expect(stored[2]).toMatchObject({ address: 'jean.dupont@medecin.mssante.fr' });
      expect(await store.issues(r.run, 1)).toHaveLength(1);
      const l = await importLegacy(store, [L_DUPUIS, 'bad line', L_DUPUIS]);
      expect(l).toMatchObject({ inserted: 1, rejected: 2 });
      expect((await store.issues()).map((i) => [i.kind, i.line, i.run])).toEqual([
        ['rejected-line', 3, l.run],
        ['duplicate', 4, l.run],
      ]);
      expect((await store.issues(r.run)).length).toBe(3);
      // A NUL character in a line (either file): that line is rejected, the import goes on.
      const nul = await importNational(store, [MARTIN, DUPONT.replace('Bordeaux', 'Bor\u0000deaux'), FEVRE]);
      expect(nul).toMatchObject({ rejected: 1, inserted: 1, unchanged: 1 });
      expect(nul.issues).toEqual([{ kind: 'rejected-line', line: 3, detail: 'line 3: holds a NUL character' }]);
      expect(await importLegacy(store, [L_DUPUIS, 'x@y.lnp.test;A\u0000B;;;;;;;;;2026;A'])).toMatchObject({ rejected: 1, unchanged: 1 });
      // A bad header stops the import.
      await expect(store.importNational(chunksOf('Type|Adresse|\nPER|x|\n'))).rejects.toThrow(/line 1/);
    });

    it('counts mailboxes by network, status and kind, links by state, and lists the last runs and exports', async () => {
      expect(await store.stats()).toEqual({ mailboxes: {}, links: {}, imports: [], exports: [] });
      const n = await importNational(store, NATIONAL, nationalFile('202611010300'));
      await importNational(store, [DUPONT], nationalFile('202611020300'));
      const l = await importLegacy(store, [L_DUPONT, L_AMBIGUOUS, L_DUPUIS, L_SUSPENDED], 'annuaire-20261101.csv');
      const s = await store.stats();
      expect(s.mailboxes).toEqual({ mssante: { active: 1, removed: 1, PER: 2, total: 2 }, legacy: { active: 3, suspended: 1, PER: 4, total: 4 } });
      expect(s.links).toEqual({ linked: 1, unlinked: 2, ambiguous: 1 });
      expect(s.imports).toHaveLength(3);
      expect(s.imports[0]).toMatchObject({ id: l.run, source: 'legacy', fileName: 'annuaire-20261101.csv', fileDate: '20261101', counts: { lines: 4, inserted: 4 } });
      expect(s.imports[2]).toMatchObject({ id: n.run, source: 'national', counts: { inserted: 2, aliasesAssigned: 2, link: { linked: 0 } } });
      expect(typeof (s.imports[0] as { startedAt: unknown }).startedAt).toBe('number');
      const full = await store.exportFeed('interop', 'full', () => {});
      await store.commitExport(full);
      expect((await store.stats()).exports).toEqual([{ feed: 'interop', lastRun: l.run, exportedAt: expect.any(Number), count: 2 }]);
    });

    it('exports the interop feed in full, then exactly what changed since the acknowledged run', async () => {
      await importNational(store, NATIONAL, nationalFile('202611010300'));
      const full = await text(store, 'interop', 'full');
      expect(full).toMatchObject({ count: 2, sinceRun: 0 });
      expect(full.body.startsWith('adresse;nom;prenom;profession;specialite;rpps;adeli;finess;code_postal;ville;annee_cle;statut\r\n')).toBe(true);
      expect(interopLines(full.body)).toEqual([
        'anne.martin.pharm@interop.lnp.test;Martin;Anne;Pharmacien;;10007654321;;;33000;Talence;;A',
        'jean.dupont.med@interop.lnp.test;Dupont;Jean;Médecin;;10001234567;;;33000;Bordeaux;;A',
      ]);
      // Not acknowledged: a diff still has everything.
      expect((await text(store, 'interop', 'diff')).count).toBe(2);
      await store.commitExport({ feed: 'interop', mode: 'full', count: full.count, sinceRun: 0, uptoRun: full.uptoRun });
      expect((await text(store, 'interop', 'diff')).count).toBe(0);
      // One new, one removed, one unchanged: the diff has the first two, the removed as R.
      await importNational(store, [DUPONT, FEVRE], nationalFile('202611020300'));
      const diff = await text(store, 'interop', 'diff');
      expect(diff).toMatchObject({ count: 2, sinceRun: full.uptoRun });
      const lines = interopLines(diff.body);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^anne\.martin\.pharm@interop\.lnp\.test;Martin;.*;R$/);
      expect(lines[1]).toBe('helene.fevre.sf@interop.lnp.test;FÈVRE;Hélène;Infirmier;;;339000001;;33000;Pessac;;A');
      await store.commitExport({ feed: 'interop', mode: 'diff', count: diff.count, sinceRun: diff.sinceRun, uptoRun: diff.uptoRun });
      expect((await text(store, 'interop', 'diff')).count).toBe(0);
      // A full export is always whole.
      expect((await text(store, 'interop', 'full')).count).toBe(3);
    });

    it('exports the operator feed of legacy subscribers, then the changes as differences', async () => {
      await importLegacy(store, [L_DUPUIS, L_SUSPENDED], 'annuaire-20261101.csv');
      const full = await text(store, 'operator', 'full');
      expect(full.count).toBe(2);
      const bundle = JSON.parse(full.body);
      expect(bundle).toMatchObject({ resourceType: 'Bundle' });
      expect(bundle.entry.map((e: { resource: { telecom: Array<{ value: string }> } }) => e.resource.telecom[0].value)).toEqual([
        'cab.dupuis@passerelle.mssante.test',
        'susp.one@passerelle.mssante.test',
      ]);
      await store.commitExport({ feed: 'operator', mode: 'full', count: full.count, sinceRun: 0, uptoRun: full.uptoRun });
      await importLegacy(store, [L_DUPUIS, L_SUSPENDED.replace(/;S$/, ';A')], 'annuaire-20261102.csv');
      const diff = await text(store, 'operator', 'diff');
      expect(diff.count).toBe(1);
      expect(JSON.parse(diff.body).entry.map((e: { resource: { telecom: Array<{ value: string }> } }) => e.resource.telecom[0].value)).toEqual(['susp.one@passerelle.mssante.test']);
      // Each feed keeps its own acknowledged run.
      expect((await text(store, 'interop', 'diff')).count).toBe(0);
    });

    it('gives the rows changed since a run, a page at a time, and every run: what a publication copies', async () => {
      const first = await importNational(store, [DUPONT, MARTIN], nationalFile('202611010300'));
      await importLegacy(store, [L_DUPUIS, L_DUPONT], 'annuaire-20261101.csv');
      const all = await store.changedMailboxes(0, 0, 100);
      expect(all.map((m) => m.address)).toEqual([
        'jean.dupont@medecin.mssante.fr', 'anne.martin@pharmacie.mssante.fr', 'cab.dupuis@medical33.lnp.test', 'dr.jean.dupont@medical33.lnp.test',
      ]);
      const dupont = all.find((m) => m.address === 'dr.jean.dupont@medical33.lnp.test')!;
      expect(dupont).toMatchObject({ network: 'legacy', kind: 'PER', status: 'active', alias: 'dr.jean.dupont', partyKey: 'rpps:10001234567', linkState: 'linked' });
      expect(typeof dupont.id).toBe('number');
      expect(typeof dupont.lineHash).toBe('number');
      expect(dupont.record).toBe(L_DUPONT);
      // Pages: after the last id seen.
      const page1 = await store.changedMailboxes(0, 0, 3);
      const page2 = await store.changedMailboxes(0, page1[2].id, 3);
      expect([...page1, ...page2]).toEqual(all);
      // Only what a later run changed.
      const moved = perLine({ address: 'anne.martin@pharmacie.mssante.fr', first: 'Anne', last: 'Martin', rpps: '10007654321', profession: '21', city: 'Pessac' });
      const later = await importNational(store, [DUPONT, moved], nationalFile('202611020300'));
      expect((await store.changedMailboxes(later.run - 1, 0, 100)).map((m) => m.address)).toEqual(['anne.martin@pharmacie.mssante.fr']);
      const runs = await store.importRuns();
      expect(runs.map((r) => [r.id, r.source, r.fileDate])).toEqual([[first.run, 'national', '202611010300'], [first.run + 1, 'legacy', '20261101'], [later.run, 'national', '202611020300']]);
      expect(runs.every((r) => typeof r.startedAt === 'number' && typeof r.finishedAt === 'number')).toBe(true);
    });
  });
}
