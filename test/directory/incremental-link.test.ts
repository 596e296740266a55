/**
 * A national re-import links again only the legacy subscribers whose identifiers designate a
 * national mailbox it wrote (`keptLink`): the others keep their stored link. Checked against
 * the full pass, which a legacy re-import runs: after the national import, it changes
 * nothing and counts and reports exactly the same, in the same order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Directory } from '../../storage/sqlite/directory.js';
import { chunksOf } from '../../directory/line-reader.js';
import { syntheticLegacyLines, syntheticNationalLines } from '../../directory/synthetic/generate.js';
import { encodeLatin1 } from '../../directory/latin1.js';
import { hash53 } from '../../directory/hash53.js';
import { CONFIG } from './helpers.js';

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

const NATIONAL = [...syntheticNationalLines({ seed: 11, lines: 4000 })];
const LEGACY = encodeLatin1([...syntheticLegacyLines({ seed: 11, lines: 1200, nationalLines: 4000 })].join('\r\n') + '\r\n');

/**
 * The national file with a share of its lines changed in what links depend on: the last
 * name (an ambiguity appears), the person identifier (the party key moves), the line
 * dropped (removed, still counted by the links), or only the street (nothing for the links).
 */
function mutated(seed: number): string {
  const out = [NATIONAL[0]!];
  for (let i = 1; i < NATIONAL.length; i++) {
    const line = NATIONAL[i]!;
    const h = hash53(`${seed}:${i}`) % 100;
    const cells = line.split('|');
    if (h < 4) cells[9] = 'ZZLASTNAME';
    else if (h < 8 && cells[3]) {
      cells[3] = String(Number(cells[3]) + 7);
      cells[4] = cells[4] ? cells[2] + cells[3] : '';
    } else if (h < 10) continue;
    else if (h < 14) cells[12] = `${cells[12]}1`;
    out.push(cells.join('|'));
  }
  return out.join('\n') + '\n';
}

const ambiguities = (dir: Directory, run: number) =>
  (dir.sqlite.prepare(`SELECT address, detail FROM directory_issues WHERE run = ? AND kind = 'ambiguous-link' ORDER BY id`).raw().all(run) as string[][]).map((r) => r.join(' '));
const links = (dir: Directory) => dir.sqlite.prepare(`SELECT id, party_key, link_state, link_note FROM directory_mailboxes WHERE network = 'legacy' ORDER BY id`).raw().all();

describe('the link pass of a national re-import', () => {
  it('decides as the full pass: same links, same counts, same ambiguities', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'passerelle-link-'));
    folders.push(folder);
    const dir = Directory.open(join(folder, 'x.directory.db'), CONFIG);
    try {
      await dir.importNational(chunksOf(NATIONAL.join('\n') + '\n'), { fileName: 'Extraction_Correspondance_MSSante_202611010300.txt' });
      const first = await dir.importLegacy(chunksOf(LEGACY), { fileName: 'annuaire-20261101.csv' });
      expect(first.link.linked).toBeGreaterThan(100);
      expect(first.link.ambiguous).toBeGreaterThan(0);
      let changedLinks = 0;
      for (const [day, seed] of [[2, 1], [3, 2], [4, 3]] as const) {
        const nat = await dir.importNational(chunksOf(mutated(seed)), { fileName: `Extraction_Correspondance_MSSante_2026110${day}0300.txt` });
        changedLinks += nat.link.changed;
        const after = links(dir);
        const full = await dir.importLegacy(chunksOf(LEGACY), { fileName: `annuaire-2026110${day}.csv` });
        expect(full.updated + full.inserted + full.removed).toBe(0);
        expect(full.link, `day ${day}: the full pass changes nothing`).toEqual({ ...nat.link, changed: 0 });
        expect(links(dir)).toEqual(after);
        expect(ambiguities(dir, nat.run)).toEqual(ambiguities(dir, full.run));
      }
      expect(changedLinks, 'the national changes moved links').toBeGreaterThan(10);
    } finally {
      dir.close();
    }
  });
});
