/** Key files, key store (HKDF, cache, 90-day rule) and the key folder (Node edge). */
import { chmod, copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeKeyFile, keyFileName, makeKeyFile, parseKeyFile, parseKeyFileName } from '../../adapters/legacy/key-file.js';
import { KeyStore } from '../../adapters/legacy/key-store.js';
import { loadKeyFolder, writeTestKeyFolder } from '../../adapters/legacy/key-folder.js';
import { LegacyError } from '../../adapters/legacy/legacy-error.js';
import { openPayload, sealPayload } from '../../adapters/legacy/seal.js';
import { KEYS_DIR, fixtureKeyFiles, fixtureStore, hex } from './fixtures.js';

const tmp: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lnp-keys-'));
  tmp.push(d);
  return d;
}
afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

describe('key files', () => {
  it('parses every fixture key and re-encodes it byte for byte', () => {
    for (const f of fixtureKeyFiles()) {
      const k = parseKeyFile(f.name, f.bytes);
      expect(keyFileName(k.owner, k.year)).toBe(f.name);
      expect(hex(encodeKeyFile(k))).toBe(hex(f.bytes));
    }
  });

  it('never shows the secret in toString, JSON or inspect', () => {
    const f = fixtureKeyFiles().find((x) => x.name === 'passerelle.126')!;
    const k = parseKeyFile(f.name, f.bytes);
    const secretHex = hex(k.secret);
    for (const s of [String(k), `${k}`, JSON.stringify(k), inspect(k), inspect({ k }), JSON.stringify({ k })]) {
      expect(s).not.toContain(secretHex);
      expect(s).not.toMatch(/secret/i);
    }
    expect(JSON.parse(JSON.stringify(k))).toEqual({ owner: 'passerelle', year: 2026, serial: k.serial });
    expect(k.secret.length).toBe(32);
  });

  it('rejects bad names with BAD_KEY_NAME', () => {
    for (const n of ['passerelle', 'passerelle.2026', 'Passerelle.126', 'README.txt', '.126', '-x.126']) {
      expect(() => parseKeyFileName(n)).toThrow(expect.objectContaining({ code: 'BAD_KEY_NAME' }));
    }
    expect(parseKeyFileName('dr.alice.martin.99')).toEqual({ owner: 'dr.alice.martin', year: 1999 });
  });

  it('error messages hold no key bytes', () => {
    const f = fixtureKeyFiles().find((x) => x.name === 'cab.dupuis.126')!;
    const bad = f.bytes.slice();
    bad[100] = 1;
    try {
      parseKeyFile('cab.dupuis.126', bad);
      expect.unreachable();
    } catch (err) {
      expect((err as LegacyError).code).toBe('BAD_KEY_RESERVED');
      expect((err as Error).message).not.toContain(hex(f.bytes.subarray(224)).slice(0, 8));
    }
  });
});

describe('KeyStore', () => {
  const store = fixtureStore();

  it('lists years and owners', () => {
    expect(store.years()).toEqual([2025, 2026]);
    expect(store.has('Master', 2026)).toBe(true);
    expect(store.has('passerelle', 2027)).toBe(false);
    expect(store.owners(2026)).toContain('labo.bio33');
  });

  it('caches derived keys per holder and year', async () => {
    const a = await store.sealKey('passerelle', 2026);
    const b = await store.sealKey('passerelle', 2026);
    const c = await store.sealKey('passerelle', 2025);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a.extractable).toBe(false);
  });

  it('distinguishes a missing year from a missing holder', async () => {
    await expect(store.sealKey('passerelle', 2027)).rejects.toMatchObject({ code: 'NO_KEY_FOR_YEAR' });
    await expect(store.sealKey('nobody', 2026)).rejects.toMatchObject({ code: 'NO_KEY_FOR_HOLDER' });
  });

  it('applies the 90-day rule for the previous year', () => {
    const ok = (y: number, d: string) => {
      try {
        store.assertCanOpen(y, new Date(d));
        return true;
      } catch (err) {
        expect((err as LegacyError).code).toBe('NO_KEY_FOR_YEAR');
        return false;
      }
    };
    expect(ok(2026, '2026-06-01T00:00:00Z')).toBe(true);
    expect(ok(2025, '2026-01-01T00:00:00Z')).toBe(true);
    expect(ok(2025, '2026-03-31T23:59:59Z')).toBe(true); // day 90
    expect(ok(2025, '2026-04-01T00:00:00Z')).toBe(false); // day 91
    expect(ok(2025, '2025-12-31T12:00:00Z')).toBe(true);
    expect(ok(2025, '2027-01-10T00:00:00Z')).toBe(false); // two years back
    expect(ok(2027, '2026-06-01T00:00:00Z')).toBe(false); // not held
  });

  it('refuses to open a previous-year payload after the grace period', async () => {
    const sealed = await sealPayload(store, 'cab.dupuis', 2025, new Uint8Array([1, 2, 3]));
    await expect(openPayload(store, sealed, { now: new Date('2026-02-01T00:00:00Z') })).resolves.toMatchObject({ year: 2025 });
    await expect(openPayload(store, sealed, { now: new Date('2026-05-01T00:00:00Z') })).rejects.toMatchObject({ code: 'NO_KEY_FOR_YEAR' });
  });

  it('detects a wrong holder and a wrong key', async () => {
    const sealed = await sealPayload(store, 'cab.dupuis', 2026, new Uint8Array([1, 2, 3]));
    const now = new Date('2026-06-01T00:00:00Z');
    await expect(openPayload(store, sealed, { now, expectedHolder: 'passerelle' })).rejects.toMatchObject({ code: 'HOLDER_MISMATCH' });
    // Same files, except another secret for cab.dupuis: authentication fails.
    const other = new KeyStore(fixtureKeyFiles().map((f) => parseKeyFile(f.name, f.bytes)));
    other.add(makeKeyFile('cab.dupuis', 2026, 1, new Uint8Array(32).fill(7)));
    await expect(openPayload(other, sealed, { now })).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await expect(openPayload(store, sealed.subarray(0, 20), { now })).rejects.toMatchObject({ code: 'BAD_SEAL_FORMAT' });
  });
});

describe('key folder', () => {
  it('loads good keys and reports each bad file with its own code', async () => {
    const dir = await tempDir();
    for (const n of await readdir(KEYS_DIR)) {
      await copyFile(join(KEYS_DIR, n), join(dir, n));
      await chmod(join(dir, n), 0o600);
    }
    const good = await readFile(join(KEYS_DIR, 'cab.dupuis.126'));
    await writeFile(join(dir, 'cab.dupont.126'), good, { mode: 0o600 }); // owner mismatch
    await writeFile(join(dir, 'labo.x.126'), good.subarray(0, 200), { mode: 0o600 }); // size
    const badMagic = Buffer.from(good);
    badMagic[0] = 0x58;
    await writeFile(join(dir, 'labo.y.126'), badMagic, { mode: 0o600 });
    await writeFile(join(dir, 'notes.bak'), 'hello', { mode: 0o600 }); // name
    await writeFile(join(dir, 'README.txt'), 'ignored');
    await chmod(join(dir, 'passerelle.125'), 0o644); // readable by others: loaded, warned

    const { store, problems, files } = await loadKeyFolder(dir);
    expect(files).not.toContain('README.txt');
    expect(store.has('passerelle', 2026)).toBe(true);
    expect(store.has('passerelle', 2025)).toBe(true);
    expect(store.list()).toHaveLength(10);
    const byFile = Object.fromEntries(problems.map((p) => [p.file, p.code]));
    expect(byFile).toEqual({
      'cab.dupont.126': 'KEY_OWNER_MISMATCH',
      'labo.x.126': 'BAD_KEY_SIZE',
      'labo.y.126': 'BAD_KEY_MAGIC',
      'notes.bak': 'BAD_KEY_NAME',
      'passerelle.125': 'KEY_FILE_READABLE_BY_OTHERS',
    });
    expect(problems.find((p) => p.file === 'passerelle.125')!.warning).toBe(true);
    for (const p of problems) expect(p.message).not.toMatch(/[0-9a-f]{16}/);
  });

  it('writes test keys (0600) with a notice, and they seal and open', async () => {
    const dir = join(await tempDir(), 'keys');
    const written = await writeTestKeyFolder(dir, ['passerelle', 'cab.dupuis'], [2025, 2026]);
    expect(written.sort()).toEqual(['Master.125', 'Master.126', 'cab.dupuis.125', 'cab.dupuis.126', 'passerelle.125', 'passerelle.126']);
    for (const n of written) expect((await stat(join(dir, n))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'README-TEST-KEYS.txt'), 'utf8')).toMatch(/GENERATED TEST KEYS/);
    const { store, problems } = await loadKeyFolder(dir);
    expect(problems).toEqual([]);
    const sealed = await sealPayload(store, 'cab.dupuis', 2026, new TextEncoder().encode('x'));
    const opened = await openPayload(store, sealed, { now: new Date('2026-05-01T00:00:00Z') });
    expect(new TextDecoder().decode(opened.plaintext)).toBe('x');
    await expect(writeTestKeyFolder(dir, ['passerelle'], [2026])).rejects.toThrow(/EEXIST/);
  });
});

describe('KeyStore.adopt (the key folder read again while running)', () => {
  it('takes the keys it lacks or holds in another version, keeps the others, names what it took', () => {
    const secret = (b: number) => new Uint8Array(32).fill(b);
    const live = new KeyStore([makeKeyFile('Master', 2026, 1, secret(1)), makeKeyFile('passerelle', 2026, 1, secret(2)), makeKeyFile('passerelle', 2025, 1, secret(3))]);
    const folder = new KeyStore([
      makeKeyFile('Master', 2026, 1, secret(1)), // the same: kept as it is
      makeKeyFile('passerelle', 2026, 2, secret(4)), // rotated: replaced
      makeKeyFile('Master', 2027, 1, secret(5)), makeKeyFile('passerelle', 2027, 1, secret(6)), // next year's: added
    ]);
    expect(live.adopt(folder)).toEqual(['Master.127', 'passerelle.126', 'passerelle.127']);
    expect(live.list().find((k) => k.owner === 'passerelle' && k.year === 2026)!.serial).toBe(2);
    expect(live.has('passerelle', 2025)).toBe(true); // gone from the folder: still held
    expect(live.adopt(folder)).toEqual([]);
  });
});
