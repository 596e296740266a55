/**
 * The directory store contract: one suite, run against every implementation of
 * `DirectoryStore` (SQLite today), as the message store's. It drives the port only: import
 * both sources, resolve both ways, search, stats, issues, export and acknowledge.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { DirectoryStore } from '../../core/ports/directory-store.js';
import { chunksOf } from '../../directory/line-reader.js';
import { decodeLatin1 } from '../../directory/latin1.js';
import { legacyBytes, nationalText, perLine } from '../../test/directory/helpers.js';

export interface DirectoryUnderTest {
  store: DirectoryStore;
  close(): Promise<void>;
}

const NATIONAL = [
  perLine({ address: 'jean.dupont@medecin.mssante.fr', first: 'Jean', last: 'Dupont', rpps: '10001234567', city: 'Bordeaux' }),
  perLine({ address: 'anne.martin@pharmacie.mssante.fr', first: 'Anne', last: 'Martin', rpps: '10007654321', profession: '21', city: 'Talence' }),
];

async function text(store: DirectoryStore, feed: 'interop' | 'operator', mode: 'full' | 'diff'): Promise<{ body: string; count: number; uptoRun: number }> {
  const parts: Uint8Array[] = [];
  const s = await store.exportFeed(feed, mode, (c) => void parts.push(c));
  return { body: parts.map((p) => decodeLatin1(p)).join(''), count: s.count, uptoRun: s.uptoRun };
}

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
      const report = await store.importNational(chunksOf(nationalText(NATIONAL), 61), { fileName: 'Extraction_Correspondance_MSSante_202611010300.txt' });
      expect(report).toMatchObject({ source: 'national', lines: 2, inserted: 2, rejected: 0 });
      const [entry] = await store.search('dupont');
      const mailbox = entry!.mailboxes.find((m) => m.network === 'mssante')!;
      expect(mailbox.address).toBe('jean.dupont@medecin.mssante.fr');
      expect(mailbox.alias).toMatch(/@interop\.lnp\.test$/);
      expect(await store.resolve(mailbox.alias!)).toMatchObject({ network: 'mssante', address: 'jean.dupont@medecin.mssante.fr', status: 'active' });
      expect(await store.resolve(mailbox.alias!.toUpperCase())).toMatchObject({ address: 'jean.dupont@medecin.mssante.fr' });
      expect(await store.aliasFor('jean.dupont@medecin.mssante.fr', 'legacy')).toBe(mailbox.alias);
      expect(await store.resolve('nobody@interop.lnp.test')).toBeNull();
    });

    it('imports the legacy annuaire: its subscribers reachable from the national side', async () => {
      const report = await store.importLegacy(chunksOf(legacyBytes(['cab.dupuis@medical33.lnp.test;Dupuis;Pierre;Médecin;;;;;33000;Bordeaux;2026;A']), 17), { fileName: 'annuaire-20261101.csv' });
      expect(report).toMatchObject({ source: 'legacy', lines: 1, inserted: 1, rejected: 0 });
      expect(Object.keys(await store.lastImports())).toEqual(['legacy']);
      expect((await store.lastImports()).legacy).toBeTypeOf('number');
      const alias = await store.aliasFor('cab.dupuis@medical33.lnp.test', 'mssante');
      expect(alias).toMatch(/@passerelle\.mssante\.test$/);
      expect(await store.resolve(alias!)).toMatchObject({ network: 'legacy', address: 'cab.dupuis@medical33.lnp.test', status: 'active' });
      const stats = await store.stats();
      expect(stats.mailboxes).toBeTypeOf('object');
      expect(Array.isArray(stats.imports)).toBe(true);
      expect(await store.issues()).toBeInstanceOf(Array);
    });

    it('exports the interop feed in full, then only what changed since the acknowledged run', async () => {
      await store.importNational(chunksOf(nationalText(NATIONAL), 61), { fileName: 'Extraction_Correspondance_MSSante_202611010300.txt' });
      const full = await text(store, 'interop', 'full');
      expect(full.count).toBe(2);
      expect(full.body).toContain((await store.aliasFor('jean.dupont@medecin.mssante.fr', 'legacy'))!);
      await store.commitExport({ feed: 'interop', mode: 'full', count: full.count, sinceRun: 0, uptoRun: full.uptoRun });
      expect((await text(store, 'interop', 'diff')).count).toBe(0);
    });
  });
}
