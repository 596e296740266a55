/**
 * The set of LNP/1 keys the gateway holds, and the sealing keys derived from them
 * (SPEC §3): K = HKDF-SHA256(master(Y) || user(H, Y), salt "LNP/1", info "seal|H|Y", 32).
 *
 * Derived keys are non-extractable WebCrypto AES-GCM keys, cached per holder and year (the
 * derivation is on the hot path: every message opened or sealed).
 */
import { LegacyError, type LegacyErrorCode } from './legacy-error.js';
import { MASTER_OWNER, keyFileName, parseKeyFile, type KeyFile } from './key-file.js';

/** How long the keys of the previous year still open payloads (SPEC §3). */
export const PREVIOUS_YEAR_GRACE_DAYS = 90;

const SALT = new TextEncoder().encode('LNP/1');
const DAY_MS = 86_400_000;

/** A key file that could not be loaded, and why (never its content). */
export interface KeyProblem {
  file: string;
  code: LegacyErrorCode;
  message: string;
  /** Set when the key was loaded all the same (e.g. file permissions too open). */
  warning?: boolean;
}

/**
 * @example
 * const { store, problems } = KeyStore.fromFiles([{ name: 'Master.126', bytes }, …]);
 * const k = await store.sealKey('passerelle', 2026); // CryptoKey (AES-256-GCM)
 * store.assertCanOpen(2025, new Date('2026-02-01')); // ok: first 90 days of 2026
 */
export class KeyStore {
  readonly #keys = new Map<string, KeyFile>();
  readonly #derived = new Map<string, Promise<CryptoKey>>();
  #revision = 0;

  constructor(keys: Iterable<KeyFile> = []) {
    for (const k of keys) this.add(k);
  }

  /**
   * Build a store from key files; files that fail a check are left out and listed in
   * `problems` with their error code.
   *
   * @example
   * const { store, problems } = KeyStore.fromFiles(files);
   * for (const p of problems) log.warn(`${p.file}: ${p.code}`);
   */
  static fromFiles(files: { name: string; bytes: Uint8Array }[]): { store: KeyStore; problems: KeyProblem[] } {
    const store = new KeyStore();
    const problems: KeyProblem[] = [];
    for (const f of files) {
      try {
        const k = parseKeyFile(f.name, f.bytes);
        if (store.has(k.owner, k.year)) {
          problems.push({ file: f.name, code: 'DUPLICATE_KEY', message: `a key for ${keyFileName(k.owner, k.year)} is already loaded; this one is ignored` });
          continue;
        }
        store.add(k);
      } catch (err) {
        if (!(err instanceof LegacyError)) throw err;
        problems.push({ file: f.name, code: err.code, message: err.reason });
      }
    }
    return { store, problems };
  }

  /** Add (or replace) a key. Clears derived keys that depended on it. */
  add(k: KeyFile): void {
    this.#keys.set(slot(k.owner, k.year), k);
    this.#revision++;
    for (const id of [...this.#derived.keys()]) {
      if (id.endsWith(`|${k.year}`)) this.#derived.delete(id);
    }
  }

  /**
   * Take the keys of `other` that this store lacks or holds in another version (a key file
   * replaced): the folder read again while the gateway runs. Keys this store holds and `other`
   * does not are kept (a file removed by mistake does not stop the gateway). Resolves to the
   * names of the key files taken (no secrets).
   *
   * @example
   * const { store: fresh } = await loadKeyFolder(dir);
   * keys.adopt(fresh); // ['passerelle.127']
   */
  adopt(other: KeyStore): string[] {
    const taken: string[] = [];
    for (const [id, k] of other.#keys) {
      const cur = this.#keys.get(id);
      if (cur && cur.serial === k.serial && sameBytes(cur.secret, k.secret)) continue;
      this.add(k);
      taken.push(keyFileName(k.owner, k.year));
    }
    return taken.sort();
  }

  /**
   * Counts the keys added or replaced: a copy of this store kept elsewhere (a worker thread's)
   * is current while it was taken at the same revision.
   */
  get revision(): number {
    return this.#revision;
  }

  /**
   * The keys held, secrets included, for a copy of this store on another thread of the same
   * process (`new KeyStore(files.map(…makeKeyFile))` there). Never for logs or disk.
   */
  keyFiles(): KeyFile[] {
    return [...this.#keys.values()];
  }

  /** Is the key of `owner` (a LOCAL or `Master`) for `year` held? */
  has(owner: string, year: number): boolean {
    return this.#keys.has(slot(owner, year));
  }

  /** The years of the keys held, ascending. */
  years(): number[] {
    return [...new Set([...this.#keys.values()].map((k) => k.year))].sort((a, b) => a - b);
  }

  /** The owners (LOCALs and `Master`) holding a key for `year`. */
  owners(year: number): string[] {
    return [...this.#keys.values()].filter((k) => k.year === year).map((k) => k.owner).sort();
  }

  /** Owner, year and serial of every key held (no secrets). */
  list(): { owner: string; year: number; serial: number }[] {
    return [...this.#keys.values()].map((k) => ({ owner: k.owner, year: k.year, serial: k.serial }));
  }

  /**
   * The AES-256-GCM key sealing payloads held by `holder` in `year`.
   * Throws `NO_KEY_FOR_YEAR` without the Master key of that year, `NO_KEY_FOR_HOLDER`
   * without the holder's key.
   *
   * @example
   * const key = await store.sealKey('dr.alice.martin', 2026);
   */
  sealKey(holder: string, year: number): Promise<CryptoKey> {
    const id = `${holder}|${year}`;
    let p = this.#derived.get(id);
    if (!p) {
      p = this.#derive(holder, year);
      this.#derived.set(id, p);
      p.catch(() => this.#derived.delete(id));
    }
    return p;
  }

  /**
   * Throws `NO_KEY_FOR_YEAR` unless payloads of `year` may be opened at `now`: the keys of
   * that year are held and, for the previous year, only during the first 90 days of the
   * new year; older years never.
   *
   * @example
   * store.assertCanOpen(2025, new Date('2026-04-02T00:00:00Z')); // throws NO_KEY_FOR_YEAR
   */
  assertCanOpen(year: number, now: Date): void {
    if (!this.has(MASTER_OWNER, year)) {
      throw new LegacyError('NO_KEY_FOR_YEAR', `no key of year ${year} is held`);
    }
    const current = now.getUTCFullYear();
    if (year >= current) return;
    if (year === current - 1 && now.getTime() - Date.UTC(current, 0, 1) < PREVIOUS_YEAR_GRACE_DAYS * DAY_MS) return;
    throw new LegacyError('NO_KEY_FOR_YEAR', `keys of year ${year} no longer open payloads (${PREVIOUS_YEAR_GRACE_DAYS}-day grace period over)`);
  }

  async #derive(holder: string, year: number): Promise<CryptoKey> {
    const master = this.#keys.get(slot(MASTER_OWNER, year));
    if (!master) throw new LegacyError('NO_KEY_FOR_YEAR', `no Master key of year ${year} is held`);
    const user = this.#keys.get(slot(holder, year));
    if (!user) throw new LegacyError('NO_KEY_FOR_HOLDER', `no key of year ${year} is held for holder ${holder}`);
    const ikm = new Uint8Array(master.secret.length + user.secret.length);
    ikm.set(master.secret, 0);
    ikm.set(user.secret, master.secret.length);
    const base = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveKey']);
    ikm.fill(0);
    const info = new TextEncoder().encode(`seal|${holder}|${year}`);
    return crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: SALT, info },
      base,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
  }
}

function slot(owner: string, year: number): string {
  return `${owner}|${year}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let d = 0;
  for (let i = 0; i < a.byteLength; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
