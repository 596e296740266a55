/**
 * @xmldom/xmldom 0.9 compiles a new RegExp for every end tag it reads (`g.reg('^', QName,
 * S_OPT, '$')` in `lib/sax.js`): a fifth of the time of reading a CR-BIO. `reg` is a pure
 * function of its parts and its results carry no `g`/`y` flag (no `lastIndex` state), so
 * this module memoises it, once, on the grammar module that the parser shares. Importing it
 * for its effect is enough. Web-standard; bundles for Workers like the parser itself.
 *
 * @example
 * import './xmldom-regexp-cache.js';
 * new DOMParser().parseFromString(xml, 'text/xml'); // end tags no longer compile a RegExp each
 */
// @ts-expect-error: an internal module of @xmldom/xmldom, without type declarations
import grammar from '@xmldom/xmldom/lib/grammar.js';

type Part = RegExp | string;
interface Grammar { reg(this: unknown, ...parts: Part[]): RegExp; [k: symbol]: boolean }

const MEMOISED = Symbol.for('passerelle.xmldom.reg.memoised');
const g = grammar as Grammar;

if (!g[MEMOISED]) {
  const original = g.reg;
  const cache = new Map<string, RegExp>();
  g.reg = function memoisedReg(this: unknown, ...parts: Part[]): RegExp {
    let key = '';
    for (const p of parts) key += typeof p === 'string' ? `s${p.length}:${p}` : `r${p.source.length}:${p.source}/${p.flags}`;
    let re = cache.get(key);
    if (!re) {
      re = original.apply(this, parts);
      if (re.global || re.sticky) return re; // stateful: never shared
      if (cache.size > 256) cache.clear();
      cache.set(key, re);
    }
    return re;
  };
  g[MEMOISED] = true;
}

export {};
