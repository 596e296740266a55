/**
 * Plain-text rendering of CDA R2 narrative blocks and whole documents (Web APIs only; the
 * tree comes from `mappings/xml/xml-tree.ts`). Paragraphs and list items become lines,
 * table rows become `cell | cell` lines, `br` breaks a line, multimedia references become a
 * bracketed note.
 */
import type { XmlDocument, XmlElement, XmlNode } from '../xml/xml-tree.js';

export const HL7 = 'urn:hl7-org:v3';

type N = XmlNode;

function collapse(s: string): string {
  return s.replace(/[ \t\r\n]+/g, ' ');
}

/**
 * Render one narrative element (a section `text`, a `td`, …) to lines of text.
 *
 * @example
 * narrativeToLines(sectionText) // ['BILAN | Résultat', 'TSH | 1.95 mUI/l']
 */
export function narrativeToLines(el: XmlElement): string[] {
  const lines: string[] = [];
  let cur = '';
  const flush = () => { const t = cur.trim(); if (t) lines.push(t); cur = ''; };
  const walk = (n: N, listDepth: number): void => {
    if (n.nodeType === 3 || n.nodeType === 4) { cur += collapse(n.nodeValue ?? ''); return; }
    if (n.nodeType !== 1) return;
    const e = n;
    switch (e.localName) {
      case 'br': flush(); return;
      case 'paragraph': case 'caption': flush(); for (let c = e.firstChild; c; c = c.nextSibling) walk(c, listDepth); flush(); return;
      case 'list': flush(); for (let c = e.firstChild; c; c = c.nextSibling) walk(c, listDepth + 1); flush(); return;
      case 'item': flush(); cur = `${'  '.repeat(Math.max(0, listDepth - 1))}- `; for (let c = e.firstChild; c; c = c.nextSibling) walk(c, listDepth); flush(); return;
      case 'tr': {
        flush();
        const cells: string[] = [];
        for (let c = e.firstChild; c; c = c.nextSibling) {
          if (c.nodeType === 1 && (c.localName === 'td' || c.localName === 'th')) cells.push(narrativeToLines(c).join(' '));
        }
        const row = cells.join(' | ').trim();
        if (row.replace(/\|/g, '').trim()) lines.push(row);
        return;
      }
      case 'table': case 'thead': case 'tbody': case 'tfoot':
        flush(); for (let c = e.firstChild; c; c = c.nextSibling) walk(c, listDepth); flush(); return;
      case 'renderMultiMedia': cur += `[document joint ${e.getAttribute('referencedObject') ?? ''}]`; return;
      case 'footnote': case 'footnoteRef': return;
      default: for (let c = e.firstChild; c; c = c.nextSibling) walk(c, listDepth);
    }
  };
  for (let c = el.firstChild; c; c = c.nextSibling) walk(c, 0);
  flush();
  return lines;
}

/**
 * Direct children of `el` in the HL7 namespace with this local name.
 *
 * @example
 * kids(observation, 'value') // every <value> child
 */
export function kids(el: XmlElement | null | undefined, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  if (!el) return out;
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1 && c.localName === local) out.push(c);
  return out;
}

/**
 * First element reached by a path of child local names.
 *
 * @example
 * at(root, 'recordTarget', 'patientRole', 'patient') // the patient element or undefined
 */
export function at(el: XmlElement | null | undefined, ...path: string[]): XmlElement | undefined {
  let cur: XmlElement | undefined = el ?? undefined;
  for (const p of path) { cur = kids(cur, p)[0]; if (!cur) return undefined; }
  return cur;
}

function personName(name: XmlElement | undefined): string {
  if (!name) return '';
  const pick = (local: string) => { const all = kids(name, local); return all.find((x) => x.getAttribute('qualifier') === 'CL') ?? all.find((x) => !x.getAttribute('qualifier')) ?? all[0]; };
  const parts = [pick('prefix'), pick('given'), pick('family'), pick('suffix')].filter((x): x is XmlElement => !!x).map((x) => collapse(x.textContent ?? '').trim());
  const text = parts.filter(Boolean).join(' ');
  return text || collapse(name.textContent ?? '').trim();
}

function hl7Date(ts: string | null | undefined): string {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?/.exec(ts ?? '');
  if (!m) return '';
  let s = m[3] ? `${m[3]}/${m[2]}/${m[1]}` : m[2] ? `${m[2]}/${m[1]}` : m[1];
  if (m[4]) s += ` ${m[4]}:${m[5] ?? '00'}`;
  return s;
}

function sectionLines(section: XmlElement, depth: number, out: string[]): void {
  const title = collapse(at(section, 'title')?.textContent ?? '').trim();
  if (title) { out.push(''); out.push(`${'#'.repeat(Math.min(depth, 4))} ${title}`); }
  const text = at(section, 'text');
  if (text) out.push(...narrativeToLines(text));
  for (const comp of kids(section, 'component')) {
    const sub = at(comp, 'section');
    if (sub) sectionLines(sub, depth + 1, out);
  }
}

/**
 * A faithful plain-text rendering of any CDA R2 document: title, date, patient, author and
 * recipients, then every section (titles and narrative) in order. The attested content of a
 * CDA is its narrative, so nothing a reader would see is dropped.
 *
 * @example
 * cdaToText(doc) // "Lettre de liaison\nDate : 01/04/2021 17:10\nPatient : …\n\n# Motif …"
 */
export function cdaToText(doc: XmlDocument): string {
  const root = doc.documentElement;
  const out: string[] = [];
  out.push(collapse(at(root, 'title')?.textContent ?? at(root, 'code')?.getAttribute('displayName') ?? 'Document CDA').trim());
  const date = hl7Date(at(root, 'effectiveTime')?.getAttribute('value'));
  if (date) out.push(`Date : ${date}`);
  for (const rt of kids(root, 'recordTarget')) {
    const pat = at(rt, 'patientRole', 'patient');
    const birth = hl7Date(at(pat, 'birthTime')?.getAttribute('value'));
    out.push(`Patient : ${personName(at(pat, 'name'))}${birth ? `, né(e) le ${birth}` : ''}`);
  }
  for (const a of kids(root, 'author')) {
    const aa = at(a, 'assignedAuthor');
    const who = [personName(at(aa, 'assignedPerson', 'name')), collapse(at(aa, 'representedOrganization', 'name')?.textContent ?? '').trim()].filter(Boolean).join(', ');
    if (who) out.push(`Auteur : ${who}`);
  }
  for (const r of kids(root, 'informationRecipient')) {
    const ir = at(r, 'intendedRecipient');
    const who = [personName(at(ir, 'informationRecipient', 'name')), collapse(at(ir, 'receivedOrganization', 'name')?.textContent ?? '').trim()].filter(Boolean).join(', ');
    if (who) out.push(`Destinataire : ${who}`);
  }
  const body = at(root, 'component', 'structuredBody');
  if (body) {
    for (const comp of kids(body, 'component')) {
      const s = at(comp, 'section');
      if (s) sectionLines(s, 1, out);
    }
  } else if (at(root, 'component', 'nonXMLBody')) {
    out.push('', '[Document non structuré joint]');
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim() + '\n';
}
