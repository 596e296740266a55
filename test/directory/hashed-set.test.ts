import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { HashedMap, HashedSet } from '../../directory/hashed-set.js';

describe('HashedSet', () => {
  it('answers as a Set of strings through adds, deletes and growth', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('add', 'delete', 'has'), fc.string({ maxLength: 6 })), { maxLength: 3000 }), (ops) => {
        const h = new HashedSet(4);
        const s = new Set<string>();
        for (const [op, v] of ops) {
          if (op === 'add') {
            expect(h.add(v)).toBe(s.has(v));
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

describe('HashedMap', () => {
  it('answers as a Map of strings to numbers through sets, deletes and growth', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('set', 'delete', 'get'), fc.string({ maxLength: 5 }), fc.integer()), { maxLength: 3000 }), (ops) => {
        const h = new HashedMap(2);
        const m = new Map<string, number>();
        for (const [op, k, v] of ops) {
          if (op === 'set') {
            expect(h.set(k, v)).toBe(m.has(k));
            m.set(k, v);
          } else if (op === 'delete') expect(h.delete(k)).toBe(m.delete(k));
          else expect(h.get(k)).toBe(m.get(k));
          expect(h.size).toBe(m.size);
        }
      }),
      { numRuns: 60 },
    );
  });
});
