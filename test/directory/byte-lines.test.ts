/**
 * A re-import recognises its unchanged lines on their bytes, before decoding
 * (`NationalImportPlan.unchangedKeys`, `lineKeys`, `readLines`' `keyed`): the bytes path
 * must decide exactly as the string path, and the line reader must give the same lines.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hash53, hash53Pair, hash53PairAsciiLower, hash53Utf8 } from '../../directory/hash53.js';
import { chunksOf, readLines } from '../../directory/line-reader.js';
import { emptyCounts, NationalImportPlan, type KnownRow } from '../../directory/import-plan.js';
import { HashedSet } from '../../directory/hashed-set.js';
import { syntheticNationalLines } from '../../directory/synthetic/generate.js';
import { collectLines } from './helpers.js';
import { LINE_KEY_NUMBERS, lineKeys } from '../../directory/line-keys.js';

const keys = new Float64Array(LINE_KEY_NUMBERS);

const enc = new TextEncoder();


describe('the bytes path of a re-import', () => {
  it('hash53Utf8 is hash53 of the decoded text, and -1 exactly where the strict decoder fails', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.nat(), (s, seed) => {
        // Any text (astral characters as two units; a lone surrogate becomes U+FFFD in UTF-8).
        const b = enc.encode(`xx${s}yy`);
        const text = new TextDecoder().decode(b.subarray(2, b.length - 2));
        expect(hash53Utf8(b, 2, b.length - 2, seed >>> 0)).toBe(hash53(text, seed >>> 0));
      }),
    );
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.array(fc.constantFrom(0xc2, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0x80, 0xbf, 0xa0, 0x9f, 0x8f, 0x90), { maxLength: 12 }), (random, tricky) => {
        for (const b of [random, Uint8Array.from(tricky), Uint8Array.from([...tricky, ...random])]) {
          let text: string | null = null;
          try {
            text = strict.decode(b);
          } catch {
            /* invalid */
          }
          expect(hash53Utf8(b, 0, b.length)).toBe(text === null ? -1 : hash53(text));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('hash53Pair is hash53 with seed 0 and with a seed, for any text', () => {
    const out = new Float64Array(2);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.nat(), (s, seed) => {
        hash53Pair(s, seed >>> 0, out);
        expect([...out]).toEqual([hash53(s), hash53(s, seed >>> 0)]);
      }),
    );
  });

  it('hash53PairAsciiLower is hash53 of the ASCII text lower-cased with seed 0 and with a seed, false on any other byte', () => {
    const out = new Float64Array(2);
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 300 }), fc.nat(), (s, seed) => {
        const b = enc.encode(`xx${s}yy`);
        expect(hash53PairAsciiLower(b, 2, b.length - 2, seed >>> 0, out)).toBe(true);
        expect([...out]).toEqual([hash53(s.toLowerCase()), hash53(s.toLowerCase(), seed >>> 0)]);
      }),
    );
    expect(hash53PairAsciiLower(enc.encode('Zoé'), 0, 4, 7, out)).toBe(false);
  });

  it('the keyed line reader gives every line it does not take as without one, in place', async () => {
    const line = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 })).map((s) => s.replace(/[\r\n]/g, ''));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 30 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.integer({ min: 1, max: 50 }), async (lines, eol, lastEnd, size) => {
        const text = lines.join(eol) + (lastEnd ? eol : '');
        const plain = await collectLines(readLines(chunksOf(text, size), { encoding: 'utf-8' }));
        // Take the lines whose bytes are even in length (and valid UTF-8: a hash, as a real take checks).
        const take = (k: Float64Array, at: number) => (k[at + 1]! - k[at]!) % 2 === 0 && k[at + 1]! > k[at]! && k[at + 4]! >= 0;
        const skipped = await collectLines(readLines(chunksOf(text, size), { encoding: 'utf-8', keyed: { take } }));
        const taken = (l: string, i: number) => i > 0 && l.length > 0 && enc.encode(l).length % 2 === 0;
        expect(skipped).toEqual(plain.map((l, i) => (taken(l, i) ? '' : l)));
      }),
      { numRuns: 300 },
    );
    await expect(collectLines(readLines(chunksOf(new Uint8Array([0x61, 0x0a, 0x61, 0xff, 0x0a])), { encoding: 'utf-8', keyed: { take: () => false } }))).rejects.toThrow(/UTF-8/);
  });

  it('unchangedKeys takes exactly the lines the string path counts unchanged, nothing else', () => {
    const lines = [...syntheticNationalLines({ seed: 5, lines: 400 })].slice(1);
    const known: KnownRow[] = lines.map((l, i) => [i + 1, l.split('|')[1]!.trim().toLowerCase(), hash53(l), i % 17 === 0 ? 'removed' : 'active']);
    const variants: ((l: string) => string)[] = [
      (l) => l, // unchanged
      (l) => l.replace('|', '| '), // address with a leading space: same address, another line
      (l) => { const c = l.split('|'); c[1] = c[1]!.toUpperCase(); return c.join('|'); }, // upper case: same address, another line
      (l) => l.replace(/\|$/, 'é|'), // a non-ASCII character
      (l) => { const c = l.split('|'); c[12] = `${c[12]}7`; return c.join('|'); }, // changed
      (l) => `${l}x`, // not a valid line (rejected: the mailbox is not met)
    ];
    fc.assert(
      // Picks among 40 lines: the same mailbox comes again, in every order of variants.
      fc.property(fc.array(fc.tuple(fc.nat(39), fc.nat(variants.length - 1)), { minLength: 1, maxLength: 80, size: 'max' }), (picks) => {
        const a = new NationalImportPlan(known.length, known, new HashedSet(), 'engine');
        const b = new NationalImportPlan(known.length, known, new HashedSet(), 'engine');
        const ca = emptyCounts();
        const cb = emptyCounts();
        const met = new Set<number>();
        picks.forEach(([i, v], n) => {
          const line = variants[v]!(lines[i]!);
          const fast = v === 0 && known[i]![3] === 'active' && !met.has(i);
          const bytes = enc.encode(`>${line}<`);
          lineKeys(bytes, 1, bytes.length - 1, keys, 0);
          const tookBytes = a.unchangedKeys(keys, 0, ca) || (a.line(line, n, (ca.lines++, ca), () => {}), false);
          expect(tookBytes, 'an unchanged line of an active mailbox met for the first time is taken on its bytes').toBe(fast);
          const before = cb.unchanged;
          cb.lines++;
          const rejected = cb.rejected;
          const w = b.line(line, n, cb, () => {});
          if (cb.rejected === rejected || met.has(i)) met.add(i); // a rejected line does not meet its mailbox
          // Whatever the bytes path takes, the string path counts unchanged (and writes nothing).
          if (tookBytes) {
            expect(w).toBeNull();
            expect(cb.unchanged).toBe(before + 1);
          }
        });
        expect(ca).toEqual(cb);
        expect([...a.gone()]).toEqual([...b.gone()]);
      }),
      { numRuns: 200 },
    );
  });
});
