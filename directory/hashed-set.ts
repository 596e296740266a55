/**
 * Sets of strings held as two independent 53-bit hashes each, in one open-addressing table
 * of a `Float64Array`: 16 bytes a member (32 at the table's lowest fill) instead of a string
 * and a hash-table entry. An import holds every address and alias of the directory in such
 * sets (a million of each for the national extraction). Two different strings taken for one
 * happens with probability about n² / 2^107: never, at any directory's size.
 *
 * @example
 * const aliases = new HashedSet();
 * aliases.add('jean.dupont.med'); aliases.has('jean.dupont.med'); // true
 */
import { hash53 } from './hash53.js';

const SEED = 0x9e3779b9;
/** A slot's first hash when the slot is empty / its member was deleted (hashes are ≥ 0). */
const EMPTY = -1;
const DELETED = -2;

export class HashedSet {
  private table: Float64Array;
  private mask: number;
  private used = 0;
  private count = 0;

  constructor(capacity = 1024) {
    let slots = 1024;
    while (slots < capacity * 2) slots *= 2;
    this.table = new Float64Array(slots * 2).fill(EMPTY);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  has(s: string): boolean {
    return this.find(hash53(s), hash53(s, SEED)) >= 0;
  }

  /** Adds `s`; true when it was already there (so a caller can tell a duplicate in one call). */
  add(s: string): boolean {
    const h1 = hash53(s);
    const h2 = hash53(s, SEED);
    if (this.find(h1, h2) >= 0) return true;
    if ((this.used + 1) * 2 > this.mask + 1) this.grow();
    this.put(h1, h2);
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
    this.table = new Float64Array(2048).fill(EMPTY);
    this.mask = 1023;
    this.used = 0;
    this.count = 0;
  }

  private find(h1: number, h2: number): number {
    const t = this.table;
    for (let i = h1 % (this.mask + 1); ; i = (i + 1) & this.mask) {
      const a = t[i * 2];
      if (a === EMPTY) return -1;
      if (a === h1 && t[i * 2 + 1] === h2) return i * 2;
    }
  }

  private put(h1: number, h2: number): void {
    const t = this.table;
    let i = h1 % (this.mask + 1);
    while (t[i * 2] !== EMPTY) i = (i + 1) & this.mask;
    t[i * 2] = h1;
    t[i * 2 + 1] = h2;
    this.used++;
  }

  private grow(): void {
    const old = this.table;
    const slots = this.count * 4 > this.mask + 1 ? (this.mask + 1) * 2 : this.mask + 1;
    this.table = new Float64Array(slots * 2).fill(EMPTY);
    this.mask = slots - 1;
    this.used = 0;
    for (let k = 0; k < old.length; k += 2) if (old[k] >= 0) this.put(old[k], old[k + 1]);
  }
}
