import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { HashedSet, KeySlots, keyHashes } from '../../directory/hashed-set.js';

describe('HashedSet', () => {
  it('answers as a Set of strings through adds (by the string or by its key hashes), deletes and growth', () => {
    const key = new Float64Array(2);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('add', 'addKey', 'delete', 'has'), fc.string({ maxLength: 6 })), { maxLength: 3000 }), (ops) => {
        const h = new HashedSet(4);
        const s = new Set<string>();
        for (const [op, v] of ops) {
          if (op === 'add' || op === 'addKey') {
            keyHashes(v, key);
            expect(op === 'add' ? h.add(v) : h.addKey(key[0]!, key[1]!)).toBe(s.has(v));
            s.add(v);
          } else if (op === 'delete') expect(h.delete(v)).toBe(s.delete(v));
          else expect(h.has(v)).toBe(s.has(v));
          expect(h.size).toBe(s.size);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('holds a hundred thousand members, and forgets them when cleared', () => {
    const h = new HashedSet();
    for (let i = 0; i < 100_000; i++) h.add(`jean.dupont.${i}@medecin.mssante.fr`);
    expect(h.size).toBe(100_000);
    expect(h.has('jean.dupont.99999@medecin.mssante.fr')).toBe(true);
    expect(h.has('jean.dupont.100000@medecin.mssante.fr')).toBe(false);
    h.clear();
    expect(h.has('jean.dupont.1@medecin.mssante.fr')).toBe(false);
  });
});

describe('KeySlots', () => {
  it('finds every slot added by its hashes, and nothing else', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 6 }), { maxLength: 3000 }), fc.array(fc.string({ maxLength: 6 }), { maxLength: 200 }), (keys, probes) => {
        // Three numbers a slot, as a caller holding a value beside the hashes.
        const held = new Float64Array(keys.length * 3);
        const h = new Float64Array(2);
        keys.forEach((k, slot) => {
          keyHashes(k, h);
          held.set([h[0]!, h[1]!, -1], slot * 3);
        });
        const slots = new KeySlots(keys.length, held, 3);
        for (let slot = 0; slot < keys.length; slot++) slots.add(slot);
        keys.forEach((k, slot) => {
          keyHashes(k, h);
          expect(slots.find(h[0]!, h[1]!)).toBe(slot);
        });
        for (const p of probes) {
          keyHashes(p, h);
          expect(slots.find(h[0]!, h[1]!)).toBe(keys.indexOf(p));
        }
        slots.clear();
        if (keys.length) {
          keyHashes(keys[0]!, h);
          expect(slots.find(h[0]!, h[1]!)).toBe(-1);
        }
      }),
      { numRuns: 60 },
    );
  });
});
