/**
 * A set of strings held as two independent 53-bit hashes each, in one open-addressing table
 * of a `Float64Array`: 16 bytes a member (twice that at the table's lowest fill) instead of
 * a string and a hash-table entry; and `KeySlots`, slot numbers found by such hashes. An
 * import holds every address and alias of the directory in them (a million of each for the
 * national extraction). Two different strings taken for one happens with probability about
 * n² / 2^107: never, at any directory's size.
 *
 * @example
 * const aliases = new HashedSet();
 * aliases.add('jean.dupont.med'); aliases.has('jean.dupont.med'); // true
 */
import { hash53Pair } from './hash53.js';

/** The seed of a key's second hash. */
export const KEY_SEED = 0x9e3779b9;

/**
 * The two hashes a table holds for `s` (written to `out`): what a saved copy of a table's
 * keys stores instead of the strings (`KeySlots`).
 */
export function keyHashes(s: string, out: Float64Array): void {
  hash53Pair(s, KEY_SEED, out);
}
/** `HashedSet.hash`'s scratch for `hash53Pair`. */
const pair = new Float64Array(2);
/** A slot's first hash when the slot is empty / its member was deleted (hashes are ≥ 0). */
const EMPTY = -1;
const DELETED = -2;

/**
 * A set of strings, as hashes: two numbers a slot (the two hashes), linear probing, filled to
 * at most three quarters.
 */
export class HashedSet {
  private table!: Float64Array;
  private mask = 0;
  private used = 0;
  private count = 0;

  constructor(capacity = 1024) {
    this.reset(HashedSet.slotsFor(capacity));
  }

  has(s: string): boolean {
    return this.at(s) >= 0;
  }

  /** Adds `s`; true when it was already there (so a caller can tell a duplicate in one call). */
  add(s: string): boolean {
    this.hash(s);
    return this.addKey(this.h1, this.h2);
  }

  /**
   * `add` for a string whose two hashes the caller already has (`keyHashes`: the same two a
   * member's are), so that it is not hashed again; true when it was already there.
   */
  addKey(h1: number, h2: number): boolean {
    if (this.find(h1, h2) >= 0) return true;
    if ((this.used + 1) * 4 > (this.mask + 1) * 3) this.grow();
    this.count++;
    this.put(h1, h2);
    return false;
  }

  delete(s: string): boolean {
    const at = this.at(s);
    if (at < 0) return false;
    this.table[at] = DELETED; // a tombstone: probes go on past it
    this.count--;
    return true;
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
    hash53Pair(s, KEY_SEED, pair);
    this.h1 = pair[0]!;
    this.h2 = pair[1]!;
  }

  /** Where `s` is (its first number's index), or -1. */
  private at(s: string): number {
    this.hash(s);
    return this.find(this.h1, this.h2);
  }

  private reset(slots: number): void {
    this.table = new Float64Array(slots * 2).fill(EMPTY);
    this.mask = slots - 1;
    this.used = 0;
    this.count = 0;
  }

  /** Where the key of hashes `h1`, `h2` is (its first number's index), or -1. */
  private find(h1: number, h2: number): number {
    const t = this.table;
    for (let i = h1 & this.mask; ; i = (i + 1) & this.mask) {
      const a = t[i * 2];
      if (a === EMPTY) return -1;
      if (a === h1 && t[i * 2 + 1] === h2) return i * 2;
    }
  }

  private put(h1: number, h2: number): void {
    const t = this.table;
    let i = h1 & this.mask; // the low bits (ToInt32 keeps the low 32 of the 53)
    while (t[i * 2] !== EMPTY) i = (i + 1) & this.mask;
    t[i * 2] = h1;
    t[i * 2 + 1] = h2;
    this.used++;
  }

  private grow(): void {
    const old = this.table;
    const count = this.count;
    // Twice the slots when the members fill half; the same count when tombstones were the most.
    this.reset(count * 2 > this.mask + 1 ? (this.mask + 1) * 2 : this.mask + 1);
    for (let k = 0; k < old.length; k += 2) {
      if (old[k] < 0) continue;
      this.put(old[k]!, old[k + 1]!);
    }
    this.count = count;
  }
}

/**
 * Slots 0, 1, 2… found by two key hashes (`keyHashes`) that the caller keeps in its own
 * array (`stride` numbers a slot, the two hashes first): an open-addressing table of 4-byte
 * slot numbers, at most half full. A million keys take 8 MB of table (a table holding the hashes themselves would take 48), a
 * lookup reads one table entry and the caller's hashes of the slots it probes. Keys are added,
 * never removed; each is added once.
 *
 * @example
 * const keys = new Float64Array(2), h = new Float64Array(2);
 * keyHashes('a@b.fr', keys);
 * const slots = new KeySlots(1, keys, 2);
 * keyHashes('a@b.fr', h);
 * slots.add(0); slots.find(h[0], h[1]); // 0
 */
export class KeySlots {
  /** Slot + 1 at each place, 0 where empty. */
  private table: Int32Array;
  private mask: number;

  constructor(
    capacity: number,
    private readonly keys: Float64Array,
    private readonly stride: number,
  ) {
    let places = 1024;
    while (places < capacity * 2) places *= 2;
    this.table = new Int32Array(places);
    this.mask = places - 1;
  }

  /** Makes `slot` findable by the hashes the caller's arrays hold for it. */
  add(slot: number): void {
    const t = this.table;
    let i = this.keys[slot * this.stride]! & this.mask; // the low bits (ToInt32 keeps the low 32 of the 53)
    while (t[i] !== 0) i = (i + 1) & this.mask;
    t[i] = slot + 1;
  }

  /** The slot whose hashes are `h1`, `h2`, or -1. */
  find(h1: number, h2: number): number {
    const { table: t, keys, stride } = this;
    for (let i = h1 & this.mask; ; i = (i + 1) & this.mask) {
      const s = t[i]!;
      if (s === 0) return -1;
      const k = (s - 1) * stride;
      if (keys[k] === h1 && keys[k + 1] === h2) return s - 1;
    }
  }

  /** Frees the table (nothing is found afterwards). */
  clear(): void {
    this.table = new Int32Array(1);
    this.mask = 0;
  }
}
