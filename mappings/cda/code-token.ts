/**
 * Local codes as CDA code tokens. A CDA `code` attribute (type `cs`) is a token without
 * white space (`[^\s]+` in the schema); laboratories write local codes with inner spaces
 * (`NF   030`, fixed-width exports) or other characters a token or XML cannot carry. The rule
 * is percent-escaping, as in URIs, applied to a fixed set of characters only:
 *
 * | character                                  | becomes               |
 * | ------------------------------------------ | --------------------- |
 * | `%`                                        | `%25`                 |
 * | space, tab, line feed, carriage return     | `%20`, `%09`, `%0A`, `%0D` |
 * | C0 controls XML 1.0 cannot carry (U+0000–U+001F but tab, LF, CR) | `%00`…`%1F` |
 * | DEL, C1 controls and no-break space (U+007F–U+00A0): invisible, and white space to many readers | `%7F`…`%A0` |
 *
 * Every other character is kept. `%` is always escaped, so the rule is injective (no real
 * code can collide with an escaped one: `A%20B` becomes `A%2520B`, `A B` becomes `A%20B`)
 * and reversible ({@link codeFromToken}). The exact code also travels in the narrative
 * (`res-N-code`), from which our reader takes it.
 */
const ESCAPED = /[%\u0000-\u0020\u007F-\u00A0]/g; // eslint-disable-line no-control-regex

/**
 * The CDA code token for a local code; '' stays '' (the caller writes no code then).
 *
 * @example
 * codeToken('NF   030') // 'NF%20%20%20030'
 * codeToken('K')        // 'K'
 */
export function codeToken(code: string): string {
  return code.replace(ESCAPED, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * The local code a token stands for (inverse of {@link codeToken}); a `%` not followed by
 * two hex digits is kept as it is (a token written by someone else).
 *
 * @example
 * codeFromToken('NF%20%20%20030') // 'NF   030'
 */
export function codeFromToken(token: string): string {
  return token.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}
