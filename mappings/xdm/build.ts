import { writeZip } from './zip-write.js';
import type { DeflateRaw } from '../../lib/deflate.js';
import { PASSERELLE_OID, OID_ARC } from '../cda/oids.js';
import { esc } from '../cda/xml.js';
import { sha1Hex, type Sha1 } from './sha1.js';
import type { Crc32 } from '../../lib/crc32.js';
import { XDS, type XdsCode } from './codes.js';

/** One document to pack. */
export interface XdmDocument {
  data: Uint8Array;
  /** `text/xml` for CDA, `application/pdf`, … */
  mimeType: string;
  /** Document uniqueId: an OID, or `root^extension` as XDS writes CDA ids. */
  uniqueId: string;
  formatCode: XdsCode;
  typeCode: XdsCode;
  classCode: XdsCode;
  title: string;
  creationTime: Date;
  /** Author institution name and optional person, as XCN/XON-free text. */
  author?: { institution?: string; person?: string };
}

export interface XdmOptions {
  /** Patient identifier in CX form (`ext^^^&root&ISO`): the receiver identifies the patient from it. */
  patientId: string;
  /** Submission time; default now. */
  now?: Date;
  /** Submission set uniqueId (OID); default a fresh OID under the gateway root. */
  submissionSetId?: string;
  /** sourceId of the submitter (OID); default the gateway root. */
  sourceId?: string;
  /** Intended recipient (XCN/XON/email), optional. */
  intendedRecipient?: string;
  confidentiality?: XdsCode;
  facility?: XdsCode;
  practice?: XdsCode;
  contentType?: XdsCode;
  /** The compressor (default pure-JS fflate; the Node runtime gives native zlib). */
  deflateRaw?: DeflateRaw;
  /** The SHA-1 of the `hash` slots (default WebCrypto; the Node runtime gives `node:crypto`'s). */
  sha1?: Sha1;
  /** The ZIP entries' CRC-32 (default `lib/crc32.ts`; the Node runtime gives zlib's). */
  crc32?: Crc32;
}

const DEFAULT_CODE = (code: string, scheme: string, display: string): XdsCode => ({ code, scheme, display });

/**
 * XDS DTM: `YYYYMMDDHHMMSS` in UTC.
 *
 * @example
 * xdsTime(new Date('2026-11-20T10:15:00Z')) // '20261120101500'
 */
export function xdsTime(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * The CX patient id for a root and extension.
 *
 * @example
 * cxPatientId('2.25.1.2', 'LAB1/42') // 'LAB1/42^^^&2.25.1.2&ISO'
 */
export function cxPatientId(root: string, extension: string): string {
  return `${extension}^^^&${root}&ISO`;
}

const slot = (name: string, ...values: string[]) => `<rim:Slot name="${name}"><rim:ValueList>${values.map((v) => `<rim:Value>${esc(v)}</rim:Value>`).join('')}</rim:ValueList></rim:Slot>`;
const nameOf = (v: string) => `<rim:Name><rim:LocalizedString value="${esc(v)}"/></rim:Name>`;
function classification(id: string, scheme: string, object: string, c: XdsCode): string {
  return `<rim:Classification id="${id}" classificationScheme="${scheme}" classifiedObject="${object}" nodeRepresentation="${esc(c.code)}" objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification">${slot('codingScheme', c.scheme)}${nameOf(c.display)}</rim:Classification>`;
}
function authorClassification(id: string, scheme: string, object: string, a: XdmDocument['author']): string {
  const slots = [a?.person ? slot('authorPerson', a.person) : '', a?.institution ? slot('authorInstitution', a.institution) : ''].join('');
  return `<rim:Classification id="${id}" classificationScheme="${scheme}" classifiedObject="${object}" nodeRepresentation="" objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification">${slots}</rim:Classification>`;
}
const extId = (id: string, scheme: string, object: string, value: string, name: string) =>
  `<rim:ExternalIdentifier id="${id}" identificationScheme="${scheme}" registryObject="${object}" value="${esc(value)}" objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier">${nameOf(name)}</rim:ExternalIdentifier>`;

/**
 * File name of document `n` (1-based) in the subset: ISO-9660 8.3 upper case.
 *
 * @example
 * xdmDocName(1, 'text/xml') // 'DOC0001.XML'
 */
export function xdmDocName(n: number, mimeType: string): string {
  const ext = mimeType === 'application/pdf' ? 'PDF' : mimeType.includes('xml') ? 'XML' : mimeType === 'text/plain' ? 'TXT' : 'BIN';
  return `DOC${String(n).padStart(4, '0')}.${ext}`;
}

/**
 * Build `METADATA.XML`: an ebRIM `SubmitObjectsRequest` with the submission set and one
 * DocumentEntry per document (uniqueId, patientId, formatCode, typeCode, classCode,
 * mimeType, SHA-1 hash, size, creationTime, author, URI).
 *
 * @example
 * const xml = await buildXdmMetadata(docs, { patientId: cxPatientId(root, ext) });
 */
export async function buildXdmMetadata(docs: XdmDocument[], options: XdmOptions): Promise<string> {
  const now = options.now ?? new Date();
  const ssId = options.submissionSetId ?? `${PASSERELLE_OID}.${OID_ARC.submissionSet}.${now.getTime()}${Math.floor(Math.random() * 1000)}`;
  const parts: string[] = [];
  for (const [i, d] of docs.entries()) {
    const id = `Document${String(i + 1).padStart(2, '0')}`;
    const uri = xdmDocName(i + 1, d.mimeType);
    parts.push(`<rim:ExtrinsicObject id="${id}" mimeType="${esc(d.mimeType)}" objectType="${XDS.documentEntryType}" status="urn:oasis:names:tc:ebxml-regrep:StatusType:Approved">`
      + slot('creationTime', xdsTime(d.creationTime))
      + slot('hash', await sha1Hex(d.data, options.sha1))
      + slot('size', String(d.data.length))
      + slot('languageCode', 'fr-FR')
      + slot('sourcePatientId', options.patientId)
      + slot('URI', uri)
      + nameOf(d.title)
      + authorClassification(`${id}-author`, XDS.de.author, id, d.author)
      + classification(`${id}-class`, XDS.de.classCode, id, d.classCode)
      + classification(`${id}-conf`, XDS.de.confidentialityCode, id, options.confidentiality ?? DEFAULT_CODE('N', '2.16.840.1.113883.5.25', 'Normal'))
      + classification(`${id}-format`, XDS.de.formatCode, id, d.formatCode)
      + classification(`${id}-facility`, XDS.de.healthcareFacilityTypeCode, id, options.facility ?? DEFAULT_CODE('SA25', '1.2.250.1.71.4.2.4', 'Laboratoire de biologie médicale'))
      + classification(`${id}-practice`, XDS.de.practiceSettingCode, id, options.practice ?? DEFAULT_CODE('AMBULATOIRE', '1.2.250.1.213.1.1.4.9', 'Ambulatoire'))
      + classification(`${id}-type`, XDS.de.typeCode, id, d.typeCode)
      + extId(`${id}-pid`, XDS.de.patientId, id, options.patientId, 'XDSDocumentEntry.patientId')
      + extId(`${id}-uid`, XDS.de.uniqueId, id, d.uniqueId, 'XDSDocumentEntry.uniqueId')
      + `</rim:ExtrinsicObject>`);
  }
  const ss = 'SubmissionSet01';
  parts.push(`<rim:RegistryPackage id="${ss}" objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage">`
    + slot('submissionTime', xdsTime(now))
    + (options.intendedRecipient ? slot('intendedRecipient', options.intendedRecipient) : '')
    + nameOf('Passerelle')
    + authorClassification(`${ss}-author`, XDS.ss.author, ss, docs[0]?.author)
    + classification(`${ss}-content`, XDS.ss.contentTypeCode, ss, options.contentType ?? DEFAULT_CODE('04', '1.2.250.1.213.1.1.4.12', 'Hospitalisation de jour'))
    + extId(`${ss}-uid`, XDS.ss.uniqueId, ss, ssId, 'XDSSubmissionSet.uniqueId')
    + extId(`${ss}-src`, XDS.ss.sourceId, ss, options.sourceId ?? PASSERELLE_OID, 'XDSSubmissionSet.sourceId')
    + extId(`${ss}-pid`, XDS.ss.patientId, ss, options.patientId, 'XDSSubmissionSet.patientId')
    + `</rim:RegistryPackage>`);
  parts.push(`<rim:Classification id="${ss}-node" classifiedObject="${ss}" classificationNode="${XDS.submissionSetNode}" objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification"/>`);
  docs.forEach((_, i) => {
    const id = `Document${String(i + 1).padStart(2, '0')}`;
    parts.push(`<rim:Association id="Assoc${String(i + 1).padStart(2, '0')}" associationType="urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember" sourceObject="${ss}" targetObject="${id}" objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association">${slot('SubmissionSetStatus', 'Original')}</rim:Association>`);
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
<rim:RegistryObjectList>
${parts.join('\n')}
</rim:RegistryObjectList>
</lcm:SubmitObjectsRequest>
`;
}

const README = `Passerelle - IHE XDM media (IHE ITI TF-1 §16)\r
\r
This archive follows the IHE Cross-Enterprise Document Media Interchange profile.\r
IHE_XDM/SUBSET01/METADATA.XML describes the documents of the submission set;\r
the documents are IHE_XDM/SUBSET01/DOC0001.XML and following.\r
Open INDEX.HTM for a list of the contents.\r
`;

/**
 * Build an `IHE_XDM.ZIP` archive: `INDEX.HTM`, `README.TXT`,
 * `IHE_XDM/SUBSET01/METADATA.XML` and the documents `IHE_XDM/SUBSET01/DOC0001.XML`, ….
 *
 * @example
 * const zip = await buildXdm([{ data, mimeType: 'text/xml', uniqueId, ...XDS_CODES.crBio, title, creationTime }], { patientId });
 */
export async function buildXdm(docs: XdmDocument[], options: XdmOptions): Promise<Uint8Array> {
  const enc = new TextEncoder();
  const metadata = await buildXdmMetadata(docs, options);
  const docNames = docs.map((d, i) => xdmDocName(i + 1, d.mimeType));
  const index = `<!DOCTYPE html>\r\n<html><head><meta charset="utf-8"><title>IHE XDM</title></head><body>\r\n<h1>Contenu du support IHE XDM</h1>\r\n<ul>\r\n<li><a href="README.TXT">README.TXT</a></li>\r\n<li><a href="IHE_XDM/SUBSET01/METADATA.XML">IHE_XDM/SUBSET01/METADATA.XML</a></li>\r\n${docs.map((d, i) => `<li><a href="IHE_XDM/SUBSET01/${docNames[i]}">${esc(d.title)}</a> (${esc(d.mimeType)})</li>`).join('\r\n')}\r\n</ul>\r\n</body></html>\r\n`;
  // ZIP (DOS) timestamps cover 1980–2099 only; clamp so any submission time can be packed.
  const t = (options.now ?? new Date()).getTime();
  const mtime = new Date(Math.min(Math.max(t, Date.UTC(1980, 0, 2)), Date.UTC(2099, 11, 30)));
  return writeZip([
    { name: 'INDEX.HTM', data: enc.encode(index) },
    { name: 'README.TXT', data: enc.encode(README) },
    { name: 'IHE_XDM/' },
    { name: 'IHE_XDM/SUBSET01/' },
    { name: 'IHE_XDM/SUBSET01/METADATA.XML', data: enc.encode(metadata) },
    ...docs.map((d, i) => ({ name: `IHE_XDM/SUBSET01/${docNames[i]}`, data: d.data, compress: d.mimeType !== 'application/pdf' })),
  ], { mtime, deflateRaw: options.deflateRaw, crc32: options.crc32 });
}
