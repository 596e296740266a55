/**
 * A read-only XML tree for the readers of received documents (the CDA reader, the XDM
 * metadata reader, the national trust list): saxes (a strict, namespace-aware XML 1.0 parser, the one jsdom uses)
 * reads the text, and its events build elements and text nodes that answer the few DOM
 * calls the readers make, under the DOM's names (`getAttribute`, `getAttributeNS`,
 * `getElementsByTagNameNS`, `getElementsByTagName`, `tagName`, `textContent`, `firstChild`/`nextSibling`, `nodeType`,
 * `localName`, `namespaceURI`, `parentNode`, `nodeValue`, `documentElement`).
 *
 * Reading a CR-BIO through @xmldom/xmldom built a full DOM Level 2 document (every name
 * checked against the QName production, live node lists, attribute maps): most of a
 * national → legacy translation's time. Nothing here is writable, nothing is live.
 *
 * What reaches the parser is checked first by the content rules (`assertSafeXml`: no
 * DOCTYPE, no entity declaration, bounded size); saxes itself expands no external entity and
 * refuses an undefined one. A document that is not well-formed throws {@link XmlSyntaxError}.
 *
 * @example
 * const doc = parseXmlTree('<a xmlns="urn:x"><b c="1">t</b></a>');
 * doc.documentElement.getElementsByTagNameNS('urn:x', 'b')[0]?.getAttribute('c'); // '1'
 */
import { SaxesParser, type SaxesAttributeNS, type SaxesTagNS } from 'saxes';
import { CONTENT_LIMITS } from '../safety/content-rules.js';

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_SECTION_NODE = 4;

/** An element or a piece of text (a text node or a CDATA section). */
export type XmlNode = XmlElement | XmlText;

/** Text: character data (`nodeType` 3) or a CDATA section (4). */
export class XmlText {
  nextSibling: XmlNode | null = null;
  constructor(readonly nodeType: typeof TEXT_NODE | typeof CDATA_SECTION_NODE, readonly nodeValue: string, readonly parentNode: XmlElement) {}

  get textContent(): string {
    return this.nodeValue;
  }
}

export class XmlElement {
  readonly nodeType = ELEMENT_NODE;
  readonly nodeValue = null;
  firstChild: XmlNode | null = null;
  nextSibling: XmlNode | null = null;
  /** The last child, while the tree is built. */
  private last: XmlNode | null = null;

  constructor(
    /** The qualified name as written (`p:local` or `local`). */
    readonly tagName: string,
    readonly localName: string,
    readonly namespaceURI: string | null,
    private readonly attributes: Record<string, SaxesAttributeNS>,
    readonly parentNode: XmlElement | null,
  ) {}

  /** The value of the attribute of this qualified name (`root`, `xsi:type`), or null. */
  getAttribute(name: string): string | null {
    return this.attributes[name]?.value ?? null;
  }

  /** The value of the attribute of this namespace and local name, or null. */
  getAttributeNS(namespace: string | null, local: string): string | null {
    for (const name in this.attributes) {
      const a = this.attributes[name]!;
      if (a.local === local && (a.uri || null) === (namespace || null)) return a.value;
    }
    return null;
  }

  /** The text of every text node and CDATA section below, in document order. */
  get textContent(): string {
    let out = '';
    eachBelow(this, (n) => {
      if (n.nodeType !== ELEMENT_NODE) out += n.nodeValue;
    });
    return out;
  }

  /** The elements below this one (not itself) of this namespace and local name (`*` for any), in document order. */
  getElementsByTagNameNS(namespace: string | null, local: string): XmlElement[] {
    const out: XmlElement[] = [];
    eachBelow(this, (n) => {
      if (n.nodeType === ELEMENT_NODE && isNamed(n, namespace, local)) out.push(n);
    });
    return out;
  }

  /** The elements below this one (not itself) of this qualified name (`p:local`, or `local` without a prefix), in document order. */
  getElementsByTagName(name: string): XmlElement[] {
    const out: XmlElement[] = [];
    eachBelow(this, (n) => {
      if (n.nodeType === ELEMENT_NODE && n.tagName === name) out.push(n);
    });
    return out;
  }

  /** Appends a child while the tree is built. */
  append(child: XmlNode): void {
    if (this.last) this.last.nextSibling = child;
    else this.firstChild = child;
    this.last = child;
  }
}

/** Whether `e` has this namespace and local name (`*` matching any). */
function isNamed(e: XmlElement, namespace: string | null, local: string): boolean {
  return (namespace === '*' || e.namespaceURI === namespace) && (local === '*' || e.localName === local);
}

/**
 * Calls `visit` on every node below `root` (not itself) in document order, by the child,
 * sibling and parent links: no recursion, so a document parsed with a `maxDepth` above the
 * default cannot exhaust the stack however deep it nests.
 */
function eachBelow(root: XmlElement, visit: (n: XmlNode) => void): void {
  let n: XmlNode | null = root.firstChild;
  while (n !== null) {
    visit(n);
    if (n.nodeType === ELEMENT_NODE && n.firstChild !== null) {
      n = n.firstChild;
      continue;
    }
    while (n !== null && n.nextSibling === null) n = n.parentNode === root ? null : n.parentNode;
    if (n !== null) n = n.nextSibling;
  }
}

/** The document: its root element, and the searches the DOM's `Document` makes (the root included). */
export class XmlDocument {
  constructor(readonly documentElement: XmlElement) {}

  /** The elements of this namespace and local name (`*` for any), the root first if it is one, in document order. */
  getElementsByTagNameNS(namespace: string | null, local: string): XmlElement[] {
    const root = this.documentElement;
    const below = root.getElementsByTagNameNS(namespace, local);
    return isNamed(root, namespace, local) ? [root, ...below] : below;
  }

  /** The elements of this qualified name, the root first if it is one, in document order. */
  getElementsByTagName(name: string): XmlElement[] {
    const root = this.documentElement;
    const below = root.getElementsByTagName(name);
    return root.tagName === name ? [root, ...below] : below;
  }
}

/** The text is not well-formed XML (namespaces included); the message is the parser's, position first. */
export class XmlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

/** Elements nest deeper than the limit given to {@link parseXmlTree}. */
export class XmlDepthError extends XmlSyntaxError {
  constructor(readonly maxDepth: number) {
    super(`elements nest more than ${maxDepth} deep`);
    this.name = 'XmlDepthError';
  }
}

/**
 * Parses `xml` into a tree; throws {@link XmlSyntaxError} when it is not well-formed, and
 * {@link XmlDepthError} as soon as elements nest deeper than `maxDepth` (default the content
 * rules' 256: saxes resolves each element's namespace up the open elements, so a document
 * nested 40,000 deep would take it seconds). Comments and processing instructions are left
 * out (the DOM's `textContent` leaves them out too).
 */
export function parseXmlTree(xml: string, { maxDepth = CONTENT_LIMITS.maxXmlDepth }: { maxDepth?: number } = {}): XmlDocument {
  const parser = new SaxesParser({ xmlns: true });
  let root: XmlElement | null = null;
  let current: XmlElement | null = null;
  let depth = 0;
  parser.on('opentagstart', () => {
    if (++depth > maxDepth) throw new XmlDepthError(maxDepth);
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    const e = new XmlElement(tag.name, tag.local, tag.uri || null, tag.attributes, current);
    if (current) current.append(e);
    else root = e;
    current = e;
  });
  // A self-closing element's close follows its open at once.
  parser.on('closetag', () => {
    depth--;
    current = current?.parentNode ?? null;
  });
  // Text outside the root element is white space (anything else is an error): not kept.
  parser.on('text', (text: string) => current?.append(new XmlText(TEXT_NODE, text, current)));
  parser.on('cdata', (text: string) => current?.append(new XmlText(CDATA_SECTION_NODE, text, current)));
  try {
    parser.write(xml).close();
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw e;
    throw new XmlSyntaxError(e instanceof Error ? e.message : String(e));
  }
  if (!root) throw new XmlSyntaxError('no root element');
  return new XmlDocument(root);
}
