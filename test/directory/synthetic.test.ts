import { describe, it, expect, afterAll } from 'vitest';
import { syntheticNationalLines, syntheticLegacyLines } from '../../directory/synthetic/generate.js';
import { parseNationalLine, checkNationalHeader } from '../../directory/national-format.js';
import { parseLegacyLine, checkLegacyHeader, LEGACY_LOCAL } from '../../directory/legacy-format.js';
import { chunksOf } from '../../directory/line-reader.js';
import { encodeLatin1 } from '../../directory/latin1.js';
import { tempDirectory } from './helpers.js';

const N = 6000;
const L = 1200;
const national = (o: { changeRate?: number; changeSeed?: number } = {}) => [...syntheticNationalLines({ seed: 7, lines: N, ...o })].join('\n') + '\n';
const legacy = () => encodeLatin1([...syntheticLegacyLines({ seed: 7, lines: L, nationalLines: N })].join('\r\n') + '\r\n');

describe('synthetic directories', () => {
  it('are deterministic and well-formed, with homonyms, accents, ADELI-only people and organisations', () => {
    const a = [...syntheticNationalLines({ seed: 7, lines: 2000 })];
    expect([...syntheticNationalLines({ seed: 7, lines: 2000 })]).toEqual(a);
    expect([...syntheticNationalLines({ seed: 8, lines: 2000 })]).not.toEqual(a);
    checkNationalHeader(a[0]);
    const recs = a.slice(1).map((l, i) => parseNationalLine(l, i + 2));
    expect(recs.filter((r) => r.mailboxType === 'ORG').length).toBe(300);
    expect(recs.filter((r) => r.personIdType === '0').length).toBeGreaterThan(100);
    expect(recs.some((r) => /[éèëïüç]/i.test(r.lastName + r.firstName))).toBe(true);
    const names = recs.filter((r) => r.mailboxType === 'PER').map((r) => `${r.firstName} ${r.lastName}`);
    expect(new Set(names).size).toBeLessThan(names.length); // homonyms
    const l = [...syntheticLegacyLines({ seed: 7, lines: 500, nationalLines: 2000 })];
    checkLegacyHeader(l[0]);
    const lrecs = l.slice(1).map((x, i) => parseLegacyLine(x, i + 2));
    expect(lrecs.filter((r) => r.finess).length).toBe(50);
    expect(new Set(lrecs.map((r) => r.status))).toEqual(new Set(['A', 'S', 'R']));
  });

  describe('imported', () => {
    const t = tempDirectory();
    afterAll(() => t.cleanup());
    const dir = t.dir;
    const aliasesOf = () => new Map(dir.sqlite.prepare(`SELECT address, alias FROM directory_mailboxes`).raw().all() as Array<[string, string]>);

    it('import with collision-free valid aliases and links across networks', async () => {
      const n = await dir.importNational(chunksOf(national()), { fileName: 'Extraction_Correspondance_MSSante_202611010300.txt' });
      expect(n).toMatchObject({ inserted: N, rejected: 0 });
      const l = await dir.importLegacy(chunksOf(legacy()), { fileName: 'annuaire-20261101.csv' });
      expect(l.rejected).toBe(0);
      expect(l.inserted + l.skipped).toBe(L);
      expect(l.link.linked).toBeGreaterThan(L * 0.3);
      expect(l.link.ambiguous).toBeGreaterThan(0);
      const aliases = [...aliasesOf().values()];
      expect(new Set(aliases).size).toBe(aliases.length);
      for (const a of aliases) expect(a).toMatch(LEGACY_LOCAL);
      expect(aliases.filter((a) => /-[0-9a-z]{4}$/.test(a)).length).toBeGreaterThan(10); // homonyms got suffixes
    });

    it('re-import with 1% of lines changed touches only those, and no alias moves', async () => {
      const before = aliasesOf();
      const r = await dir.importNational(chunksOf(national({ changeRate: 0.01, changeSeed: 3 })), { fileName: 'Extraction_Correspondance_MSSante_202611020300.txt' });
      expect(r.updated + r.removed + r.inserted).toBeGreaterThan(N * 0.005);
      expect(r.updated + r.removed + r.inserted).toBeLessThan(N * 0.02);
      expect(r.removed).toBe(r.inserted);
      expect(r.unchanged).toBe(N - r.updated - r.removed);
      const after = aliasesOf();
      for (const [addr, alias] of before) expect(after.get(addr)).toBe(alias);
    });
  });
});
