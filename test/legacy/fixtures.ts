/** Test helpers: the LNP/1 vectors of `test/fixtures/legacy-network/`. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { KeyStore } from '../../adapters/legacy/key-store.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'legacy-network');
export const KEYS_DIR = join(FIXTURES, 'keys');
/** A date when the 2026 vectors are current (the mails are dated 23 Nov 2026). */
export const NOW = new Date('2026-11-23T03:30:00Z');

export function fixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

export function fixtureKeyFiles(): { name: string; bytes: Uint8Array }[] {
  return readdirSync(KEYS_DIR)
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(KEYS_DIR, name))) }));
}

export function fixtureStore(): KeyStore {
  const { store, problems } = KeyStore.fromFiles(fixtureKeyFiles());
  if (problems.length > 0) throw new Error(`fixture keys: ${problems.map((p) => p.code).join(', ')}`);
  return store;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export interface SealVector {
  name: string;
  holder: string;
  year: number;
  text: string;
  dests: string[];
  iv_hex: string;
  plaintext_hex: string;
  sealed_hex: string;
  armor: string;
}
