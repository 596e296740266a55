import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../app/cli/main.js';
import type { CommandIO } from '../../app/cli/command.js';

const folder = mkdtempSync(join(tmpdir(), 'passerelle-dir-cli-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), env: { PASSERELLE_DATABASE: join(folder, 'db.sqlite') } };
  const code = await main(['directory', ...args], io);
  return { code, out, err };
}

describe('passerelle directory', () => {
  it('generates, imports, resolves, searches, exports and reports', async () => {
    const nat = join(folder, 'Extraction_Correspondance_MSSante_202611010300.txt');
    const leg = join(folder, 'annuaire-20261101.csv');
    expect((await cli('generate', 'national', '--out', nat, '--lines', '3000', '--seed', '5')).code).toBe(0);
    expect((await cli('generate', 'legacy', '--out', leg, '--lines', '600', '--national-lines', '3000', '--seed', '5')).code).toBe(0);
    const i1 = await cli('import', 'national', nat);
    expect(i1.code).toBe(0);
    expect(i1.out).toMatch(/national import, run 1 .*3000 lines, 3000 new/);
    const i2 = await cli('import', 'legacy', leg, '--json');
    const rep = JSON.parse(i2.out);
    expect(rep).toMatchObject({ source: 'legacy', rejected: 0 });
    expect(rep.link.linked).toBeGreaterThan(100);

    const stats = JSON.parse((await cli('stats')).out);
    expect(stats.mailboxes.mssante.total).toBe(3000);
    const alias = JSON.parse((await cli('search', 'martin', '--json')).out)[0].mailboxes[0].alias as string;
    const res = await cli('resolve', alias);
    expect(res.code).toBe(0);
    expect(res.out).toContain('→');
    expect((await cli('resolve', 'nobody@interop.lnp.test')).code).toBe(1);

    const out = join(folder, 'interop.csv');
    const e = await cli('export', 'interop', '--out', out);
    expect(e.code).toBe(0);
    expect(existsSync(`${out}.part`)).toBe(false);
    expect(readFileSync(out, 'latin1').split('\r\n')).toHaveLength(3002);
    expect((await cli('export', 'interop', '--diff', '--out', out)).err).toMatch(/0 entries/);
    expect((await cli('import', 'national', join(folder, 'missing.txt'))).code).toBe(1);
    expect((await cli('bogus')).code).toBe(2);
  });
});
