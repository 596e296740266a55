/** `passerelle keys check` and `passerelle keys generate-test`. */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { KEYS_DIR, fixtureKeyFiles, hex } from './fixtures.js';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => (out += t), err: (t) => (err += t), env: {} });
  return { code, out, err };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('passerelle keys', () => {
  it('generate-test then check: all OK, exit 0', async () => {
    const d = join(await mkdtemp(join(tmpdir(), 'lnp-cli-')), 'keys');
    dirs.push(d);
    const g = await run(['keys', 'generate-test', d, 'passerelle', 'cab.dupuis', '--years', '2026']);
    expect(g.code).toBe(0);
    expect(g.out).toMatch(/TEST key/);
    const c = await run(['keys', 'check', d]);
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/^passerelle\.126\s+owner=passerelle year=2026 serial=\d+\s+OK$/m);
    expect(c.out).not.toMatch(/README/);
  });

  it('check: reports a bad file with its code, never a secret, exit 1', async () => {
    const d = await mkdtemp(join(tmpdir(), 'lnp-cli-'));
    dirs.push(d);
    await copyFile(join(KEYS_DIR, 'passerelle.126'), join(d, 'passerelle.126'));
    await writeFile(join(d, 'cab.dupont.126'), await readFile(join(KEYS_DIR, 'cab.dupuis.126')), { mode: 0o600 });
    const c = await run(['keys', 'check', d]);
    expect(c.code).toBe(1);
    expect(c.out).toMatch(/^cab\.dupont\.126\s+owner=cab\.dupont year=2026\s+KEY_OWNER_MISMATCH\s+cab\.dupont\.126: owner field differs/m);
    expect(c.out).toMatch(/WARNING KEY_FILE_READABLE_BY_OTHERS/);
    for (const f of fixtureKeyFiles()) expect(c.out).not.toContain(hex(f.bytes.subarray(224)).slice(0, 12));
  });

  it('usage errors exit 2', async () => {
    expect((await run(['keys'])).code).toBe(2);
    expect((await run(['keys', 'generate-test', '/tmp/x'])).code).toBe(2);
    expect((await run(['keys', 'generate-test', '/tmp/x', 'Bad Name'])).code).toBe(2);
  });
});
