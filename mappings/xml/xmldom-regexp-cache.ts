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

/** A trie over the parts, by identity (Map's SameValueZero: strings by value, RegExps by object): no key string built per call. */
interface Node { next: Map<Part, Node>; re?: RegExp }

if (!g[MEMOISED]) {
  const original = g.reg;
  let root: Node = { next: new Map() };
  let size = 0;
  g.reg = function memoisedReg(this: unknown, ...parts: Part[]): RegExp {
    if (size > 1024) { root = { next: new Map() }; size = 0; } // parts made per call would otherwise grow it
    let node = root;
    for (const p of parts) {
      let child = node.next.get(p);
      if (!child) { node.next.set(p, (child = { next: new Map() })); size++; }
      node = child;
    }
    if (node.re) return node.re;
    const re = original.apply(this, parts);
    if (re.global || re.sticky) return re; // stateful: never shared
    node.re = re;
    return re;
  };
  g[MEMOISED] = true;
}

export {};
