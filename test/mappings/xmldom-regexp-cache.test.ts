import { describe, expect, it } from 'vitest';
import { DOMParser } from '@xmldom/xmldom';
import '../../mappings/xml/xmldom-regexp-cache.js';
// @ts-expect-error: an internal module of @xmldom/xmldom, without type declarations
import grammar from '@xmldom/xmldom/lib/grammar.js';

describe('xmldom end-tag RegExp cache', () => {
  it('returns one compiled RegExp per distinct set of parts, equal to what xmldom would build', () => {
    const g = grammar as { reg(...p: (RegExp | string)[]): RegExp; QName_group: RegExp; S_OPT: RegExp };
    const a = g.reg('^', g.QName_group, g.S_OPT, '$');
    const b = g.reg('^', g.QName_group, g.S_OPT, '$');
    expect(a).toBe(b);
    expect(a.global || a.sticky).toBe(false);
    expect(a.exec('cda:ClinicalDocument ')?.[1]).toBe('cda:ClinicalDocument');
    expect(g.reg('^', g.QName_group)).not.toBe(a);
  });

  it('the parser still refuses a mismatched end tag and reads matched ones', () => {
    expect(() => new DOMParser().parseFromString('<a><b></c></a>', 'text/xml')).toThrow(/mismatch: "b" != "c"/);
    const doc = new DOMParser().parseFromString('<a><b>1</b><b>2</b></a>', 'text/xml');
    expect(doc.getElementsByTagName('b').length).toBe(2);
  });
});
