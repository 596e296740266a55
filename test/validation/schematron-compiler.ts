/**
 * A small ISO Schematron → XSLT compiler for the query binding `xslt2`, complete for what
 * the official CR-BIO 2024.01 schematron uses: `include` (recursively, relative to the
 * including file), abstract patterns instantiated with `is-a` and `param`, `let` at pattern
 * level (lifted to global variables, visible from every pattern) and at rule level,
 * `phase`/`active`, `assert`/`report` with `value-of` and `name`, and `document()`
 * (resolved relative to the schematron folder through `xml:base`). Rules of one pattern
 * fire at most once per node, first rule wins, as ISO Schematron says.
 *
 * The output stylesheet writes one line per failure:
 * `FAILED<TAB>pattern<TAB>location<TAB>message`. It runs with a real XSLT 2/3 engine
 * (Saxon-HE, Debian `libsaxonhe-java`), so XPath 2 functions behave as the authors meant.
 *
 * Node-only (reads files): test tooling, not gateway code.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DOMParser } from '@xmldom/xmldom';

const SCH = 'http://purl.oclc.org/dsdl/schematron';
type El = Element;

function parse(path: string): Document {
  return new DOMParser().parseFromString(readFileSync(path, 'utf8'), 'text/xml') as unknown as Document;
}

function children(el: El, local?: string): El[] {
  const out: El[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as El).namespaceURI === SCH && (!local || (n as El).localName === local)) out.push(n as El);
  }
  return out;
}

/** Replace every `include` by the root element of the file it names, recursively. */
function inlineIncludes(el: El, baseDir: string): void {
  for (const inc of children(el, 'include')) {
    const path = resolve(baseDir, inc.getAttribute('href') ?? '');
    const doc = parse(path);
    const root = doc.documentElement as El;
    inlineIncludes(root, dirname(path));
    const imported = el.ownerDocument.importNode(root, true);
    el.replaceChild(imported, inc);
  }
  for (const child of children(el)) if (child.localName !== 'include') inlineIncludes(child, baseDir);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function substitute(expr: string | null, params: Array<[string, string]>): string {
  if (expr === null) return '';
  let out = expr;
  for (const [name, value] of params) {
    const re = new RegExp(`\\$${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w.\\-])`, 'g');
    out = out.replace(re, () => value);
  }
  return out;
}

function messageXslt(el: El, params: Array<[string, string]>): string {
  let out = '';
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 3 || n.nodeType === 4) out += `<xsl:text>${esc((n.nodeValue ?? '').replace(/\s+/g, ' '))}</xsl:text>`;
    else if (n.nodeType === 1) {
      const c = n as El;
      if (c.localName === 'value-of') out += `<xsl:value-of select="${esc(substitute(c.getAttribute('select'), params))}"/>`;
      else if (c.localName === 'name') out += `<xsl:value-of select="name(${esc(substitute(c.getAttribute('path'), params) || '.')})"/>`;
      else out += messageXslt(c, params);
    }
  }
  return out;
}

export interface CompiledSchematron {
  xslt: string;
  patterns: string[];
}

/**
 * Compile a schematron file (and its includes) to an XSLT stylesheet text.
 *
 * @example
 * const { xslt } = compileSchematron('../shared/national/cda/schematrons/CI-SIS_BIO-CR-BIO_2024.01.sch');
 */
export function compileSchematron(schPath: string, phaseId?: string): CompiledSchematron {
  const abs = resolve(schPath);
  const doc = parse(abs);
  const schema = doc.documentElement as El;
  inlineIncludes(schema, dirname(abs));

  const nsDecls = children(schema, 'ns').map((n) => `xmlns:${n.getAttribute('prefix')}="${esc(n.getAttribute('uri') ?? '')}"`);
  const all: El[] = [];
  const collect = (el: El) => { for (const c of children(el)) { if (c.localName === 'pattern') all.push(c); else collect(c); } };
  collect(schema);
  const abstracts = new Map(all.filter((p) => p.getAttribute('abstract') === 'true').map((p) => [p.getAttribute('id') ?? '', p]));
  const concrete = all.filter((p) => p.getAttribute('abstract') !== 'true');

  const phaseName = phaseId ?? schema.getAttribute('defaultPhase') ?? '';
  const phase = children(schema, 'phase').find((p) => p.getAttribute('id') === phaseName);
  const active = phase ? new Set(children(phase, 'active').map((a) => a.getAttribute('pattern') ?? '')) : null;
  const chosen = concrete.filter((p) => !active || active.has(p.getAttribute('id') ?? ''));
  const missing = active ? [...active].filter((id) => !concrete.some((p) => p.getAttribute('id') === id)) : [];
  if (missing.length) throw new Error(`schematron phase '${phaseName}' names unknown patterns: ${missing.join(', ')}`);

  const globals: string[] = [];
  // Schema-level lets and pattern-level lets of every concrete pattern become globals.
  for (const l of children(schema, 'let')) globals.push(`<xsl:variable name="${l.getAttribute('name')}" select="${esc(l.getAttribute('value') ?? '')}"/>`);
  for (const p of concrete) for (const l of children(p, 'let')) globals.push(`<xsl:variable name="${l.getAttribute('name')}" select="${esc(l.getAttribute('value') ?? '')}"/>`);

  const templates: string[] = [];
  const modes: string[] = [];
  chosen.forEach((p, pi) => {
    const id = p.getAttribute('id') ?? `pattern-${pi}`;
    let params: Array<[string, string]> = [];
    let body = p;
    const isA = p.getAttribute('is-a');
    if (isA) {
      const abstract = abstracts.get(isA);
      if (!abstract) throw new Error(`pattern '${id}' is-a unknown abstract pattern '${isA}'`);
      params = children(p, 'param').map((x) => [x.getAttribute('name') ?? '', x.getAttribute('value') ?? ''] as [string, string]);
      params.sort((a, b) => b[0].length - a[0].length);
      body = abstract;
    }
    const mode = `M${pi}`;
    modes.push(mode);
    const rules = children(body, 'rule');
    rules.forEach((r, ri) => {
      const context = substitute(r.getAttribute('context'), params);
      let t = `<xsl:template match="${esc(context)}" mode="${mode}" priority="${1000 - ri}">`;
      for (const l of children(r, 'let')) t += `<xsl:variable name="${l.getAttribute('name')}" select="${esc(substitute(l.getAttribute('value'), params))}"/>`;
      for (const a of [...children(r, 'assert'), ...children(r, 'report')]) {
        const test = substitute(a.getAttribute('test'), params);
        const cond = a.localName === 'assert' ? `not(${test})` : `(${test})`;
        t += `<xsl:if test="${esc(cond)}"><xsl:text>FAILED&#9;${esc(id)}&#9;</xsl:text><xsl:value-of select="path()"/><xsl:text>&#9;</xsl:text>${messageXslt(a, params)}<xsl:text>&#10;</xsl:text></xsl:if>`;
      }
      t += `<xsl:apply-templates select="@*|node()" mode="${mode}"/></xsl:template>`;
      templates.push(t);
    });
    templates.push(`<xsl:template match="text()" mode="${mode}" priority="-1"/>`);
    templates.push(`<xsl:template match="@*|node()" mode="${mode}" priority="-2"><xsl:apply-templates select="@*|node()" mode="${mode}"/></xsl:template>`);
  });

  const xslt = `<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" ${nsDecls.join(' ')} xml:base="${esc(pathToFileURL(abs).href)}">
<xsl:output method="text" encoding="UTF-8"/>
${globals.join('\n')}
<xsl:template match="/">${modes.map((m) => `<xsl:apply-templates select="/" mode="${m}"/>`).join('')}</xsl:template>
${templates.join('\n')}
</xsl:stylesheet>
`;
  return { xslt, patterns: chosen.map((p) => p.getAttribute('id') ?? '') };
}
