import type { Attachment, LabReport } from '../../core/model/content.js';
import { alertHeaders, alertOf, alertSubjectTag, type AlertLevel } from '../alerts/alert.js';
import { hprimToCrBio, CR_BIO, type CrBioDocument } from '../cda/write-cr-bio.js';
import { OID_ARC, PASSERELLE_OID } from '../cda/oids.js';
import { readHprim } from '../hprim/read.js';
import type { HprimIssue } from '../hprim/issue.js';
import { buildXdm, cxPatientId } from '../xdm/build.js';
import type { Sha1 } from '../xdm/sha1.js';
import type { Crc32 } from '../../lib/crc32.js';
import type { DeflateRaw } from '../../lib/deflate.js';
import { XDS_CODES } from '../xdm/codes.js';

export interface HprimToNationalOptions {
  now?: Date;
  documentId?: string;
  oidRoot?: string;
  /** The original bytes as received (ISO-8859-1 on the legacy network), attached unchanged when given. */
  originalBytes?: Uint8Array;
  /** The ZIP compressor (default pure JS; the Node runtime gives native zlib). */
  deflateRaw?: DeflateRaw;
  /** The SHA-1 of the XDM metadata (default WebCrypto; the Node runtime gives `node:crypto`'s). */
  sha1?: Sha1;
  /** The XDM entries' CRC-32 (default `lib/crc32.ts`; the Node runtime gives zlib's). */
  crc32?: Crc32;
}

export interface NationalLabReport {
  report?: LabReport;
  issues: HprimIssue[];
  cda?: CrBioDocument;
  /** `IHE_XDM.ZIP` holding the CR-BIO, when the report could be read. */
  xdm?: Uint8Array;
  alert: AlertLevel;
  /** Neutral subject tag ('' when nothing is abnormal); never the patient's name. */
  subjectTag: string;
  /** Headers for the national message: X-MSS-CODECDA, X-MSS-INS (always `N`: HPRIM never carries a qualified INS), priority. */
  headers: Record<string, string>;
  /** `IHE_XDM.ZIP` (when built) and the original HPRIM, which always travels. */
  attachments: Attachment[];
}

/** HL7 v2 escaping for a CX component. */
function cxEscape(s: string): string {
  return s.replace(/\\/g, '\\E\\').replace(/\^/g, '\\S\\').replace(/&/g, '\\T\\');
}

/**
 * An HPRIM lab report from the legacy network → what the national side sends: a CR-BIO
 * inside `IHE_XDM.ZIP`, the original HPRIM as a second attachment (lossless rule), the
 * alert level with its neutral subject tag and priority headers, and the MSSanté headers
 * (`X-MSS-INS: N` always — a social-security number never qualifies an INS). Text that is
 * not a readable HPRIM report still travels as the original attachment.
 *
 * @example
 * const out = await hprimToNational(text);
 * out.headers['X-MSS-CODECDA'] // '11502-2'
 */
export async function hprimToNational(hprim: string, options: HprimToNationalOptions = {}): Promise<NationalLabReport> {
  const now = options.now ?? new Date();
  const reading = readHprim(hprim);
  const original: Attachment = options.originalBytes
    ? { filename: 'original.hpr', contentType: 'text/plain; charset=iso-8859-1', data: options.originalBytes }
    : { filename: 'original.hpr', contentType: 'text/plain; charset=utf-8', data: new TextEncoder().encode(hprim) };
  const report = reading.report;
  if (!report) {
    return { issues: reading.issues, alert: 'none', subjectTag: '', headers: { 'X-MSS-INS': 'N' }, attachments: [original] };
  }
  const root = options.oidRoot ?? PASSERELLE_OID;
  const cda = await hprimToCrBio(report, { now, documentId: options.documentId, oidRoot: root, deflateRaw: options.deflateRaw, issues: reading.issues });
  const patientId = cxPatientId(`${root}.${OID_ARC.localPatientId}`, cxEscape(`${report.sender.code}/${report.patient.fileNumber}`));
  const xdm = await buildXdm([{
    data: new TextEncoder().encode(cda.xml),
    mimeType: 'text/xml',
    uniqueId: `${cda.id.root}^${cda.id.extension}`,
    ...XDS_CODES.crBio,
    title: CR_BIO.title,
    creationTime: now,
    author: { institution: report.sender.local || report.sender.code },
  }], { patientId, now, intendedRecipient: report.recipient.local || undefined, deflateRaw: options.deflateRaw, sha1: options.sha1, crc32: options.crc32 });
  return {
    report,
    issues: reading.issues,
    cda,
    xdm,
    alert: alertOf(report),
    subjectTag: alertSubjectTag(report),
    headers: { 'X-MSS-CODECDA': cda.code, 'X-MSS-INS': 'N', ...alertHeaders(report) },
    attachments: [{ filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: xdm }, original],
  };
}
