/**
 * A re-import's lines keyed on their bytes (`directory/line-keys.ts`), on this thread and on a
 * worker thread (`app/node/threaded-line-keys.ts`): the same lines, the same keys, whatever
 * the chunks; and each key is what the string path computes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LINE_KEY_NUMBERS, localLineKeys } from '../../directory/line-keys.js';
import { chunksOf } from '../../directory/line-reader.js';
import { hash53 } from '../../directory/hash53.js';
import { keyHashes } from '../../directory/hashed-set.js';
import { threadedLineKeys } from '../../app/node/threaded-line-keys.js';
import type { KeyedLines } from '../../core/ports/directory-store.js';

const dec = new TextDecoder('utf-8', { fatal: true });

/** Every line of the blocks with its keys, as plain numbers and text. */
async function flat(blocks: AsyncIterable<KeyedLines>): Promise<{ text: string | null; keys: number[] }[]> {
  const out: { text: string | null; keys: number[] }[] = [];
  for await (const { bytes, keys, count } of blocks) {
    for (let k = 0; k < count; k++) {
      const at = k * LINE_KEY_NUMBERS;
      const line = bytes.subarray(keys[at]!, keys[at + 1]!);
      let text: string | null;
      try {
        text = dec.decode(line);
      } catch {
        text = null;
      }
      out.push({ text, keys: [...keys.subarray(at + 2, at + LINE_KEY_NUMBERS)] });
    }
  }
  return out;
}

const line = fc.oneof(
  fc.tuple(fc.constantFrom('PER', 'ORG'), fc.stringMatching(/^ ?[A-Za-z0-9.]{1,12}@[a-z]{1,6}\.fr ?$/), fc.string({ maxLength: 30 })).map(([t, a, rest]) => `${t}|${a}|${rest}|`),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
).map((s) => s.replace(/[\r\n]/g, ''));

describe('line keys', () => {
  it('on a worker thread, the same lines and keys as on this one, whatever the chunks; each key as the string path computes it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.integer({ min: 1, max: 64 }), async (lines, eol, lastEnd, size) => {
        const text = lines.join(eol) + (lastEnd ? eol : '');
        const local = await flat(localLineKeys(chunksOf(text, size)));
        const threaded = await flat(threadedLineKeys(chunksOf(text, size)));
        expect(threaded).toEqual(local);
        // Every line, its end removed; an empty last line without an end is none.
        expect(local.map((l) => l.text)).toEqual(!lastEnd && lines.at(-1) === '' ? lines.slice(0, -1) : lines);
        const h = new Float64Array(2);
        for (const { text: t, keys } of local) {
          expect(keys[2]).toBe(t === null ? -1 : hash53(t));
          const address = t?.split('|')[1];
          if (t !== null && t.split('|').length > 2 && /^[\x20-\x7e]*$/.test(address!)) {
            keyHashes(address!.trim().toLowerCase(), h);
            expect(keys.slice(0, 2)).toEqual([h[0], h[1]]);
          }
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  it('a worker thread that fails ends the reading with its error', async () => {
    async function* cut() {
      yield new TextEncoder().encode('a|b@c.fr|\n');
      throw new Error('the upload was cut');
    }
    await expect(flat(threadedLineKeys(cut()))).rejects.toThrow('the upload was cut');
  });
});
