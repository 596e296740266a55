import { parseXmlTree, type XmlDocument, type XmlElement } from '../xml/xml-tree.js';
import type { Attachment, LabReport, LabResult, ResultFlag, ResultStatus } from '../../core/model/content.js';
import { writeHprim } from '../hprim/write.js';
import { INTERPRETATION_TO_FLAG, STATUS_LABEL } from '../tables/interpretation.js';
import { localForLoinc } from '../tables/loinc.js';
import { LOINC, OID_ARC, PASSERELLE_OID } from './oids.js';
import { HL7, at, cdaToText, kids, narrativeToLines } from './narrative-text.js';
import { HEADER_LINES, NARRATIVE_ID, TYPE_STYLE_PREFIX } from './write-cr-bio.js';
import { codeFromToken } from './code-token.js';
import { readParty } from '../hprim/read.js';
import { hl7DateToHprim } from './xml.js';
import { assertSafeXml, decodeDocumentBase64 } from '../safety/content-rules.js';

/** Thrown when a text is not a CDA R2 document at all (not XML, or another root). */
export class CdaReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CdaReadError';
  }
}

export interface CdaReading {
  /** `cr-bio` for a lab report (CR-BIO template or code 11502-2), else `other`. */
  kind: 'cr-bio' | 'other';
  /** ClinicalDocument/code/@code. */
  code: string;
  title: string;
  /** The structured lab report, for `cr-bio`. */
  report?: LabReport;
  /** Plain-text rendering of the whole document (always). */
  text: string;
  /** Embedded multimedia (the PDF copy, images) and a non-XML body, as attachments. */
  attachments: Attachment[];
}

const CR_BIO_TEMPLATE = '1.3.6.1.4.1.19376.1.3.3';
const OBSERVATION_TEMPLATE = '1.3.6.1.4.1.19376.1.3.1.6';
const INS_NIR_ROOTS = new Set(['1.2.250.1.213.1.4.8', '1.2.250.1.213.1.4.10']);
const STATUS_FROM_LABEL: Record<string, ResultStatus> = Object.fromEntries(Object.entries(STATUS_LABEL).map(([k, v]) => [v, k as ResultStatus]));
const EXT_BY_MEDIA: Record<string, string> = { 'application/pdf': 'pdf', 'image/jpeg': 'jpg', 'image/png': 'png', 'image/tiff': 'tif', 'text/plain': 'txt', 'text/rtf': 'rtf' };

function parseXml(xml: string): XmlDocument {
  // No DOCTYPE or entity ever reaches the parser (billion laughs, external entities), nor a giant document.
  assertSafeXml(xml);
  let doc: XmlDocument;
  try {
    doc = parseXmlTree(xml);
  } catch (e) {
    throw new CdaReadError(`not well-formed XML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const root = doc.documentElement;
  if (root.localName !== 'ClinicalDocument' || root.namespaceURI !== HL7) throw new CdaReadError(`not a CDA R2 document: root element is ${root.localName}`);
  return doc;
}

function textOf(e: XmlElement | undefined | null): string {
  return (e?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function hasTemplate(e: XmlElement, root: string): boolean {
  return kids(e, 'templateId').some((t) => t.getAttribute('root') === root);
}

function allElements(root: XmlElement, local: string): XmlElement[] {
  return root.getElementsByTagNameNS(HL7, local);
}

function idIndex(root: XmlElement): Map<string, XmlElement> {
  const map = new Map<string, XmlElement>();
  const walk = (e: XmlElement) => {
    const id = e.getAttribute('ID');
    if (id) map.set(id, e);
    for (let c = e.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) walk(c);
  };
  walk(root);
  return map;
}

function refTarget(e: XmlElement | undefined, ids: Map<string, XmlElement>): XmlElement | undefined {
  const v = at(e, 'reference')?.getAttribute('value');
  return v && v.startsWith('#') ? ids.get(v.slice(1)) : undefined;
}

/** A plain decimal number, the only kind of value HPRIM types `N` (numeric). */
const PLAIN_NUMBER = /^[-+]?\d+(?:[.,]\d+)?$/;

/** HPRIM type of a value read as text: `N` for a plain number, `A` (alphanumeric) for anything else. */
function numberType(value: string): LabResult['type'] {
  return PLAIN_NUMBER.test(value.trim()) ? 'N' : 'A';
}

/** A bound of an interval (`low`/`high`) when it carries a value (a `nullFlavor="NINF"` bound does not). */
function bound(v: XmlElement, side: 'low' | 'high'): { value: string; unit: string; inclusive: boolean } | undefined {
  const b = at(v, side);
  const value = b?.getAttribute('value');
  if (!b || !value) return undefined;
  return { value, unit: b.getAttribute('unit') ?? '', inclusive: b.getAttribute('inclusive') !== 'false' };
}

/**
 * A value element as HPRIM (type, value, unit). Only a plain number is typed `N`: an interval
 * (`<=1.0`, `>5`, `1-3`) or any other text keeps its comparator or range in the value and is
 * typed `A`, as SPEC §8 reserves `N` for numbers.
 */
function readValue(v: XmlElement | undefined, ids: Map<string, XmlElement>): { type: LabResult['type']; value: string; unit: string } {
  if (!v) return { type: '', value: '', unit: '' };
  const xsiType = (v.getAttributeNS('http://www.w3.org/2001/XMLSchema-instance', 'type') ?? '').replace(/^.*:/, '');
  if (xsiType === 'PQ') {
    const value = v.getAttribute('value') ?? '';
    return { type: value ? numberType(value) : '', value, unit: v.getAttribute('unit') ?? '' };
  }
  if (xsiType === 'IVL_PQ') {
    const lo = bound(v, 'low');
    const hi = bound(v, 'high');
    const unit = lo?.unit || hi?.unit || '';
    if (lo && hi) return { type: 'A', value: `${lo.value}-${hi.value}`, unit };
    if (hi) return { type: 'A', value: `${hi.inclusive ? '<=' : '<'}${hi.value}`, unit };
    if (lo) return { type: 'A', value: `${lo.inclusive ? '>=' : '>'}${lo.value}`, unit };
    const center = at(v, 'center')?.getAttribute('value');
    if (center) return { type: numberType(center), value: center, unit: at(v, 'center')?.getAttribute('unit') ?? '' };
    return { type: 'A', value: textOf(v), unit: '' };
  }
  if (xsiType === 'CD' || xsiType === 'CE' || xsiType === 'CV' || xsiType === 'CO') {
    return { type: 'C', value: v.getAttribute('code') || v.getAttribute('displayName') || textOf(refTarget(at(v, 'originalText'), ids)) || textOf(at(v, 'originalText')) || '', unit: '' };
  }
  if (xsiType === 'INT' || xsiType === 'REAL') {
    const value = v.getAttribute('value') ?? '';
    return { type: value ? numberType(value) : '', value, unit: '' };
  }
  if (xsiType === 'BL') return { type: 'A', value: v.getAttribute('value') ?? '', unit: '' };
  return { type: 'A', value: textOf(v), unit: '' };
}

/** Read one result observation; exact from our own narrative cells when present, else from the structured entry. */
function readObservation(obs: XmlElement, ids: Map<string, XmlElement>, actActive: boolean, localCodeSystem: string): LabResult {
  const row = refTarget(at(obs, 'text'), ids);
  const rowId = row?.getAttribute('ID');
  if (rowId && ids.has(`${rowId}-value`)) {
    const cell = (f: string) => ids.get(`${rowId}-${f}`);
    const raw = (f: string) => cell(f)?.textContent ?? '';
    const opt = (f: string) => (cell(f) ? raw(f) : undefined);
    const style = (cell('value')?.getAttribute('styleCode') ?? '').split(/\s+/).find((s) => s.startsWith(TYPE_STYLE_PREFIX)) ?? '';
    const t = style.slice(TYPE_STYLE_PREFIX.length);
    const r: LabResult = {
      label: raw('label'), code: raw('code'), type: (t === 'N' || t === 'A' || t === 'C' ? t : '') as LabResult['type'],
      value: raw('value'), unit: raw('unit'), low: raw('low'), high: raw('high'),
      flag: (['L', 'H', 'LL', 'HH', 'N'].includes(raw('flag')) ? raw('flag') : '') as ResultFlag,
      status: STATUS_FROM_LABEL[raw('status')] ?? '',
    };
    const extras = { value2: opt('value2'), unit2: opt('unit2'), low2: opt('low2'), high2: opt('high2') };
    for (const [k, v] of Object.entries(extras)) if (v !== undefined) (r as unknown as Record<string, string>)[k] = v;
    return r;
  }
  const code = at(obs, 'code');
  const translation = at(code, 'translation');
  const original = refTarget(at(code, 'originalText'), ids);
  const loinc = code?.getAttribute('codeSystem') === LOINC ? code.getAttribute('code') ?? '' : '';
  const label = textOf(original) || translation?.getAttribute('displayName') || code?.getAttribute('displayName') || textOf(at(code, 'originalText')) || '';
  const translated = translation?.getAttribute('code') ?? '';
  const localCode = (translated && translation?.getAttribute('codeSystem') === localCodeSystem ? codeFromToken(translated) : translated) || (loinc ? localForLoinc(loinc) ?? loinc : code?.getAttribute('code') ?? '');
  const values = kids(obs, 'value');
  const v1 = readValue(values[0], ids);
  const v2 = values[1] ? readValue(values[1], ids) : undefined;
  const interp = at(obs, 'interpretationCode')?.getAttribute('code') ?? '';
  const range = at(obs, 'referenceRange', 'observationRange');
  const rv = at(range, 'value');
  const low = at(rv, 'low')?.getAttribute('value') ?? '';
  const high = at(rv, 'high')?.getAttribute('value') ?? '';
  const rangeText = !rv ? textOf(at(range, 'text')) : '';
  const statusCode = at(obs, 'statusCode')?.getAttribute('code') ?? '';
  // One type per RES line: numeric only when the value in the second unit is numeric too.
  const type = v1.type === 'N' && v2 && v2.value && v2.type !== 'N' ? 'A' : v1.type;
  const r: LabResult = {
    label, code: localCode, type, value: v1.value, unit: v1.unit,
    low: low || rangeText, high,
    flag: INTERPRETATION_TO_FLAG[interp] ?? '',
    status: statusCode === 'completed' ? (actActive ? 'R' : 'F') : statusCode === 'aborted' ? '' : 'R',
  };
  if (v2) { r.value2 = v2.value; r.unit2 = v2.unit; }
  return r;
}

function readReport(root: XmlElement, oidRoot: string): LabReport {
  const ids = idIndex(root);
  const ourRoot = (arc: keyof typeof OID_ARC, idEl: XmlElement) => idEl.getAttribute('root') === `${oidRoot}.${OID_ARC[arc]}`;
  const patientRole = at(root, 'recordTarget', 'patientRole');
  const patient = at(patientRole, 'patient');
  const pids = kids(patientRole, 'id');
  let fileNumber = '';
  let ssn = '';
  let senderFromPid = '';
  for (const id of pids) {
    const ext = id.getAttribute('extension') ?? '';
    if (INS_NIR_ROOTS.has(id.getAttribute('root') ?? '')) {
      if (/^\d{15}$/.test(ext)) ssn = `${ext.slice(0, 13)} ${ext.slice(13)}`;
    } else if (ourRoot('localPatientId', id)) {
      const slash = ext.indexOf('/');
      senderFromPid = slash >= 0 ? ext.slice(0, slash) : '';
      fileNumber = slash >= 0 ? ext.slice(slash + 1) : ext;
    } else if (!fileNumber && ext && !(id.getAttribute('root') ?? '').startsWith('1.2.250.1.213.1.4.')) {
      fileNumber = ext;
    }
  }
  const name = at(patient, 'name');
  const families = kids(name, 'family');
  const givens = kids(name, 'given');
  const addr = at(patientRole, 'addr');
  const lines = kids(addr, 'streetAddressLine').map(textOf);
  if (!lines.length && addr) {
    const street = [textOf(at(addr, 'houseNumber')), textOf(at(addr, 'streetName'))].filter(Boolean).join(' ');
    if (street) lines.push(street);
    const unit = textOf(at(addr, 'unitID')) || textOf(at(addr, 'additionalLocator'));
    if (unit) lines.push(unit);
  }
  const postcodeCity = [textOf(at(addr, 'postalCode')), textOf(at(addr, 'city'))].filter(Boolean).join(' ');

  const author = at(root, 'author', 'assignedAuthor');
  const org = at(author, 'representedOrganization');
  const orgId = at(org, 'id');
  const senderCode = orgId && ourRoot('senderCode', orgId) ? orgId.getAttribute('extension') ?? '' : senderFromPid;
  const recipient = at(root, 'informationRecipient', 'intendedRecipient');
  const recId = at(recipient, 'id');
  const recName = at(recipient, 'informationRecipient', 'name');

  const results: LabResult[] = [];
  for (const act of allElements(root, 'act')) {
    const entry = act.parentNode;
    if (!entry || entry.localName !== 'entry' || !hasTemplate(entry, '1.3.6.1.4.1.19376.1.3.1')) continue;
    const active = at(act, 'statusCode')?.getAttribute('code') === 'active';
    for (const obs of allElements(act, 'observation')) {
      if (hasTemplate(obs, OBSERVATION_TEMPLATE)) results.push(readObservation(obs, ids, active, `${oidRoot}.${OID_ARC.localAnalysisCode}`));
    }
  }

  // Free text and TEX lines: exact from our comment paragraphs, else the narrative of the result sections.
  const freeText: string[] = [];
  const texts: Array<{ pos: number; text: string }> = [];
  for (const [id, el] of ids) {
    let m = /^free-(\d+)$/.exec(id);
    if (m) { freeText[+m[1] - 1] = el.textContent ?? ''; continue; }
    m = /^tex-(\d+)-p(\d+)$/.exec(id);
    if (m) texts[+m[1] - 1] = { pos: +m[2], text: el.textContent ?? '' };
  }
  let layout: Array<'R' | 'T'> | undefined;
  let texLines: string[];
  const ours = (results.length > 0 && ids.has(NARRATIVE_ID.field(1, 'value'))) || ids.has(NARRATIVE_ID.noResults);
  if (texts.length || freeText.length || ours) {
    texLines = texts.map((t) => t.text);
    const total = results.length + texts.length;
    if (texts.length && texts.every((t) => t.pos < total)) {
      layout = Array.from({ length: total }, () => 'R' as const);
      for (const t of texts) layout[t.pos] = 'T';
    }
  } else {
    texLines = [];
    const body = at(root, 'component', 'structuredBody');
    for (const comp of kids(body, 'component')) {
      const s = at(comp, 'section');
      if (!s || hasTemplate(s, '1.2.250.1.213.1.1.2.243')) continue;
      const collect = (sec: XmlElement) => {
        const title = textOf(at(sec, 'title'));
        if (title) texLines.push(title);
        const t = at(sec, 'text');
        if (t) texLines.push(...narrativeToLines(t));
        for (const c of kids(sec, 'component')) { const sub = at(c, 'section'); if (sub) collect(sub); }
      };
      collect(s);
    }
  }

  // The exam date is the service event's, else a result's: never the document's own time (that would invent a clinical date).
  const examTs = at(root, 'documentationOf', 'serviceEvent', 'effectiveTime', 'low')?.getAttribute('value')
    ?? at(root, 'documentationOf', 'serviceEvent', 'effectiveTime')?.getAttribute('value')
    ?? allElements(root, 'observation').map((o) => at(o, 'effectiveTime')?.getAttribute('value')).find(Boolean);
  const report: LabReport = {
    patient: {
      fileNumber,
      lastName: families.map(textOf)[0] ?? '',
      firstName: (givens.find((g) => g.getAttribute('qualifier') === 'BR') ?? givens[0])?.textContent?.trim() ?? '',
      address1: lines[0] ?? '',
      address2: lines.slice(1).join(', '),
      postcodeCity,
      birthDate: hl7DateToHprim(at(patient, 'birthTime')?.getAttribute('value')),
      socialSecurityNumber: ssn,
    },
    requestNumber: at(root, 'inFulfillmentOf', 'order', 'id')?.getAttribute('extension') ?? '',
    examDate: hl7DateToHprim(examTs),
    sender: { code: senderCode, local: textOf(at(org, 'name')) },
    recipient: { code: recId?.getAttribute('extension') ?? '', local: textOf(recName) },
    results,
    texts: texLines,
  };
  const free = freeText.filter((l) => l !== undefined);
  if (free.length) report.freeText = free;
  if (layout) report.layout = layout;
  exactHeader(report, ids);
  return report;
}

/**
 * Our own CR-BIO carries every header line as written (`hdr-N`, and the preamble `pre-N`):
 * those replace what the structured header gives, so HPRIM → CDA → HPRIM is exact, dates
 * that were not calendar dates included. Line 8 is never carried (it stays empty).
 */
function exactHeader(report: LabReport, ids: Map<string, XmlElement>): void {
  const line = (n: number) => { const e = ids.get(NARRATIVE_ID.header(n)); return e ? e.textContent ?? '' : undefined; };
  if (!HEADER_LINES.some(({ line: n }) => ids.has(NARRATIVE_ID.header(n)))) return;
  const p = report.patient;
  const set = (n: number, put: (v: string) => void) => { const v = line(n); if (v !== undefined) put(v); };
  set(1, (v) => { p.fileNumber = v; });
  set(2, (v) => { p.lastName = v; });
  set(3, (v) => { p.firstName = v; });
  set(4, (v) => { p.address1 = v; });
  set(5, (v) => { p.address2 = v; });
  set(6, (v) => { p.postcodeCity = v; });
  set(7, (v) => { p.birthDate = v; });
  set(9, (v) => { report.requestNumber = v; });
  set(10, (v) => { report.examDate = v; });
  set(11, (v) => { report.sender = readParty(v); });
  set(12, (v) => { report.recipient = readParty(v); });
  set(13, (v) => { report.reportDate = v; });
  const preamble: string[] = [];
  for (let k = 1; ids.has(NARRATIVE_ID.preamble(k)); k++) preamble.push(ids.get(NARRATIVE_ID.preamble(k))!.textContent ?? '');
  if (preamble.length) report.preamble = preamble;
}

function mediaAttachments(root: XmlElement): Attachment[] {
  const out: Attachment[] = [];
  let n = 0;
  for (const media of allElements(root, 'observationMedia')) {
    const v = at(media, 'value');
    if (!v || v.getAttribute('representation') !== 'B64') continue;
    const type = v.getAttribute('mediaType') ?? 'application/octet-stream';
    n++;
    out.push({ filename: `${media.getAttribute('ID') || `document-${n}`}.${EXT_BY_MEDIA[type] ?? 'bin'}`, contentType: type, data: decodeDocumentBase64(v.textContent ?? '') });
  }
  const nonXml = at(root, 'component', 'nonXMLBody', 'text');
  if (nonXml && nonXml.getAttribute('representation') === 'B64') {
    const type = nonXml.getAttribute('mediaType') ?? 'application/octet-stream';
    out.push({ filename: `document.${EXT_BY_MEDIA[type] ?? 'bin'}`, contentType: type, data: decodeDocumentBase64(nonXml.textContent ?? '') });
  }
  return out;
}

/**
 * Read a CDA R2 document. A CR-BIO (template 1.3.6.1.4.1.19376.1.3.3 or code 11502-2)
 * becomes a structured {@link LabReport} (flags mapped back from interpretation codes);
 * any document also gets a faithful plain-text rendering and its embedded media as
 * attachments. Identifiers under `oidRoot` (default the gateway's) are read as ours
 * (sender code, lab-local patient id). Throws {@link CdaReadError} for text that is not a
 * CDA document.
 *
 * @example
 * const r = readCda(xml);
 * if (r.kind === 'cr-bio') writeHprim(r.report!);
 */
export function readCda(xml: string, options: { oidRoot?: string } = {}): CdaReading {
  const doc = parseXml(xml);
  const root = doc.documentElement;
  const code = at(root, 'code')?.getAttribute('code') ?? '';
  const title = textOf(at(root, 'title'));
  const isCrBio = hasTemplate(root, CR_BIO_TEMPLATE) || code === '11502-2';
  return {
    kind: isCrBio ? 'cr-bio' : 'other',
    code,
    title,
    report: isCrBio ? readReport(root, options.oidRoot ?? PASSERELLE_OID) : undefined,
    text: cdaToText(doc),
    attachments: mediaAttachments(root),
  };
}

/**
 * CDA → what a legacy recipient reads: HPRIM for a CR-BIO, plain text for anything else.
 *
 * @example
 * cdaToLegacy(xml).hprim // '0000423187\r\nTESTPATIENT\r\n…****FINFICHIER****\r\n'
 */
export function cdaToLegacy(xml: string, options: { oidRoot?: string } = {}): { hprim?: string; text: string; report?: LabReport; attachments: Attachment[] } {
  const r = readCda(xml, options);
  if (r.kind === 'cr-bio' && r.report) return { hprim: writeHprim(r.report), text: r.text, report: r.report, attachments: r.attachments };
  return { text: r.text, attachments: r.attachments };
}
