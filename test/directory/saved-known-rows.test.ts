/**
 * The saved copy of the known national mailboxes (`storage/sqlite/saved-known-rows.ts`): it
 * holds what the table holds after each national import, a re-import that reads it decides
 * exactly as one that reads the table, and a copy that is not the last import's is not used.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../../storage/sqlite/directory.js';
import { readSavedRows, savedRowsFile } from '../../storage/sqlite/saved-known-rows.js';
import { chunksOf } from '../../directory/line-reader.js';
import { syntheticNationalLines } from '../../directory/synthetic/generate.js';
import { keyHashes } from '../../directory/hashed-set.js';
import { SAVED_ROW_NUMBERS } from '../../directory/import-plan.js';
import { CONFIG } from './helpers.js';

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

const file = (day: number) => `Extraction_Correspondance_MSSante_202611${String(day).padStart(2, '0')}0300.txt`;
const extraction = (changeSeed?: number) =>
  [...syntheticNationalLines({ seed: 7, lines: 3000, ...(changeSeed !== undefined ? { changeRate: 0.08, changeSeed } : {}) })].join('\n') + '\n';
/** Day 1: the full file; day 2: 8 % changed; day 3: day 1 again (what day 2 removed comes back); day 4: changed otherwise. */
const FILES = [extraction(), extraction(2), extraction(), extraction(3)];

function open(): { dir: Directory; db: string } {
  const folder = mkdtempSync(join(tmpdir(), 'passerelle-saved-'));
  folders.push(folder);
  const db = join(folder, 'x.directory.db');
  return { dir: Directory.open(db, CONFIG), db };
}

const importDay = (dir: Directory, i: number) => dir.importNational(chunksOf(FILES[i]!, 4093), { fileName: file(i + 1) });
const sansTime = ({ elapsedMs: _e, ...r }: Record<string, unknown>) => r;
const table = (dir: Directory) =>
  dir.sqlite.prepare(`SELECT id, network, address, status, alias, display_name, party_key, record, line_hash, first_run, change_run FROM directory_mailboxes ORDER BY id`).raw().all();
const lastRun = (dir: Directory) => dir.sqlite.prepare(`SELECT max(id) FROM directory_imports WHERE finished_at IS NOT NULL`).pluck().get() as number;

describe('the saved copy of the known national mailboxes', () => {
  it('holds, after each import, every national mailbox of the table: address hashes, id, line hash, removed or not', async () => {
    const { dir, db } = open();
    for (let i = 0; i < FILES.length; i++) {
      await importDay(dir, i);
      const saved = readSavedRows(savedRowsFile(db), lastRun(dir));
      expect(saved, `the copy of import ${i + 1}`).not.toBeNull();
      const byId = new Map<number, number[]>();
      for (let k = 0; k < saved!.length; k += SAVED_ROW_NUMBERS) byId.set(saved![k + 2]!, [...saved!.subarray(k, k + SAVED_ROW_NUMBERS)]);
      const rows = dir.sqlite.prepare(`SELECT id, address, line_hash, status FROM directory_mailboxes WHERE network = 'mssante'`).raw().all() as [number, string, number, string][];
      expect(byId.size).toBe(rows.length);
      const h = new Float64Array(2);
      for (const [id, address, hash, status] of rows) {
        keyHashes(address, h);
        expect(byId.get(id)).toEqual([h[0], h[1], id, status === 'removed' ? -hash - 1 : hash]);
      }
      expect(rows.some(([, , , s]) => s === 'removed')).toBe(i > 0);
    }
    expect(readdirSync(join(db, '..')).filter((f) => f.endsWith('.tmp')), 'no copy left half-written').toEqual([]);
    dir.close();
  });

  it('a re-import that reads it decides as one that reads the table: same reports, same rows', async () => {
    const withCopy = open();
    const without = open();
    for (let i = 0; i < FILES.length; i++) {
      rmSync(savedRowsFile(without.db), { force: true });
      const a = await importDay(withCopy.dir, i);
      const b = await importDay(without.dir, i);
      expect(sansTime(a as unknown as Record<string, unknown>)).toEqual(sansTime(b as unknown as Record<string, unknown>));
      if (i > 0) expect(a.updated + a.removed + a.inserted).toBeGreaterThan(0);
    }
    expect(table(withCopy.dir)).toEqual(table(without.dir));
    withCopy.dir.close();
    without.dir.close();
  });

  it('lists the mailboxes in the order of the file that wrote it (the next file is read in that order), whatever order that file had', async () => {
    const { dir, db } = open();
    await importDay(dir, 0);
    // The same lines, the other way round: each one away from where the copy expects it.
    const [header, ...body] = FILES[0]!.trimEnd().split('\n');
    const reversed = [header, ...body.reverse()].join('\n') + '\n';
    const report = await dir.importNational(chunksOf(reversed, 4093), { fileName: file(2) });
    expect(report).toMatchObject({ unchanged: body.length, inserted: 0, updated: 0, removed: 0, rejected: 0 });
    const saved = readSavedRows(savedRowsFile(db), lastRun(dir))!;
    const idOf = new Map(dir.sqlite.prepare(`SELECT address, id FROM directory_mailboxes`).raw().all() as [string, number][]);
    const ids: number[] = [];
    for (let k = 0; k < saved.length; k += SAVED_ROW_NUMBERS) ids.push(saved[k + 2]!);
    expect(ids).toEqual(body.map((l) => idOf.get(l.split('|')[1]!.trim().toLowerCase())));
  });

  it('is not used when it is not the last finished import’s, nor when the import it belongs to failed', async () => {
    const { dir, db } = open();
    const reference = open();
    await importDay(dir, 0);
    await importDay(reference.dir, 0);
    const old = `${db}.day1`;
    copyFileSync(savedRowsFile(db), old);
    await importDay(dir, 1);
    await importDay(reference.dir, 1);
    // A copy from an earlier import (a restore, a copy of another date): read the table.
    copyFileSync(old, savedRowsFile(db));
    expect(readSavedRows(savedRowsFile(db), lastRun(dir))).toBeNull();
    // An import that fails half-way changes nothing, the last finished import's copy stays good.
    await importDay(dir, 2);
    await importDay(reference.dir, 2);
    const good = readSavedRows(savedRowsFile(db), lastRun(dir));
    expect(good).not.toBeNull();
    async function* failing() {
      yield new TextEncoder().encode(FILES[3]!.slice(0, 40_000));
      throw new Error('the upload was cut');
    }
    await expect(dir.importNational(failing(), { fileName: file(4) })).rejects.toThrow('the upload was cut');
    expect(readSavedRows(savedRowsFile(db), lastRun(dir))).toEqual(good);
    expect(readdirSync(join(db, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Refused before it began (an older file than the last one): no copy begun stays either.
    await expect(importDay(dir, 0)).rejects.toThrow(/older/i);
    expect(readdirSync(join(db, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const a = await importDay(dir, 3);
    const b = await importDay(reference.dir, 3);
    expect(sansTime(a as unknown as Record<string, unknown>)).toEqual({ ...sansTime(b as unknown as Record<string, unknown>), run: a.run });
    expect(table(dir).map((r) => (r as unknown[]).slice(0, 9))).toEqual(table(reference.dir).map((r) => (r as unknown[]).slice(0, 9)));
    expect(existsSync(savedRowsFile(db))).toBe(true);
    dir.close();
    reference.dir.close();
  });
});
