/**
 * The mapping's hot helpers take a fast path when there is nothing to do (most values) and
 * do what they did before otherwise: each is held to the expression it replaced.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { esc } from '../../mappings/cda/xml.js';
import { toWinAnsi, toWinAnsiByCodePoint } from '../../mappings/pdf/win-ansi.js';
import { operandNumber } from '../../mappings/pdf/render-report.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 60) * 20;

// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const CHAR_REF: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;', '\u0085': '&#133;', '\u2028': '&#8232;' };
const escBefore = (s: string) => s.replace(INVALID_XML, '').replace(/[&<>"\t\n\r\u0085\u2028]/g, (c) => CHAR_REF[c]!);

/** Plain characters most of the time, now and then one of those each helper must treat. */
const PLAIN = [...'abcXYZ019 .-/éèÉàµ°²ÿ'];
const SPECIAL = ['\u0000', '\u0001', '\u001f', '\t', '\n', '\r', '&', '<', '>', '"', "'", '\u007f', '\u0085', '\u0099', '\u00a0', '\u2028', '\u2029', '\ud800', '\udc00', '\ud83d\ude00', '\ufffe', '\uffff', '€', '…', 'Œ', 'ł', 'Ω', '≥', '\u2212', '日', 'e\u0301'];
const text = fc.array(fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...PLAIN) }, { weight: 1, arbitrary: fc.constantFrom(...SPECIAL) }), { maxLength: 40 }).map((a) => a.join(''));

describe('fast paths of the mapping helpers', () => {
  it('esc escapes and drops exactly as its two expressions did', () => {
    fc.assert(fc.property(text, (s) => { expect(esc(s)).toBe(escBefore(s)); }), { numRuns: RUNS });
    expect(esc('Potassium')).toBe('Potassium');
    expect(esc('a < b & "c"\u0001\ud800')).toBe('a &lt; b &amp; &quot;c&quot;');
  });

  it('toWinAnsi gives what the code-point walk gives on the whole text', () => {
    fc.assert(fc.property(text, (s) => { expect(toWinAnsi(s)).toBe(toWinAnsiByCodePoint(s)); }), { numRuns: RUNS });
    expect(toWinAnsi('Créatinine 5 µmol/l')).toBe('Créatinine 5 µmol/l');
    expect(toWinAnsi('Créatinine ≥ 5\tx')).toBe('Créatinine >= 5 x');
  });

  it('PDF operands are written as (Math.round(n * 100) / 100).toString() wrote them', () => {
    const before = (n: number) => (Math.round(n * 100) / 100).toString();
    const operand = fc.oneof(
      fc.double({ min: -1e7, max: 1e7, noNaN: true }),
      fc.integer({ min: -100_000_000, max: 100_000_000 }).map((k) => k / 100),
      fc.integer({ min: -100_000, max: 100_000 }).map((k) => k / 1000),
    );
    fc.assert(fc.property(operand, (n) => { expect(operandNumber(n)).toBe(before(n)); }), { numRuns: RUNS });
    for (const n of [0, -0, 0.004, -0.004, -0.005, 0.5, -0.5, 801.89, 841.89 - 40, 595.28, 7.5, 0.35, 1.005, -12.3456, 1e300, -1e21, Number.NaN, Infinity]) expect(operandNumber(n)).toBe(before(n));
  });
});
