/**
 * A first load's search index built beside the import (`storage/sqlite/search-side-file.ts`)
 * answers every search as the index built in the import does, stays sound through the
 * re-imports that follow on the same connection, and leaves no file behind, loaded or failed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../../storage/sqlite/directory.js';
import { inThreadSearchSide, SIDE_AUTOMERGE } from '../../storage/sqlite/search-side-file.js';
import { threadedSearchSide } from '../../app/node/threaded-search-side.js';
import { syntheticNationalLines } from '../../directory/synthetic/generate.js';
import { chunksOf } from '../../directory/line-reader.js';
import { CONFIG as BASE } from './helpers.js';

const CONFIG = { ...BASE, clock: { now: () => Date.UTC(2026, 10, 1, 6) } }; // both books alike, to the millisecond

const LINES = 30_000; // two batches and a half
const text = (changeRate = 0, changeSeed = 0) => [...syntheticNationalLines({ seed: 5, lines: LINES, changeRate, changeSeed })].join('\n') + '\n';
const QUERIES = ['dupont', 'mar', 'bordeaux', 'jean dup', 'medecin general', '10001', 'zzqx', 'pharmacie lyon', 'ab'];

describe('search index built beside a first load', () => {
  const folder = mkdtempSync(join(tmpdir(), 'passerelle-side-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const answers = (dir: Directory) => QUERIES.map((q) => dir.search(q, 20));
  const sound = (dir: Directory) => dir.sqlite.prepare(`INSERT INTO directory_search (directory_search, rank) VALUES ('integrity-check', 0)`).run();

  for (const [name, builder] of [['on the caller\'s thread', inThreadSearchSide], ['on a worker thread', threadedSearchSide]] as const) {
    it(`${name}: the same answers as the index built in the import, then through re-imports on the same connection`, async () => {
      const plain = Directory.open(join(folder, `${name}-plain.db`), CONFIG);
      const side = Directory.open(join(folder, `${name}-side.db`), CONFIG, { searchSide: builder });
      try {
        const file = 'Extraction_Correspondance_MSSante_202611010300.txt';
        const a = await plain.importNational(chunksOf(text(), 65_536), { fileName: file });
        const b = await side.importNational(chunksOf(text(), 65_536), { fileName: file });
        expect(b.inserted).toBe(a.inserted);
        expect(existsSync(`${side.sqlite.name}.search-side`)).toBe(false);
        expect(side.sqlite.prepare(`SELECT count(*) FROM directory_search_docsize`).pluck().get()).toBe(a.inserted);
        sound(side);
        // The address book's own settings kept (the migration's 16 MB term table), not the side table's.
        const hashsize = (d: Directory) => d.sqlite.prepare(`SELECT v FROM directory_search_config WHERE k = 'hashsize'`).pluck().get();
        expect(hashsize(side)).toBe(16 * 1024 * 1024);
        expect(hashsize(side)).toBe(hashsize(plain));
        // Every setting the address book's own (migration 0005: its segments merged eight at a
        // time), which the side table was built with, so that its next writes do not merge it again.
        const config = (d: Directory) => d.sqlite.prepare(`SELECT k, v FROM directory_search_config ORDER BY k`).raw().all() as Array<[string, unknown]>;
        expect(config(side)).toEqual(config(plain));
        expect(config(side)).toContainEqual(['automerge', SIDE_AUTOMERGE]);
        expect(answers(side)).toEqual(answers(plain));
        expect(answers(side).filter((r) => r.length > 0).length).toBeGreaterThanOrEqual(5); // not only misses
        // The same connection writes the index next: 5 % of the lines changed, some gone, some new.
        for (const [k, d] of [plain, side].entries()) {
          void k;
          await d.importNational(chunksOf(text(0.05, 2), 65_536), { fileName: 'Extraction_Correspondance_MSSante_202611020300.txt' });
        }
        sound(side);
        expect(answers(side)).toEqual(answers(plain));
        expect(side.sqlite.prepare(`SELECT count(*) FROM directory_search_docsize`).pluck().get())
          .toBe(plain.sqlite.prepare(`SELECT count(*) FROM directory_search_docsize`).pluck().get());
      } finally {
        plain.close();
        side.close();
      }
    });
  }

  it('a first load that fails leaves neither rows nor index nor side file, and the next load builds beside again', async () => {
    const dir = Directory.open(join(folder, 'failing.db'), CONFIG, { searchSide: threadedSearchSide });
    try {
      // The upload cut after 25,000 lines: a batch has gone to the side build by then.
      const all = new TextEncoder().encode(text());
      const cut = all.indexOf(10, Math.floor((all.length * 25) / 30));
      async function* upload() {
        for (let i = 0; i < cut; i += 65_536) yield all.subarray(i, Math.min(cut, i + 65_536));
        throw new Error('connection reset');
      }
      await expect(dir.importNational(upload(), { fileName: 'Extraction_Correspondance_MSSante_202611010300.txt' })).rejects.toThrow('connection reset');
      expect(existsSync(`${dir.sqlite.name}.search-side`)).toBe(false);
      expect(dir.sqlite.prepare(`SELECT count(*) FROM directory_mailboxes`).pluck().get()).toBe(0);
      expect(dir.sqlite.prepare(`SELECT count(*) FROM directory_search_docsize`).pluck().get()).toBe(0);
      const r = await dir.importNational(chunksOf(text(), 65_536), { fileName: 'Extraction_Correspondance_MSSante_202611010300.txt' });
      expect(r.inserted).toBe(LINES);
      sound(dir);
      expect(dir.search('mar').length).toBeGreaterThan(0);
    } finally {
      dir.close();
    }
  });
});
