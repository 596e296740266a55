import { parseXmlTree, type XmlDocument, type XmlElement } from '../xml/xml-tree.js';
import { isSafeEntryName, readZipSafely, type ZipLimits } from './zip-read.js';
import { CONTENT_LIMITS, assertSafeXml, contentError, type ContentRule } from '../safety/content-rules.js';
import { sha1Hex, type Sha1 } from './sha1.js';
import type { Crc32 } from '../../lib/crc32.js';
import type { InflateRaw } from '../../lib/deflate.js';
import { XDS, type XdsCode } from './codes.js';

const RIM = 'urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0';

/** What `METADATA.XML` says about one document. */
export interface XdmEntryMetadata {
  id: string;
  mimeType: string;
  uniqueId: string;
  patientId: string;
  uri: string;
  hash: string;
  size?: number;
  creationTime: string;
  title: string;
  formatCode?: XdsCode;
  typeCode?: XdsCode;
  classCode?: XdsCode;
  author: { person?: string; institution?: string };
}

export interface XdmReadDocument {
  /** Path inside the archive, e.g. `IHE_XDM/SUBSET01/DOC0001.XML`. */
  path: string;
  data: Uint8Array;
  metadata: XdmEntryMetadata;
}

export interface XdmContent {
  documents: XdmReadDocument[];
  /** Submission set patientId (the receiver identifies the patient from it). */
  patientId: string;
  submissionSetId: string;
  /** Problems that did not stop reading (missing document, hash or size mismatch). */
  issues: string[];
}

/** Thrown when an archive is not a readable XDM media; `rule` names the safety rule it breaks. */
export class XdmError extends Error {
  constructor(message: string, readonly rule: ContentRule = 'xdm-metadata-unreadable') {
    super(message);
    this.name = 'XdmError';
  }
}

function directKids(el: XmlElement, ns: string, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1 && c.namespaceURI === ns && c.localName === local) out.push(c);
  return out;
}

function slotValues(el: XmlElement, name: string): string[] {
  const s = directKids(el, RIM, 'Slot').find((x) => x.getAttribute('name') === name);
  if (!s) return [];
  return s.getElementsByTagNameNS(RIM, 'Value').map((v) => v.textContent ?? '');
}

function nameText(el: XmlElement): string {
  const n = directKids(el, RIM, 'Name')[0];
  const ls = n ? n.getElementsByTagNameNS(RIM, 'LocalizedString')[0] : undefined;
  return ls?.getAttribute('value') ?? '';
}

function code(el: XmlElement, scheme: string): XdsCode | undefined {
  const c = directKids(el, RIM, 'Classification').find((x) => x.getAttribute('classificationScheme') === scheme);
  if (!c) return undefined;
  return { code: c.getAttribute('nodeRepresentation') ?? '', scheme: slotValues(c, 'codingScheme')[0] ?? '', display: nameText(c) };
}

function ext(el: XmlElement, scheme: string): string {
  return directKids(el, RIM, 'ExternalIdentifier').find((x) => x.getAttribute('identificationScheme') === scheme)?.getAttribute('value') ?? '';
}

/**
 * Parse `METADATA.XML` (ebRIM SubmitObjectsRequest).
 *
 * @example
 * parseXdmMetadata(xml).entries[0].formatCode?.code // 'urn:ihe:lab:xd-lab:2008'
 */
export function parseXdmMetadata(xml: string): { entries: XdmEntryMetadata[]; patientId: string; submissionSetId: string } {
  assertSafeXml(xml, CONTENT_LIMITS.maxMetadataBytes);
  let doc: XmlDocument;
  try {
    doc = parseXmlTree(xml);
  } catch (e) {
    throw new XdmError(`METADATA.XML is not well-formed XML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const root = doc.documentElement;
  const entries: XdmEntryMetadata[] = [];
  for (const eo of root.getElementsByTagNameNS(RIM, 'ExtrinsicObject')) {
    const authorC = directKids(eo, RIM, 'Classification').find((x) => x.getAttribute('classificationScheme') === XDS.de.author);
    const size = slotValues(eo, 'size')[0];
    entries.push({
      id: eo.getAttribute('id') ?? '',
      mimeType: eo.getAttribute('mimeType') ?? '',
      uniqueId: ext(eo, XDS.de.uniqueId),
      patientId: ext(eo, XDS.de.patientId),
      uri: slotValues(eo, 'URI').join(''),
      hash: (slotValues(eo, 'hash')[0] ?? '').toLowerCase(),
      size: size !== undefined && /^\d+$/.test(size) ? Number(size) : undefined,
      creationTime: slotValues(eo, 'creationTime')[0] ?? '',
      title: nameText(eo),
      formatCode: code(eo, XDS.de.formatCode),
      typeCode: code(eo, XDS.de.typeCode),
      classCode: code(eo, XDS.de.classCode),
      author: authorC ? { person: slotValues(authorC, 'authorPerson')[0], institution: slotValues(authorC, 'authorInstitution')[0] } : {},
    });
  }
  const pkg = root.getElementsByTagNameNS(RIM, 'RegistryPackage')[0];
  return {
    entries,
    patientId: pkg ? ext(pkg, XDS.ss.patientId) : entries[0]?.patientId ?? '',
    submissionSetId: pkg ? ext(pkg, XDS.ss.uniqueId) : '',
  };
}

/** What reading an archive computes with, injected by the runtime. */
export interface XdmReadCodecs { sha1?: Sha1; inflateRaw?: InflateRaw; crc32?: Crc32 }

/**
 * Read an `IHE_XDM.ZIP`: the archive is opened with {@link readZipSafely} (path traversal,
 * zip bombs and oversize entries refused under `limits`), the first subset's
 * `METADATA.XML` is parsed and each DocumentEntry is matched with its file by URI; the
 * SHA-1 hash and size are checked (a mismatch is reported in `issues`). `codecs`: the SHA-1,
 * the bounded inflater and the CRC-32 (defaults WebCrypto and pure JS; the Node runtime gives native ones).
 *
 * @example
 * const { documents, patientId } = await readXdm(zipBytes, { maxTotalBytes: 20 << 20 });
 */
export async function readXdm(zip: Uint8Array, limits: ZipLimits = {}, codecs: XdmReadCodecs = {}): Promise<XdmContent> {
  const { sha1 } = codecs;
  const entries = readZipSafely(zip, limits, codecs.inflateRaw, codecs.crc32);
  const byName = new Map(entries.map((e) => [e.name.toUpperCase(), e]));
  const metaEntry = entries.filter((e) => /^IHE_XDM\/[^/]+\/METADATA\.XML$/i.test(e.name)).sort((a, b) => a.name.localeCompare(b.name))[0];
  if (!metaEntry) throw new XdmError('archive has no IHE_XDM/SUBSETnn/METADATA.XML', 'xdm-no-metadata');
  const subsetDir = metaEntry.name.slice(0, metaEntry.name.lastIndexOf('/') + 1);
  const meta = parseXdmMetadata(new TextDecoder().decode(metaEntry.data));
  const issues: string[] = [];
  const documents: XdmReadDocument[] = [];
  for (const m of meta.entries) {
    // A URI names a file of its own subset: anything that could lead elsewhere (a path, `..`, a scheme) is hostile.
    if (!m.uri || /[/\\:%?#]/.test(m.uri) || m.uri.includes('..') || !isSafeEntryName(m.uri)) throw contentError('xdm-uri-outside');
    const path = `${subsetDir}${m.uri}`;
    const e = byName.get(path.toUpperCase());
    if (!e) { issues.push(`DocumentEntry ${m.id}: file ${path} is missing`); continue; }
    if (m.size !== undefined && m.size !== e.data.length) issues.push(`DocumentEntry ${m.id}: size ${m.size} in metadata, ${e.data.length} in the archive`);
    if (m.hash && m.hash !== (await sha1Hex(e.data, sha1))) issues.push(`DocumentEntry ${m.id}: SHA-1 hash does not match the file`);
    documents.push({ path: e.name, data: e.data, metadata: m });
  }
  return { documents, patientId: meta.patientId, submissionSetId: meta.submissionSetId, issues };
}
