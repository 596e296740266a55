/** Characters of Windows-1252 outside Latin-1 that the PDF standard fonts (WinAnsi) can draw. */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

const FALLBACK: Readonly<Record<string, string>> = {
  '\u2212': '-', '\u2010': '-', '\u2011': '-', '\u2264': '<=', '\u2265': '>=', '\u2192': '->', '\u2190': '<-',
  '\u0141': 'L', '\u0142': 'l', '\u0110': 'D', '\u0111': 'd', '\u0131': 'i', '\u0126': 'H', '\u0127': 'h',
  '\u00a0': ' ', '\u202f': ' ', '\u2009': ' ', '\u03bc': 'µ', '\u2126': 'Ohm', '\u00d7': '×', '\u2248': '~',
};

/** A character `toWinAnsi` does not keep as it is (outside printable ASCII and Latin-1). */
const NOT_AS_IS = /[^\u0020-\u007e\u00a0-\u00ff]/;

/**
 * Make a string drawable with a PDF standard font (WinAnsi encoding): keeps Latin-1 and the
 * Windows-1252 extras, replaces a few symbols by ASCII look-alikes, strips accents from
 * letters outside the set (ł → l, ő → o), and writes `?` for anything else. Line breaks and
 * tabs become spaces.
 *
 * @example
 * toWinAnsi('Ωmega ≥ 5 – ok') // '?mega >= 5 – ok'
 */
export function toWinAnsi(s: string): string {
  // Most text is printable ASCII and Latin-1 already: returned as it is.
  const i = s.search(NOT_AS_IS);
  return i < 0 ? s : s.slice(0, i) + toWinAnsiByCodePoint(s.slice(i));
}

/**
 * What `toWinAnsi` does past the first character it does not keep as it is: the text taken
 * one code point at a time (`toWinAnsi` gives the same as this on the whole text: a property
 * test holds them equal).
 */
export function toWinAnsiByCodePoint(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || WIN_ANSI_EXTRA.has(ch)) { out += ch; continue; }
    if (c === 0x09 || c === 0x0a || c === 0x0d) { out += ' '; continue; }
    const f = FALLBACK[ch];
    if (f !== undefined) { out += f; continue; }
    const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    const b = base.codePointAt(0) ?? 0;
    out += base.length === 1 && b >= 0x20 && b <= 0xff ? base : '?';
  }
  return out;
}
