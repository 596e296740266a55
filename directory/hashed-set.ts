/**
 * Sets and maps keyed by strings held as two independent 53-bit hashes each, in one
 * open-addressing table of a `Float64Array` (hash, hash, value): 24 bytes a member (48 at
 * the table's lowest fill) instead of a string and a hash-table entry. An import holds every
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

const SEED = 0x9e3779b9;
/** A slot's first hash when the slot is empty / its member was deleted (hashes are ≥ 0). */
const EMPTY = -1;
const DELETED = -2;

/** String → number, as hashes. */
export class HashedMap {
  private table!: Float64Array;
  private mask = 0;
  private used = 0;
  private count = 0;

  constructor(capacity = 1024) {
    let slots = 1024;
    while (slots < capacity * 2) slots *= 2;
    this.reset(slots);
  }

  get size(): number {
    return this.count;
  }

  get(s: string): number | undefined {
    const at = this.find(hash53(s), hash53(s, SEED));
    return at < 0 ? undefined : this.table[at + 2];
  }

  has(s: string): boolean {
    return this.find(hash53(s), hash53(s, SEED)) >= 0;
  }

  /** Sets `s` to `value`; true when `s` was already there (its value replaced). */
  set(s: string, value: number): boolean {
    const h1 = hash53(s);
    const h2 = hash53(s, SEED);
    const at = this.find(h1, h2);
    if (at >= 0) {
      this.table[at + 2] = value;
      return true;
    }
    if ((this.used + 1) * 2 > this.mask + 1) this.grow();
    this.put(h1, h2, value);
    this.count++;
    return false;
  }

  delete(s: string): boolean {
    const at = this.find(hash53(s), hash53(s, SEED));
    if (at < 0) return false;
    this.table[at] = DELETED; // a tombstone: probes go on past it
    this.count--;
    return true;
  }

  clear(): void {
    this.reset(1024);
  }

  private reset(slots: number): void {
    this.table = new Float64Array(slots * 3).fill(EMPTY);
    this.mask = slots - 1;
    this.used = 0;
    this.count = 0;
  }

  private find(h1: number, h2: number): number {
    const t = this.table;
    for (let i = h1 % (this.mask + 1); ; i = (i + 1) & this.mask) {
      const a = t[i * 3];
      if (a === EMPTY) return -1;
      if (a === h1 && t[i * 3 + 1] === h2) return i * 3;
    }
  }

  private put(h1: number, h2: number, value: number): void {
    const t = this.table;
    let i = h1 % (this.mask + 1);
    while (t[i * 3] !== EMPTY) i = (i + 1) & this.mask;
    t[i * 3] = h1;
    t[i * 3 + 1] = h2;
    t[i * 3 + 2] = value;
    this.used++;
  }

  private grow(): void {
    const old = this.table;
    const count = this.count;
    this.reset(count * 4 > this.mask + 1 ? (this.mask + 1) * 2 : this.mask + 1);
    for (let k = 0; k < old.length; k += 3) if (old[k] >= 0) this.put(old[k], old[k + 1], old[k + 2]);
    this.count = count;
  }
}

/** A set of strings, as hashes. */
export class HashedSet {
  private readonly map: HashedMap;

  constructor(capacity?: number) {
    this.map = new HashedMap(capacity);
  }

  get size(): number {
    return this.map.size;
  }

  has(s: string): boolean {
    return this.map.has(s);
  }

  /** Adds `s`; true when it was already there (so a caller can tell a duplicate in one call). */
  add(s: string): boolean {
    return this.map.set(s, 1);
  }

  delete(s: string): boolean {
    return this.map.delete(s);
  }

  clear(): void {
    this.map.clear();
  }
}
