import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../../storage/sqlite/directory.js';
import type { DirectoryStore } from '../../core/ports/directory-store.js';
import { chunksOf } from '../../directory/line-reader.js';
import { sharedPath } from '../support/shared-path.js';
import { legacyBytes, nationalText } from './lines.js';

export { legacyBytes, nationalText, perLine } from './lines.js';

export const SAMPLE_PATH = sharedPath('national', 'directory', 'sample-extraction.txt');
export const SAMPLE = readFileSync(SAMPLE_PATH, 'utf8');
export const SAMPLE_LINES = SAMPLE.split(/\r?\n/).filter((l) => l.length > 0);
export const CONFIG = { legacyDomain: 'lnp.test', nationalDomain: 'passerelle.mssante.test', reservedLocals: ['passerelle'] };

/** A directory on a fresh SQLite file in a temp folder. */
export function tempDirectory(): { dir: Directory; folder: string; cleanup: () => void } {
  const folder = mkdtempSync(join(tmpdir(), 'passerelle-dir-'));
  const dir = Directory.open(join(folder, 'db.sqlite'), CONFIG);
  return {
    dir,
    folder,
    cleanup: () => {
      dir.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Every line of `readLines`' batches, in order. */
export async function collectLines(it: AsyncIterable<string[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

export function importNational(dir: Pick<DirectoryStore, 'importNational'>, lines: string[], fileName?: string) {
  return dir.importNational(chunksOf(nationalText(lines), 97), { fileName });
}

export function importLegacy(dir: Pick<DirectoryStore, 'importLegacy'>, lines: string[], fileName?: string) {
  return dir.importLegacy(chunksOf(legacyBytes(lines), 53), { fileName });
}


export function exportText(dir: Directory, feed: 'interop' | 'operator', mode: 'full' | 'diff', commit = true): { bytes: Uint8Array; count: number } {
  const parts: Uint8Array[] = [];
  const s = dir.exportFeed(feed, mode, (c) => parts.push(c));
  if (commit) dir.commitExport(s);
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return { bytes, count: s.count };
}
