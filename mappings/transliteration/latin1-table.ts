/**
 * How characters that ISO-8859-1 cannot encode are written on the legacy network (SPEC §4).
 * Policy as data: one row per character; every replacement is itself ISO-8859-1.
 * Characters not listed fall back to their base letter when they are an accented letter
 * (`ő` → `o`), else to `?` (see `latin1.ts`).
 */
export const LATIN1_TRANSLITERATION: Readonly<Record<string, string>> = {
  // French ligatures and the euro
  '\u0153': 'oe', // œ
  '\u0152': 'OE', // Œ
  '\u20ac': 'EUR', // €
  '\u0178': 'Y', // Ÿ
  // Typographic ligatures
  '\ufb00': 'ff',
  '\ufb01': 'fi',
  '\ufb02': 'fl',
  '\ufb03': 'ffi',
  '\ufb04': 'ffl',
  '\ufb05': 'st',
  '\ufb06': 'st',
  '\u0132': 'IJ',
  '\u0133': 'ij',
  // Quotes
  '\u2018': "'", // ‘
  '\u2019': "'", // ’
  '\u201a': "'", // ‚
  '\u201b': "'", // ‛
  '\u2032': "'", // ′ prime
  '\u02bc': "'", // ʼ
  '\u201c': '"', // “
  '\u201d': '"', // ”
  '\u201e': '"', // „
  '\u201f': '"', // ‟
  '\u2033': '"', // ″
  '\u2039': '<', // ‹
  '\u203a': '>', // ›
  // Dashes and hyphens
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-', // –
  '\u2014': '-', // —
  '\u2015': '-',
  '\u2212': '-', // − minus sign
  '\u2043': '-',
  // Punctuation and symbols
  '\u2026': '...', // …
  '\u2030': 'o/oo', // ‰
  '\u2031': 'o/ooo', // ‱
  '\u2022': '*', // •
  '\u2023': '>',
  '\u2027': '\u00b7',
  '\u2044': '/', // ⁄
  '\u2215': '/', // ∕
  '\u2122': '(TM)', // ™
  '\u2116': 'No', // №
  '\u2103': '\u00b0C', // ℃
  '\u2109': '\u00b0F', // ℉
  '\u2126': 'Ohm', // Ω (ohm sign)
  '\u2264': '<=', // ≤
  '\u2265': '>=', // ≥
  '\u2260': '!=', // ≠
  '\u2248': '~', // ≈
  '\u221e': 'inf', // ∞
  '\u2192': '->', // →
  '\u2190': '<-', // ←
  '\u2191': '^', // ↑
  '\u2193': 'v', // ↓
  '\u2713': 'v', // ✓
  '\u2714': 'v',
  '\u2020': '+', // †
  '\u0192': 'f', // ƒ
  '\u02c6': '^',
  '\u02dc': '~',
  // Spaces: narrow and typographic spaces become a plain space; invisible ones vanish
  '\u2000': ' ',
  '\u2001': ' ',
  '\u2002': ' ',
  '\u2003': ' ',
  '\u2004': ' ',
  '\u2005': ' ',
  '\u2006': ' ',
  '\u2007': ' ', // figure space
  '\u2008': ' ',
  '\u2009': ' ', // thin space
  '\u200a': ' ', // hair space
  '\u202f': ' ', // narrow no-break space (French typography)
  '\u205f': ' ',
  '\u3000': ' ',
  '\u200b': '', // zero-width space
  '\u200c': '',
  '\u200d': '',
  '\u2060': '',
  '\ufeff': '', // byte-order mark
  '\u2028': '\r\n', // line separator
  '\u2029': '\r\n', // paragraph separator
  // Letters without a decomposition
  '\u0141': 'L', // Ł
  '\u0142': 'l', // ł
  '\u0110': 'D', // Đ
  '\u0111': 'd', // đ
  '\u0131': 'i', // ı
  '\u0126': 'H', // Ħ
  '\u0127': 'h', // ħ
  '\u013f': 'L', // Ŀ
  '\u0140': 'l', // ŀ
  '\u0138': 'q', // ĸ
  '\u014a': 'N', // Ŋ
  '\u014b': 'n', // ŋ
  '\u0166': 'T', // Ŧ
  '\u0167': 't', // ŧ
  // Greek letters common in medicine (units, antibodies, isotopes)
  '\u03bc': '\u00b5', // μ → µ (micro sign, ISO-8859-1)
  '\u03b1': 'alpha',
  '\u03b2': 'beta',
  '\u03b3': 'gamma',
  '\u03b4': 'delta',
  '\u03b5': 'epsilon',
  '\u03ba': 'kappa',
  '\u03bb': 'lambda',
  '\u03c0': 'pi',
  '\u03c3': 'sigma',
  '\u03c9': 'omega',
  '\u0394': 'Delta',
  '\u03a9': 'Ohm',
  // Superscripts and subscripts outside ISO-8859-1 (¹ ² ³ are in it)
  '\u2070': '0',
  '\u2074': '4',
  '\u2075': '5',
  '\u2076': '6',
  '\u2077': '7',
  '\u2078': '8',
  '\u2079': '9',
  '\u207a': '+',
  '\u207b': '-',
  '\u2080': '0',
  '\u2081': '1',
  '\u2082': '2',
  '\u2083': '3',
  '\u2084': '4',
  '\u2085': '5',
  '\u2086': '6',
  '\u2087': '7',
  '\u2088': '8',
  '\u2089': '9',
  // Fractions outside ISO-8859-1 (¼ ½ ¾ are in it)
  '\u2153': '1/3',
  '\u2154': '2/3',
  '\u215b': '1/8',
};
