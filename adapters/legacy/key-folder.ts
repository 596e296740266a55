/**
 * Node edge: the gateway's key folder (one `OWNER.YY` file per key, SPEC §2).
 *
 * Files named `README*` and dot-files are ignored; any other file must be a valid key file.
 * A key file readable or writable by group or others is loaded but reported
 * (`KEY_FILE_READABLE_BY_OTHERS`, `warning: true`): key files are secrets.
 */
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KeyStore, type KeyProblem } from './key-store.js';
import { KEY_FILE_SIZE, MASTER_OWNER, encodeKeyFile, keyFileName, makeKeyFile, parseKeyFileName } from './key-file.js';
import type { LegacyError } from './legacy-error.js';

/** Text of the notice written beside generated test keys. */
export const TEST_KEYS_NOTICE = [
  'THESE ARE GENERATED TEST KEYS.',
  '',
  'Every key file in this folder was generated at random by `passerelle keys generate-test`',
  '(writeTestKeyFolder). They are not keys of the legacy network: they open nothing real and',
  'must never be used with real patient data or installed on a production gateway.',
  '',
].join('\n');

function ignored(name: string): boolean {
  return name.startsWith('.') || /^README/i.test(name);
}

/**
 * Load every key of a folder. Bad files are left out and listed in `problems`; `files` are
 * the names examined (sorted).
 *
 * @example
 * const { store, problems } = await loadKeyFolder('/etc/passerelle/keys');
 */
export async function loadKeyFolder(dir: string): Promise<{ store: KeyStore; problems: KeyProblem[]; files: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => !ignored(e.name) && (e.isFile() || e.isSymbolicLink())).map((e) => e.name).sort();
  const files: { name: string; bytes: Uint8Array }[] = [];
  const early: KeyProblem[] = [];
  const warnings: KeyProblem[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      parseKeyFileName(name);
    } catch (err) {
      early.push({ file: name, code: (err as LegacyError).code, message: (err as LegacyError).reason });
      continue;
    }
    try {
      const st = await stat(path);
      if (!st.isFile()) continue;
      if (st.size !== KEY_FILE_SIZE) {
        // Do not read files of the wrong size (could be anything, could be large).
        early.push({ file: name, code: 'BAD_KEY_SIZE', message: `${name}: key file is ${st.size} bytes, expected ${KEY_FILE_SIZE}` });
        continue;
      }
      if (process.platform !== 'win32' && (st.mode & 0o066) !== 0) {
        warnings.push({
          file: name,
          code: 'KEY_FILE_READABLE_BY_OTHERS',
          message: `${name}: mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets group or others access a secret key (chmod 600)`,
          warning: true,
        });
      }
      files.push({ name, bytes: new Uint8Array(await readFile(path)) });
    } catch (err) {
      early.push({ file: name, code: 'KEY_FILE_UNREADABLE', message: `${name}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  }
  const { store, problems } = KeyStore.fromFiles(files);
  for (const f of files) f.bytes.fill(0);
  const sorted = [...early, ...problems, ...warnings].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { store, problems: sorted, files: names };
}

/**
 * Write random test keys (mode 0600) for `Master` and each owner for each year, plus a
 * `README-TEST-KEYS.txt` saying they are generated test keys. Never overwrites a file.
 *
 * @example
 * await writeTestKeyFolder(tmp, ['passerelle', 'cab.dupuis'], [2025, 2026]);
 */
export async function writeTestKeyFolder(dir: string, owners: string[], years: number[]): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  const all = [MASTER_OWNER, ...owners.filter((o) => o !== MASTER_OWNER)];
  for (const year of years) {
    for (const owner of [...new Set(all)]) {
      const key = makeKeyFile(owner, year, randomBytes(4).readUInt32BE(0), new Uint8Array(randomBytes(32)));
      const name = keyFileName(owner, year);
      const path = join(dir, name);
      await writeFile(path, encodeKeyFile(key), { mode: 0o600, flag: 'wx' });
      await chmod(path, 0o600);
      written.push(name);
    }
  }
  await writeFile(join(dir, 'README-TEST-KEYS.txt'), TEST_KEYS_NOTICE, { mode: 0o644 });
  return written;
}
