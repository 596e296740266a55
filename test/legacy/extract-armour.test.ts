/**
 * `extractArmour` walks the text part's lines once; it answers exactly as the split it
 * replaced (kept here as the reference): the same armour text, or the same error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { extractArmour, LNP_MARKER } from '../../adapters/legacy/lnp-mail.js';
import { ARMOUR_BEGIN, ARMOUR_END } from '../../adapters/legacy/armour.js';
import { LegacyError } from '../../adapters/legacy/legacy-error.js';
import { trimSuffixes } from '../../adapters/legacy/trim.js';

function bySplit(text: string): string {
  const lines = text.split(/\r?\n/);
  const marker = lines.findIndex((l) => l.trim() === LNP_MARKER);
  if (marker < 0) throw new LegacyError('BAD_MAIL', `text part has no ${LNP_MARKER} line`);
  const rest = lines.slice(marker + 1);
  const begin = rest.findIndex((l) => l.trim() === ARMOUR_BEGIN);
  if (begin < 0) throw new LegacyError('NO_BEGIN_MARKER', `no ${ARMOUR_BEGIN} line after ${LNP_MARKER}`);
  const end = rest.findIndex((l, i) => i > begin && l.trim() === ARMOUR_END);
  return trimSuffixes(rest.slice(begin, end < 0 ? undefined : end + 1).map((l) => l.trimEnd()).join('\r\n'), '\r\n');
}

const outcome = (f: () => string) => { try { return { text: f() }; } catch (e) { return { error: (e as LegacyError).code, message: (e as Error).message }; } };

describe('extractArmour', () => {
  it('answers any text part as the line split did: the same armour, or the same error', () => {
    const piece = fc.constantFrom(LNP_MARKER, ` ${LNP_MARKER} `, ARMOUR_BEGIN, `\t${ARMOUR_BEGIN}`, ARMOUR_END, `${ARMOUR_END} `, '00000074', 'AbC-+=', '', ' ', '\t', 'x');
    const eol = fc.constantFrom('\r\n', '\n', '\r', '\r\r\n', ' \r\n', '');
    const text = fc.array(fc.tuple(piece, eol), { maxLength: 14 }).map((a) => a.map(([p, e]) => p + e).join(''));
    fc.assert(fc.property(text, (t) => {
      expect(outcome(() => extractArmour(t))).toEqual(outcome(() => bySplit(t)));
    }), { numRuns: 5000 });
  });

  it('reads a whole armour whatever its line ends', () => {
    const lines = [LNP_MARKER, ARMOUR_BEGIN, '00000003', 'AbCd', 'B9407011', ARMOUR_END, '', 'signature'];
    for (const e of ['\r\n', '\n']) {
      expect(extractArmour(lines.join(e))).toBe([ARMOUR_BEGIN, '00000003', 'AbCd', 'B9407011', ARMOUR_END].join('\r\n'));
      expect(extractArmour(lines.join(e))).toBe(bySplit(lines.join(e)));
    }
  });
});
