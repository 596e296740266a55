/**
 * The MSSanté trust list ("liste blanche"): parsing and look-ups. No `node:` imports.
 *
 * The reader keys on the `Domaine` elements of the namespace
 * `https://listeblanche.mssante.fr/schema` wherever they sit, and does not depend on the
 * root element's name (unconfirmed for the real file). Elements without a namespace are
 * accepted too when the file declares none.
 */
import { parseXmlTree, XmlDepthError, type XmlDocument, type XmlElement } from '../../../mappings/xml/xml-tree.js';
import { canonicalDn, dnMatches, type Rdn } from './dn.js';

export const TRUST_LIST_NS = 'https://listeblanche.mssante.fr/schema';

export interface TrustedDomain {
  /** The domain, lower-case. */
  domain: string;
  description: string;
  /** DN of the operator's certificate as published. */
  operatorDn: string;
  responsibleContact?: string;
  supportContact?: string;
  /** `DateMAJ` as published. */
  updated?: string;
}

/** The list could not be read. */
export class TrustListFormatError extends Error {
  constructor(where: string, why: string) {
    super(`Trust list from ${where}: ${why}`);
    this.name = 'TrustListFormatError';
  }
}

/**
 * A parsed trust list.
 *
 * @example
 * const list = parseTrustList(xmlText, 'listeblanchemssante.xml');
 * list.get('medecin.mssante.fr')?.operatorDn;
 * list.acceptsCertificate('medecin.mssante.fr', peerSubject); // true / false
 */
export class TrustList {
  readonly generatedAt: string | null;
  private readonly byDomain: Map<string, TrustedDomain>;
  private readonly byDn: Map<string, TrustedDomain[]>;

  constructor(generatedAt: string | null, domains: TrustedDomain[]) {
    this.generatedAt = generatedAt;
    this.byDomain = new Map(domains.map((d) => [d.domain, d]));
    this.byDn = new Map();
    for (const d of domains) {
      let key: string;
      try {
        key = canonicalDn(d.operatorDn);
      } catch {
        continue;
      }
      const arr = this.byDn.get(key) ?? [];
      arr.push(d);
      this.byDn.set(key, arr);
    }
  }

  get size(): number {
    return this.byDomain.size;
  }

  /** All entries, in list order. */
  domains(): TrustedDomain[] {
    return [...this.byDomain.values()];
  }

  /** The entry of a domain (case-insensitive, trailing dot ignored), or undefined. */
  get(domain: string): TrustedDomain | undefined {
    return this.byDomain.get(normaliseDomain(domain));
  }

  has(domain: string): boolean {
    return this.get(domain) !== undefined;
  }

  /** Is the domain listed and does `subject` match its operator's DN? */
  acceptsCertificate(domain: string, subject: string | Rdn[]): boolean {
    const entry = this.get(domain);
    return entry !== undefined && dnMatches(entry.operatorDn, subject);
  }

  /** The entries whose operator DN matches `subject` (e.g. for a null sender). */
  domainsOfCertificate(subject: string | Rdn[]): TrustedDomain[] {
    try {
      return this.byDn.get(canonicalDn(subject)) ?? [];
    } catch {
      return [];
    }
  }
}

/** Lower-cases and strips a trailing dot. */
export function normaliseDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * The text of `parent`'s first child element `name`. Children only, as the list's schema
 * has them: searching the whole subtree cost, for a list of Domaine elements nested in one
 * another, the square of their number (seconds for 100 KB; a fuzzing finding).
 */
function text(parent: XmlElement, name: string, ns: string | null): string | undefined {
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (c.nodeType !== 1) continue;
    if (ns ? c.namespaceURI === ns && c.localName === name : c.tagName === name) {
      const t = c.textContent.trim();
      return t === '' ? undefined : t;
    }
  }
  return undefined;
}

/**
 * Parses the list's XML. Entries without `Nom` or `DNCertificatOperateur` are skipped
 * (counted in `skipped`); a file with no `Domaine` at all is an error (an empty list would
 * refuse every operator, which is never what a refresh should silently do).
 *
 * @example
 * const { list, skipped } = parseTrustListDetailed(xml, 'https://espacedeconfiance.mssante.fr/listeblanchemssante.xml');
 */
export function parseTrustListDetailed(xml: string, where = 'trust list'): { list: TrustList; skipped: number } {
  let doc: XmlDocument;
  try {
    doc = parseXmlTree(xml);
  } catch (err) {
    // A list is three elements deep: one nested past the tree's limit is refused as such.
    if (err instanceof XmlDepthError) throw new TrustListFormatError(where, err.message);
    throw new TrustListFormatError(where, `not well-formed XML (${(err as Error).message.split('\n')[0]})`);
  }
  const root = doc.documentElement;
  let ns: string | null = TRUST_LIST_NS;
  let els = doc.getElementsByTagNameNS(TRUST_LIST_NS, 'Domaine');
  if (els.length === 0) {
    ns = null;
    els = doc.getElementsByTagName('Domaine');
  }
  if (els.length === 0) throw new TrustListFormatError(where, `no Domaine element in namespace ${TRUST_LIST_NS}`);
  const generatedAt = text(root, 'DateDeGeneration', ns) ?? null;
  const domains: TrustedDomain[] = [];
  let skipped = 0;
  for (let i = 0; i < els.length; i++) {
    const el = els[i]!;
    const nom = text(el, 'Nom', ns);
    const dn = text(el, 'DNCertificatOperateur', ns);
    if (!nom || !dn) {
      skipped++;
      continue;
    }
    domains.push({
      domain: normaliseDomain(nom),
      description: text(el, 'Description', ns) ?? '',
      operatorDn: dn,
      responsibleContact: text(el, 'ResponsableContact', ns),
      supportContact: text(el, 'SupportContact', ns),
      updated: text(el, 'DateMAJ', ns),
    });
  }
  return { list: new TrustList(generatedAt, domains), skipped };
}

/**
 * @example
 * const list = parseTrustList(readFileSync('listeblanche.xml', 'utf8'));
 */
export function parseTrustList(xml: string, where = 'trust list'): TrustList {
  return parseTrustListDetailed(xml, where).list;
}
