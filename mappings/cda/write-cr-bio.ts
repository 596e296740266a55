import type { LabReport, LabResult } from '../../core/model/content.js';
import { renderReportPdf } from '../pdf/render-report.js';
import type { DeflateRaw } from '../../lib/deflate.js';
import { loincFor } from '../tables/loinc.js';
import { ucumFor } from '../tables/ucum.js';
import { FLAG_SEVERITY, FLAG_TO_INTERPRETATION, INTERPRETATION_SYSTEM, STATUS_LABEL } from '../tables/interpretation.js';
import { LOINC, PASSERELLE_OID, oid } from './oids.js';
import { attr, base64, esc, hl7Time, hprimDateToHl7, writable } from './xml.js';
import { codeToken } from './code-token.js';
import { readReportDate } from '../hprim/dates.js';
import { writeParty } from '../hprim/read.js';
import { issueLabelFr, type HprimIssue } from '../hprim/issue.js';

export interface CrBioOptions {
  /** Time of the document (effectiveTime, author time); default now. */
  now?: Date;
  /** Unique id of the document (a UUID); default `crypto.randomUUID()`. */
  documentId?: string;
  /** OID root for the gateway's identifiers (see `oids.ts`). */
  oidRoot?: string;
  /** The PDF copy to embed; rendered from the report when absent. */
  pdf?: Uint8Array;
  /** The compressor for the rendered PDF (default pure JS). */
  deflateRaw?: DeflateRaw;
  /** What the HPRIM reader reported: shown to the reader of the document in French (`HPRIM_ISSUES` labels, never a value). */
  issues?: HprimIssue[];
}

export interface CrBioDocument {
  /** The CDA R2 CR-BIO 2024.01 document, UTF-8 XML text. */
  xml: string;
  /** The PDF copy embedded in the FR-Document-PDF-copie section. */
  pdf: Uint8Array;
  /** ClinicalDocument/id as `root^extension`-free pair. */
  id: { root: string; extension: string };
  /** ClinicalDocument/code/@code (for X-MSS-CODECDA and XDM typeCode). */
  code: string;
}

/** The document type of a CR-BIO, fixed by the national model. */
export const CR_BIO = {
  code: '11502-2',
  displayName: "CR d'examens biologiques",
  title: "Compte rendu d'examens biologiques",
  templateIds: ['2.16.840.1.113883.2.8.2.1', '1.2.250.1.213.1.1.1.1', '1.3.6.1.4.1.19376.1.3.3', '1.2.250.1.213.1.1.1.55'],
} as const;

/** Generic LOINC code for "laboratory studies", used for the chapter, act and service event. */
const LAB_STUDIES = { code: '26436-6', displayName: 'Examens de biologie médicale' };

const NUMBER = /^[-+]?\d+(?:[.,]\d+)?$/;

/** Narrative element IDs, shared with the reader (`read-cr-bio.ts`) so a round trip is exact. */
export const NARRATIVE_ID = {
  row: (i: number) => `res-${i}`,
  field: (i: number, f: string) => `res-${i}-${f}`,
  free: (i: number) => `free-${i}`,
  tex: (i: number, pos: number) => `tex-${i}-p${pos}`,
  pdf: 'pdf-copie',
  noResults: 'res-none',
  /** A header line as written (HPRIM line number 1–13; never 8, the social-security number). */
  header: (line: number) => `hdr-${line}`,
  /** A preamble line (before the header) as written. */
  preamble: (i: number) => `pre-${i}`,
  issues: 'hprim-issues',
};

/**
 * The header lines the CR-BIO carries as written, with their French names: every line but
 * 8 (the social-security number is never written). Line 13 only when the report has one.
 */
export const HEADER_LINES: ReadonlyArray<{ line: number; label: string }> = [
  { line: 1, label: 'N° de dossier' }, { line: 2, label: 'Nom' }, { line: 3, label: 'Prénom' },
  { line: 4, label: 'Adresse' }, { line: 5, label: "Complément d'adresse" }, { line: 6, label: 'Code postal et ville' },
  { line: 7, label: 'Date de naissance' }, { line: 9, label: 'N° de demande' }, { line: 10, label: "Date d'examen" },
  { line: 11, label: 'Expéditeur' }, { line: 12, label: 'Destinataire' }, { line: 13, label: 'Date du compte rendu' },
];

/** The text of header line `line` of a report, as written (undefined for line 13 when absent). */
function headerLine(report: LabReport, line: number): string | undefined {
  const p = report.patient;
  switch (line) {
    case 1: return p.fileNumber;
    case 2: return p.lastName;
    case 3: return p.firstName;
    case 4: return p.address1;
    case 5: return p.address2;
    case 6: return p.postcodeCity;
    case 7: return p.birthDate;
    case 9: return report.requestNumber;
    case 10: return report.examDate;
    case 11: return writeParty(report.sender);
    case 12: return writeParty(report.recipient);
    case 13: return report.reportDate;
    default: return undefined;
  }
}
/** Style code carrying the HPRIM type of a value in the narrative (N, A, C or None). */
export const TYPE_STYLE_PREFIX = 'xHprimType';

/** ` displayName="…"`, or nothing when XML would keep no character of it (the schema refuses an empty one). */
function displayName(s: string): string {
  return writable(s) ? ` displayName="${esc(s)}"` : '';
}

function numeric(v: string): string | undefined {
  const t = v.trim();
  return NUMBER.test(t) ? t.replace(',', '.').replace(/^\+/, '') : undefined;
}

/** `<=1.0`, `< 0,01`, `≥5`: a comparator and a number (HPRIM writes them as text). */
const COMPARED = /^(<=|>=|<|>|≤|≥)\s*([-+]?\d+(?:[.,]\d+)?)$/;
/** `1-3`, `2,5 - 4`: a range of two numbers. */
const RANGE = /^([-+]?\d+(?:[.,]\d+)?)\s*-\s*([-+]?\d+(?:[.,]\d+)?)$/;

/**
 * An IVL_PQ for a value written as a comparator and a number (`<=1.0`: a high bound,
 * inclusive) or a range (`1-3`: both bounds), as the official non-LOINC example writes its
 * `<= 1.0 mg/L`; undefined for anything else (and for a range whose low is above its high).
 */
function intervalXml(value: string, u: string): string | undefined {
  const t = value.trim();
  const c = COMPARED.exec(t);
  if (c) {
    const n = numeric(c[2])!;
    const op = c[1];
    const inclusive = op === '<=' || op === '>=' || op === '≤' || op === '≥' ? 'true' : 'false';
    const side = op.startsWith('<') || op === '≤' ? 'high' : 'low';
    return `<value xsi:type="IVL_PQ"><${side} value="${n}" unit="${esc(u)}" inclusive="${inclusive}"/></value>`;
  }
  const r = RANGE.exec(t);
  if (r) {
    const lo = numeric(r[1])!;
    const hi = numeric(r[2])!;
    if (Number(lo) > Number(hi)) return undefined;
    return `<value xsi:type="IVL_PQ"><low value="${lo}" unit="${esc(u)}"/><high value="${hi}" unit="${esc(u)}"/></value>`;
  }
  return undefined;
}

/**
 * One observation value element: PQ when numeric with a known unit, IVL_PQ for a comparator
 * or a range with a known unit (whatever the HPRIM type says, unless coded), CD for a
 * single-token coded value, ST otherwise.
 */
function valueXml(type: LabResult['type'], value: string, unit: string, root: string): string {
  if (value === '') return '';
  const n = numeric(value);
  const u = ucumFor(unit);
  if (type === 'N' && n !== undefined && u !== undefined) return `<value xsi:type="PQ" value="${n}" unit="${esc(u)}"/>`;
  const interval = type !== 'C' && u !== undefined ? intervalXml(value, u) : undefined;
  if (interval) return interval;
  if (type === 'C' && /^\S+$/.test(value)) return `<value xsi:type="CD" code="${esc(codeToken(value))}" codeSystem="${oid(root, 'localResultCode')}"${displayName(value)}/>`;
  const text = unit ? `${value} ${unit}` : value;
  return `<value xsi:type="ST">${esc(text)}</value>`;
}

function rangeXml(r: LabResult): string {
  if (!r.low && !r.high) return '';
  const u = ucumFor(r.unit);
  const lo = r.low ? numeric(r.low) : '';
  const hi = r.high ? numeric(r.high) : '';
  let inner: string;
  if (u !== undefined && lo !== undefined && hi !== undefined) {
    inner = `<value xsi:type="IVL_PQ">${lo ? `<low value="${lo}" unit="${esc(u)}"/>` : ''}${hi ? `<high value="${hi}" unit="${esc(u)}"/>` : ''}</value>`;
  } else {
    inner = `<text>${esc([r.low, r.high].filter(Boolean).join(' - '))}${r.unit ? ' ' + esc(r.unit) : ''}</text>`;
  }
  return `<referenceRange typeCode="REFV"><observationRange classCode="OBS" moodCode="EVN.CRT">${inner}<interpretationCode code="N" displayName="Normal" codeSystem="${INTERPRETATION_SYSTEM}"/></observationRange></referenceRange>`;
}

function observationXml(r: LabResult, i: number, effective: string, root: string): string {
  const loinc = loincFor(r.code);
  const orig = `<originalText><reference value="#${NARRATIVE_ID.field(i, 'label')}"/></originalText>`;
  // A local code needs a display name (CR-BIO schematron): the label, else the code as written,
  // else the code's token (a code of characters XML cannot carry: `%02`).
  const token = codeToken(r.code);
  const shown = writable(r.label) ? r.label : writable(r.code) ? r.code : token;
  const translation = writable(token) ? `<translation code="${esc(token)}" ${displayName(shown)} codeSystem="${oid(root, 'localAnalysisCode')}" codeSystemName="Codes locaux du laboratoire"/>` : '';
  const code = loinc
    ? `<code code="${loinc.code}" displayName="${esc(loinc.displayName)}" codeSystem="${LOINC}" codeSystemName="LOINC">${orig}${translation}</code>`
    : `<code>${orig}${translation}</code>`;
  const interp = r.flag ? FLAG_TO_INTERPRETATION[r.flag] : undefined;
  return `<entryRelationship typeCode="COMP"><observation classCode="OBS" moodCode="EVN">`
    + `<templateId root="1.3.6.1.4.1.19376.1.3.1.6"/><templateId root="1.2.250.1.213.1.1.3.80"/>`
    + code
    + `<text><reference value="#${NARRATIVE_ID.row(i)}"/></text>`
    + `<statusCode code="completed"/>`
    + effective
    + valueXml(r.type, r.value, r.unit, root)
    + (r.value2 ? valueXml(r.type, r.value2, r.unit2 ?? '', root) : '')
    + (interp ? `<interpretationCode code="${interp.code}" displayName="${esc(interp.displayName)}" codeSystem="${INTERPRETATION_SYSTEM}"/>` : '')
    + rangeXml(r)
    + `</observation></entryRelationship>`;
}

function cell(i: number, field: string, value: string | undefined, style?: string): string {
  return `<content ID="${NARRATIVE_ID.field(i, field)}"${attr('styleCode', style)}>${esc(value ?? '')}</content>`;
}

function rowXml(r: LabResult, i: number): string {
  const sev = FLAG_SEVERITY[r.flag] ?? 'none';
  const alert = sev === 'panic' ? 'Bold Underline xRed xAlertPanic' : sev === 'abnormal' ? 'Bold xRed xAlertAbnormal' : undefined;
  const typeStyle = `${TYPE_STYLE_PREFIX}${r.type || 'None'}`;
  const interp = r.flag ? FLAG_TO_INTERPRETATION[r.flag] : undefined;
  const range = `${cell(i, 'low', r.low)} - ${cell(i, 'high', r.high)}`;
  let rows = `<tr ID="${NARRATIVE_ID.row(i)}"${attr('styleCode', alert)}>`
    + `<td>${cell(i, 'label', r.label)} (${cell(i, 'code', r.code)})</td>`
    + `<td${attr('styleCode', alert)}>${cell(i, 'value', r.value, typeStyle)}</td>`
    + `<td>${cell(i, 'unit', r.unit)}</td>`
    + `<td>${range}</td>`
    + `<td${attr('styleCode', alert)}>${cell(i, 'flag', r.flag)}${interp && r.flag !== 'N' ? ` ${esc(interp.displayName)}` : ''}</td>`
    + `<td>${cell(i, 'status', STATUS_LABEL[r.status] ?? r.status)}</td>`
    + `</tr>`;
  const extras: Array<[string, string | undefined]> = [['value2', r.value2], ['unit2', r.unit2], ['low2', r.low2], ['high2', r.high2]];
  if (extras.some(([, v]) => v !== undefined)) {
    const c = (f: string, v: string | undefined, style?: string) => (v === undefined ? '' : cell(i, f, v, style));
    rows += `<tr ID="${NARRATIVE_ID.row(i)}-2"${attr('styleCode', alert)}><td>(2e unité)</td>`
      + `<td${attr('styleCode', alert)}>${c('value2', r.value2, typeStyle)}</td><td>${c('unit2', r.unit2)}</td>`
      + `<td>${c('low2', r.low2)}${r.high2 !== undefined ? ' - ' : ''}${c('high2', r.high2)}</td><td/><td/></tr>`;
  }
  return rows;
}

function addrXml(p: LabReport['patient']): string {
  const lines = [p.address1, p.address2].filter((l) => l.trim());
  const m = /^(\d{4,5})\s+(.*)$/.exec(p.postcodeCity.trim());
  if (!lines.length && !p.postcodeCity.trim()) return '<addr nullFlavor="UNK"/>';
  return `<addr use="H">${lines.map((l) => `<streetAddressLine>${esc(l)}</streetAddressLine>`).join('')}`
    + (m ? `<postalCode>${esc(m[1])}</postalCode><city>${esc(m[2])}</city>` : p.postcodeCity.trim() ? `<city>${esc(p.postcodeCity)}</city>` : '')
    + `</addr>`;
}

function orgXml(tag: string, idRoot: string, party: { code: string; local: string }): string {
  const id = writable(party.code) ? `<id root="${idRoot}" extension="${esc(party.code)}"/>` : `<id nullFlavor="UNK"/>`;
  return `<${tag}>${id}<name>${esc(party.local || party.code || 'Laboratoire')}</name></${tag}>`;
}

/**
 * Map an HPRIM lab report to a CDA R2 CR-BIO 2024.01 document: header (patient with a
 * lab-local identifier — a social-security number is never written and never makes an INS
 * qualified —, author laboratory, recipient, dates), one result entry with one observation
 * per `RES` line (LOINC from the table or the local code as a translation, UCUM unit,
 * reference range, interpretation code; local codes as tokens by `code-token.ts`), a
 * narrative table with alerts styled bold/red, a comment section for free text and `TEX|`
 * lines, a comment section with the header lines as written (`hdr-N`: a date that is not
 * a calendar date is `nullFlavor="UNK"` in the structure and kept here; never replaced),
 * the preamble and the reading issues in French, and the FR-Document-PDF-copie section. The
 * report date of line 13 is the document's effectiveTime (and author and legal
 * authenticator time) when it is a calendar date.
 *
 * @example
 * const { xml, pdf } = await hprimToCrBio(readHprim(text).report!, { now: new Date() });
 */
export async function hprimToCrBio(report: LabReport, options: CrBioOptions = {}): Promise<CrBioDocument> {
  const root = options.oidRoot ?? PASSERELLE_OID;
  const now = options.now ?? new Date();
  const docId = options.documentId ?? crypto.randomUUID();
  const pdf = options.pdf ?? (await renderReportPdf(report, { now, deflateRaw: options.deflateRaw }));
  const ts = hl7Time(now);
  // Line 13 (report date) is the time of the document, of its authoring and of its validation; else the time of the conversion.
  const reported = report.reportDate ? readReportDate(report.reportDate) : undefined;
  const docTime = reported?.kind === 'date' ? reported.hl7 : ts;
  const exam = hprimDateToHl7(report.examDate);
  const birth = hprimDateToHl7(report.patient.birthDate);
  const docRoot = oid(root, 'document');
  const p = report.patient;
  const patientId = p.fileNumber
    ? `<id root="${oid(root, 'localPatientId')}" extension="${esc(`${report.sender.code}/${p.fileNumber}`)}"/>`
    : `<id nullFlavor="UNK"/>`;
  const name = p.lastName || p.firstName
    ? `<name>${p.lastName ? `<family>${esc(p.lastName)}</family>` : ''}${p.firstName ? `<given>${esc(p.firstName)}</given>` : ''}</name>`
    : `<name nullFlavor="UNK"/>`;
  const effective = exam ? `<effectiveTime value="${exam}"/>` : `<effectiveTime nullFlavor="UNK"/>`;
  const anyR = report.results.some((r) => r.status === 'R');

  const header = `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:lab="urn:oid:1.3.6.1.4.1.19376.1.3.2">
<realmCode code="FR"/>
<typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
${CR_BIO.templateIds.map((t) => `<templateId root="${t}"/>`).join('')}
<id root="${docRoot}" extension="${esc(docId)}"/>
<code code="${CR_BIO.code}" codeSystem="${LOINC}" codeSystemName="LOINC" displayName="${esc(CR_BIO.displayName)}"/>
<title>${esc(CR_BIO.title)}</title>
<effectiveTime value="${docTime}"/>
<confidentialityCode code="N" displayName="Normal" codeSystem="2.16.840.1.113883.5.25"/>
<languageCode code="fr-FR"/>
<setId root="${docRoot}" extension="${esc(docId)}-set"/>
<versionNumber value="1"/>
<recordTarget><patientRole>${patientId}${addrXml(p)}<telecom nullFlavor="UNK"/><patient classCode="PSN">${name}<administrativeGenderCode nullFlavor="UNK"/>${birth ? `<birthTime value="${birth}"/>` : '<birthTime nullFlavor="UNK"/>'}</patient></patientRole></recordTarget>
<author><time value="${docTime}"/><assignedAuthor>${writable(report.sender.code) ? `<id root="${oid(root, 'senderCode')}" extension="${esc(report.sender.code)}"/>` : '<id nullFlavor="UNK"/>'}${orgXml('representedOrganization', oid(root, 'senderCode'), report.sender)}</assignedAuthor></author>
<custodian><assignedCustodian>${orgXml('representedCustodianOrganization', oid(root, 'senderCode'), report.sender)}</assignedCustodian></custodian>
<informationRecipient><intendedRecipient>${writable(report.recipient.code) ? `<id root="${oid(root, 'recipientCode')}" extension="${esc(report.recipient.code)}"/>` : ''}${report.recipient.local ? `<informationRecipient><name>${esc(report.recipient.local)}</name></informationRecipient>` : ''}</intendedRecipient></informationRecipient>
<legalAuthenticator><time value="${docTime}"/><signatureCode code="S"/><assignedEntity>${writable(report.sender.code) ? `<id root="${oid(root, 'senderCode')}" extension="${esc(report.sender.code)}"/>` : '<id nullFlavor="UNK"/>'}${orgXml('representedOrganization', oid(root, 'senderCode'), report.sender)}</assignedEntity></legalAuthenticator>
${writable(report.requestNumber) ? `<inFulfillmentOf><order><id root="${oid(root, 'request')}" extension="${esc(report.requestNumber)}"/></order></inFulfillmentOf>` : ''}
<documentationOf><serviceEvent>${writable(report.requestNumber) ? `<id root="${oid(root, 'request')}" extension="${esc(report.requestNumber)}"/>` : ''}<code code="${LAB_STUDIES.code}" displayName="${esc(LAB_STUDIES.displayName)}" codeSystem="${LOINC}" codeSystemName="LOINC"/>${exam ? `<effectiveTime><low value="${exam}"/></effectiveTime>` : ''}</serviceEvent></documentationOf>
`;

  const rows = report.results.map((r, k) => rowXml(r, k + 1)).join('\n');
  const table = report.results.length
    ? `<table border="1"><thead><tr><th>Analyse</th><th>Résultat</th><th>Unité</th><th>Valeurs de référence</th><th>Interprétation</th><th>Statut</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
    : `<paragraph ID="${NARRATIVE_ID.noResults}">Aucun résultat structuré.</paragraph>`;
  const entry = report.results.length
    ? `<entry typeCode="DRIV"><templateId root="1.3.6.1.4.1.19376.1.3.1"/><templateId root="1.2.250.1.213.1.1.3.21"/><act classCode="ACT" moodCode="EVN"><code code="${LAB_STUDIES.code}" displayName="${esc(LAB_STUDIES.displayName)}" codeSystem="${LOINC}" codeSystemName="LOINC"/><statusCode code="${anyR ? 'active' : 'completed'}"/>\n${report.results.map((r, k) => observationXml(r, k + 1, effective, root)).join('\n')}\n</act></entry>`
    : '';
  const resultsSection = `<component><section><templateId root="1.3.6.1.4.1.19376.1.3.3.2.1"/><templateId root="1.2.250.1.213.1.1.2.70"/><code code="${LAB_STUDIES.code}" displayName="${esc(LAB_STUDIES.displayName)}" codeSystem="${LOINC}" codeSystemName="LOINC"/><title>Résultats</title><text>${table}</text>\n${entry}</section></component>`;

  const free = report.freeText ?? [];
  const layout = report.layout;
  const texPositions: number[] = [];
  if (layout && layout.filter((k) => k === 'T').length === report.texts.length && layout.filter((k) => k === 'R').length === report.results.length) {
    layout.forEach((k, pos) => { if (k === 'T') texPositions.push(pos); });
  } else {
    report.texts.forEach((_, k) => texPositions.push(k));
  }
  const commentSection = free.length || report.texts.length
    ? `<component><section><templateId root="1.3.6.1.4.1.19376.1.4.1.2.16"/><code code="48767-8" displayName="Commentaire" codeSystem="${LOINC}" codeSystemName="LOINC"/><title>Commentaire</title><text>`
      + free.map((l, k) => `<paragraph ID="${NARRATIVE_ID.free(k + 1)}">${esc(l)}</paragraph>`).join('')
      + report.texts.map((t, k) => `<paragraph ID="${NARRATIVE_ID.tex(k + 1, texPositions[k])}" styleCode="xPre">${esc(t)}</paragraph>`).join('')
      + `</text></section></component>`
    : '';

  const headerRows = HEADER_LINES.map(({ line, label }) => ({ line, label, text: headerLine(report, line) }))
    .filter((h) => h.text !== undefined)
    .map((h) => `<tr><th>${esc(h.label)}</th><td><content ID="${NARRATIVE_ID.header(h.line)}">${esc(h.text!)}</content></td></tr>`).join('');
  const issues = options.issues ?? [];
  const headerSection = `<component><section><templateId root="1.3.6.1.4.1.19376.1.4.1.2.16"/><code code="48767-8" displayName="Commentaire" codeSystem="${LOINC}" codeSystemName="LOINC"/><title>En-tête du compte rendu tel que transmis par le laboratoire</title><text>`
    + (report.preamble ?? []).map((l, k) => `<paragraph ID="${NARRATIVE_ID.preamble(k + 1)}">${esc(l)}</paragraph>`).join('')
    + `<table border="1"><tbody>${headerRows}</tbody></table>`
    + (issues.length ? `<paragraph>Remarques de conversion :</paragraph><list ID="${NARRATIVE_ID.issues}">${issues.map((i) => `<item>${esc(issueLabelFr(i))}</item>`).join('')}</list>` : '')
    + `</text></section></component>`;

  const pdfSection = `<component><section><templateId root="1.2.250.1.213.1.1.2.243"/><code code="55108-5" displayName="Copie du document" codeSystem="${LOINC}" codeSystemName="LOINC"/><title>Copie du document</title><text><table border="0"><tbody><tr><td><renderMultiMedia referencedObject="${NARRATIVE_ID.pdf}"/></td></tr></tbody></table></text>`
    + `<entry><organizer classCode="CLUSTER" moodCode="EVN"><templateId root="1.2.250.1.213.1.1.3.18"/><code code="55107-7" displayName="Document attaché" codeSystem="${LOINC}" codeSystemName="LOINC"/><statusCode code="completed"/>`
    + `<component><observation classCode="OBS" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.5.3.1.4.13"/><templateId root="1.2.250.1.213.1.1.3.48"/><templateId root="1.2.250.1.213.1.1.3.48.18"/><code code="69764-9" displayName="Type de document" codeSystem="${LOINC}" codeSystemName="LOINC"/><statusCode code="completed"/><effectiveTime nullFlavor="NA"/><value xsi:type="CD" code="55108-5" displayName="Copie du document" codeSystem="${LOINC}" codeSystemName="LOINC"/></observation></component>`
    + `<component><observationMedia classCode="OBS" moodCode="EVN" ID="${NARRATIVE_ID.pdf}"><value mediaType="application/pdf" representation="B64">${base64(pdf)}</value></observationMedia></component>`
    + `</organizer></entry></section></component>`;

  const xml = `${header}<component><structuredBody>\n${resultsSection}\n${commentSection}\n${headerSection}\n${pdfSection}\n</structuredBody></component>\n</ClinicalDocument>\n`;
  return { xml, pdf, id: { root: docRoot, extension: docId }, code: CR_BIO.code };
}
