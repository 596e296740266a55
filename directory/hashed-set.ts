/**
 * Sets and maps keyed by strings held as two independent 53-bit hashes each, in one
 * open-addressing table of a `Float64Array` (hash, hash, and for a map a value): 16 or 24
 * bytes a member (twice that at the table's lowest fill) instead of a string and a
 * hash-table entry. An import holds every
 * address and alias of the directory in them (a million of each for the national
 * extraction). Two different strings taken for one happens with probability about
 * n² / 2^107: never, at any directory's size.
 *
 * @example
 * const aliases = new HashedSet();
 * aliases.add('jean.dupont.med'); aliases.has('jean.dupont.med'); // true
 * const slots = new HashedMap();
 * slots.set('jean.dupont@medecin.mssante.fr', 7); slots.get('jean.dupont@medecin.mssante.fr'); // 7
 */
import { hash53 } from './hash53.js';

/** The seed of a key's second hash. */
export const KEY_SEED = 0x9e3779b9;

/**
 * The two hashes a table holds for `s` (written to `out`): what a saved copy of a table's
 * keys stores instead of the strings (`HashedMap.setHashed`, `HashedMap.forEachHashed`).
 */
export function keyHashes(s: string, out: Float64Array): void {
  out[0] = hash53(s);
  out[1] = hash53(s, KEY_SEED);
}
/** A slot's first hash when the slot is empty / its member was deleted (hashes are ≥ 0). */
const EMPTY = -1;
const DELETED = -2;

/**
 * The table both share: `stride` numbers a slot (the two hashes, then a value for a map),
 * linear probing, filled to at most three quarters.
 */
class HashTable {
  protected table!: Float64Array;
  private mask = 0;
  private used = 0;
  protected count = 0;

  constructor(
    private readonly stride: 2 | 3,
    capacity: number,
  ) {
    this.reset(HashTable.slotsFor(capacity));
  }

  private static slotsFor(n: number): number {
    let slots = 1024;
    while (slots * 3 < n * 4) slots *= 2;
    return slots;
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.reset(1024);
  }

  /** The last string hashed and its hashes: `has` then `add` of one alias hash it once. */
  private key: string | null = null;
  private h1 = 0;
  private h2 = 0;

  private hash(s: string): void {
    if (s === this.key) return;
    this.key = s;
    this.h1 = hash53(s);
    this.h2 = hash53(s, KEY_SEED);
  }

  /** Where `s` is (its first number's index), or -1. */
  protected at(s: string): number {
    this.hash(s);
    return this.find(this.h1, this.h2);
  }

  /** Adds `s` (absent) and returns its first number's index. */
  protected insert(s: string): number {
    this.hash(s);
    return this.insertHashed(this.h1, this.h2);
  }

  /** Adds the key of hashes `h1`, `h2` (absent) and returns its first number's index. */
  protected insertHashed(h1: number, h2: number): number {
    if ((this.used + 1) * 4 > (this.mask + 1) * 3) this.grow();
    this.count++;
    return this.put(h1, h2);
  }

  protected remove(at: number): void {
    this.table[at] = DELETED; // a tombstone: probes go on past it
    this.count--;
  }

  private reset(slots: number): void {
    this.table = new Float64Array(slots * this.stride).fill(EMPTY);
    this.mask = slots - 1;
    this.used = 0;
    this.count = 0;
  }

  /** Where the key of hashes `h1`, `h2` is (its first number's index), or -1. */
  protected find(h1: number, h2: number): number {
    const t = this.table;
    const w = this.stride;
    for (let i = h1 & this.mask; ; i = (i + 1) & this.mask) {
      const a = t[i * w];
      if (a === EMPTY) return -1;
      if (a === h1 && t[i * w + 1] === h2) return i * w;
    }
  }

  private put(h1: number, h2: number): number {
    const t = this.table;
    const w = this.stride;
    let i = h1 & this.mask; // the low bits (ToInt32 keeps the low 32 of the 53)
    while (t[i * w] !== EMPTY) i = (i + 1) & this.mask;
    t[i * w] = h1;
    t[i * w + 1] = h2;
    this.used++;
    return i * w;
  }

  private grow(): void {
    const old = this.table;
    const w = this.stride;
    const count = this.count;
    // Twice the slots when the members fill half; the same count when tombstones were the most.
    this.reset(count * 2 > this.mask + 1 ? (this.mask + 1) * 2 : this.mask + 1);
    for (let k = 0; k < old.length; k += w) {
      if (old[k] < 0) continue;
      const at = this.put(old[k], old[k + 1]);
      if (w === 3) this.table[at + 2] = old[k + 2];
    }
    this.count = count;
  }
}

/** String → number, as hashes. */
export class HashedMap extends HashTable {
  constructor(capacity = 1024) {
    super(3, capacity);
  }

  get(s: string): number | undefined {
    const at = this.at(s);
    return at < 0 ? undefined : this.table[at + 2];
  }

  has(s: string): boolean {
    return this.at(s) >= 0;
  }

  /** Sets `s` to `value`; true when `s` was already there (its value replaced). */
  set(s: string, value: number): boolean {
    const found = this.at(s);
    this.table[found >= 0 ? found + 2 : this.insert(s) + 2] = value;
    return found >= 0;
  }

  delete(s: string): boolean {
    const at = this.at(s);
    if (at >= 0) this.remove(at);
    return at >= 0;
  }

  /** Adds a key known by its hashes (`keyHashes`), absent from the map, with its value. */
  setHashed(h1: number, h2: number, value: number): void {
    this.table[this.insertHashed(h1, h2) + 2] = value;
  }

  /** The value of the key of hashes `h1`, `h2` (`keyHashes`), or undefined. */
  getHashed(h1: number, h2: number): number | undefined {
    const at = this.find(h1, h2);
    return at < 0 ? undefined : this.table[at + 2];
  }

  /** Every member as its hashes and value. */
  forEachHashed(fn: (h1: number, h2: number, value: number) => void): void {
    const t = this.table;
    for (let k = 0; k < t.length; k += 3) if (t[k]! >= 0) fn(t[k]!, t[k + 1]!, t[k + 2]!);
  }
}

/** A set of strings, as hashes. */
export class HashedSet extends HashTable {
  constructor(capacity = 1024) {
    super(2, capacity);
  }

  has(s: string): boolean {
    return this.at(s) >= 0;
  }

  /** Adds `s`; true when it was already there (so a caller can tell a duplicate in one call). */
  add(s: string): boolean {
    if (this.at(s) >= 0) return true;
    this.insert(s);
    return false;
  }

  delete(s: string): boolean {
    const at = this.at(s);
    if (at >= 0) this.remove(at);
    return at >= 0;
  }
}
