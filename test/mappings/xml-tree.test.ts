/**
 * The readers' XML tree (`mappings/xml/xml-tree.ts`) answers the DOM calls they make as
 * @xmldom/xmldom's DOM did (the parser they read with before), on the official CR-BIO
 * examples and on documents the gateway writes; and it refuses what is not well-formed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { parseXmlTree, XmlDepthError, XmlSyntaxError, type XmlElement, type XmlNode } from '../../mappings/xml/xml-tree.js';
import { hprimToNational } from '../../mappings/bridge/hprim-to-national.js';
import { readHprim } from '../../mappings/hprim/index.js';
import { hprimToCrBio } from '../../mappings/cda/write-cr-bio.js';
import { unzipSync } from 'fflate';
import { CDA_EXAMPLES, sampleHprim } from './fixtures.js';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** What a reader can see of a node through the calls the readers make, as one string (xmldom's DOM or the tree). */
function view(n: Node | XmlNode, out: string[] = []): string[] {
  if (n.nodeType === 3 || n.nodeType === 4) {
    out.push(`${n.nodeType}:${JSON.stringify(n.nodeValue)}`);
    return out;
  }
  if (n.nodeType !== 1) return out;
  const e = n as Element | XmlElement;
  const attrs = ['root', 'extension', 'code', 'codeSystem', 'displayName', 'value', 'unit', 'ID', 'classCode', 'moodCode', 'typeCode', 'mediaType', 'representation', 'referencedObject', 'xsi:type', 'id', 'name', 'mimeType', 'classificationScheme', 'nodeRepresentation', 'identificationScheme']
    .map((a) => `${a}=${JSON.stringify(e.getAttribute(a))}`).join(' ');
  out.push(`<${e.namespaceURI} ${e.localName} ${attrs} ns-type=${JSON.stringify(e.getAttributeNS(XSI, 'type'))} text=${JSON.stringify(e.textContent)}>`);
  for (let c = e.firstChild; c; c = c.nextSibling) view(c as Node | XmlNode, out);
  out.push('</>');
  return out;
}

function both(xml: string): { dom: Element; tree: XmlElement } {
  const dom = new DOMParser({ onError: (level: string, msg: string) => { if (level !== 'warning') throw new Error(msg); } }).parseFromString(xml, 'text/xml').documentElement as unknown as Element;
  return { dom, tree: parseXmlTree(xml).documentElement };
}

describe('the readers’ XML tree', () => {
  const documents: Array<[string, string]> = readdirSync(CDA_EXAMPLES).filter((f) => f.endsWith('.xml')).map((f) => [f, readFileSync(join(CDA_EXAMPLES, f), 'utf8')]);

  it('gives what xmldom’s DOM gave: the official examples and the gateway’s own CR-BIO and METADATA.XML', async () => {
    const national = await hprimToNational(sampleHprim(), { now: new Date('2026-11-20T10:00:00Z') });
    const files = unzipSync(national.xdm!);
    documents.push(['METADATA.XML', new TextDecoder().decode(files['IHE_XDM/SUBSET01/METADATA.XML']!)]);
    documents.push(['generated CR-BIO', (await hprimToCrBio(readHprim(sampleHprim()).report!, { now: new Date('2026-11-20T10:00:00Z') })).xml]);
    expect(documents.length).toBeGreaterThanOrEqual(5);
    for (const [name, xml] of documents) {
      const { dom, tree } = both(xml);
      expect(view(tree), name).toEqual(view(dom));
      for (const [ns, local] of [['urn:hl7-org:v3', 'observation'], ['urn:hl7-org:v3', 'id'], ['*', 'value'], ['urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0', 'Slot']] as const) {
        const fromDom = Array.from(dom.getElementsByTagNameNS(ns, local)).map((e) => view(e).join(''));
        expect(tree.getElementsByTagNameNS(ns, local).map((e) => view(e).join('')), `${name} ${local}`).toEqual(fromDom);
      }
    }
  });

  it('keeps CDATA as its own text, leaves comments and processing instructions out, links parents and siblings', () => {
    const { dom, tree } = both('<?xml version="1.0"?><a xmlns="urn:x" xmlns:p="urn:p" p:k="v" k="w"><!-- c --><b>t&amp;<![CDATA[<x>]]>&#10;u<?pi x?></b><p:c/></a>');
    expect(view(tree)).toEqual(view(dom));
    expect(tree.textContent).toBe('t&<x>\nu');
    const b = tree.firstChild as XmlElement;
    expect(b.parentNode).toBe(tree);
    expect((b.nextSibling as XmlElement).namespaceURI).toBe('urn:p');
    expect(tree.getAttributeNS('urn:p', 'k')).toBe('v');
    expect(tree.getAttributeNS(null, 'k')).toBe('w');
    expect(tree.getAttribute('missing')).toBeNull();
    // as the DOM's Document, the document's searches include the root; an element's do not
    const doc = parseXmlTree('<a xmlns="urn:x"><a/><p:a xmlns:p="urn:x"/></a>');
    expect(doc.getElementsByTagNameNS('urn:x', 'a')).toHaveLength(3);
    expect(doc.documentElement.getElementsByTagNameNS('urn:x', 'a')).toHaveLength(2);
    expect(doc.getElementsByTagName('a')).toHaveLength(2);
    expect(doc.getElementsByTagName('p:a')).toHaveLength(1);
  });

  it('refuses elements nested deeper than the limit at once, and walks a deep document without recursion', () => {
    const nested = (n: number) => `<a xmlns="urn:x">${'<b>'.repeat(n)}t${'<c/>'.repeat(3)}${'</b>'.repeat(n)}</a>`;
    const t = performance.now();
    expect(() => parseXmlTree(nested(1_000_000))).toThrow(XmlDepthError);
    expect(() => parseXmlTree(nested(255))).toThrow('elements nest more than 256 deep'); // a, 255 b, then c at 257
    expect(performance.now() - t).toBeLessThan(2000);
    expect(parseXmlTree(nested(254)).documentElement.getElementsByTagName('c')).toHaveLength(3); // c at 256
    const deep = parseXmlTree(nested(20_000), { maxDepth: 30_000 }).documentElement;
    expect(deep.textContent).toBe('t');
    expect(deep.getElementsByTagNameNS('urn:x', 'b')).toHaveLength(20_000);
    expect(deep.getElementsByTagName('b')).toHaveLength(20_000);
  });

  it('refuses what is not well-formed, as the parser says', () => {
    for (const bad of ['<a><b></a>', '<a>', '<a/><b/>', '<p:a/>', '<a>&nbsp;</a>', '<a x="1" x="2"/>', '<a>text</a>trailing', '', 'not xml']) {
      expect(() => parseXmlTree(bad), bad).toThrow(XmlSyntaxError);
    }
  });
});
