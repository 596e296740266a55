import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../../storage/sqlite/directory.js';
import type { DirectoryStore } from '../../core/ports/directory-store.js';
import { chunksOf } from '../../directory/line-reader.js';
import { encodeLatin1 } from '../../directory/latin1.js';
import { LEGACY_HEADER } from '../../directory/legacy-format.js';
import { sharedPath } from '../support/shared-path.js';

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

/** A national extraction text from the sample's header and the given data lines. */
export function nationalText(lines: string[]): string {
  return [SAMPLE_LINES[0], ...lines].join('\n') + '\n';
}

export function importNational(dir: Pick<DirectoryStore, 'importNational'>, lines: string[], fileName?: string) {
  return dir.importNational(chunksOf(nationalText(lines), 97), { fileName });
}

/** A legacy annuaire in ISO-8859-1 with CRLF. */
export function legacyBytes(lines: string[]): Uint8Array {
  return encodeLatin1([LEGACY_HEADER, ...lines].join('\r\n') + '\r\n');
}

export function importLegacy(dir: Pick<DirectoryStore, 'importLegacy'>, lines: string[], fileName?: string) {
  return dir.importLegacy(chunksOf(legacyBytes(lines), 53), { fileName });
}

/** A national PER line with the sample's layout. */
export function perLine(o: { address: string; first: string; last: string; rpps?: string; adeli?: string; profession?: string; city?: string }): string {
  const idType = o.rpps ? '8' : '0';
  const id = o.rpps ?? o.adeli ?? '';
  const prof = o.profession ?? '10';
  const label = prof === '10' ? 'Médecin' : prof === '21' ? 'Pharmacien' : 'Infirmier';
  const cells = [
    'PER', o.address, idType, id, idType + id, '', '', '', 'DR', o.last, o.first, 'C', 'Civil', prof, label, '', '', 'O', '', '', '', '', '', '', '', '', '',
    o.city ? `33000 ${o.city}` : '', o.city ? '33000' : '', o.city ? '33' : '', 'France',
  ];
  return cells.join('|') + '|';
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
