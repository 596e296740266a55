import type { Attachment, LabReport } from '../../core/model/content.js';
import { alertOf, alertSubjectTag, type AlertLevel } from '../alerts/alert.js';
import { cdaToLegacy, CdaReadError } from '../cda/read-cda.js';
import { readXdm } from '../xdm/read.js';
import type { ZipLimits } from '../xdm/zip-read.js';

export interface LegacyContent {
  /** HPRIM text of each CR-BIO found, in order. */
  hprim: string[];
  reports: LabReport[];
  /** Plain-text rendering of every document (CR-BIO included), separated by a rule. */
  text: string;
  /** Embedded media (PDF copies, images), non-CDA documents, and the original `IHE_XDM.ZIP`. */
  attachments: Attachment[];
  alert: AlertLevel;
  subjectTag: string;
  issues: string[];
}

/**
 * `IHE_XDM.ZIP` from the national side → what a legacy recipient gets: HPRIM for each
 * CR-BIO, a plain-text rendering of every CDA, attachments for PDFs and images (the legacy
 * adapter wraps them in LPZ containers), and the original archive (lossless rule).
 *
 * @example
 * const legacy = await xdmToLegacy(zip, { maxTotalBytes: 20 << 20 });
 * legacy.hprim[0] // '…****FINFICHIER****\r\n'
 */
export async function xdmToLegacy(zip: Uint8Array, limits: ZipLimits = {}, options: { oidRoot?: string } = {}): Promise<LegacyContent> {
  const xdm = await readXdm(zip, limits);
  const out: LegacyContent = { hprim: [], reports: [], text: '', attachments: [], alert: 'none', subjectTag: '', issues: [...xdm.issues] };
  const texts: string[] = [];
  for (const d of xdm.documents) {
    const isXml = /xml/i.test(d.metadata.mimeType) || /\.XML$/i.test(d.path);
    if (isXml) {
      try {
        const r = cdaToLegacy(new TextDecoder().decode(d.data), options);
        if (r.hprim && r.report) { out.hprim.push(r.hprim); out.reports.push(r.report); }
        texts.push(r.text);
        out.attachments.push(...r.attachments);
        continue;
      } catch (e) {
        if (!(e instanceof CdaReadError)) throw e;
        out.issues.push(`${d.path}: ${e.message}`);
      }
    }
    const name = d.path.slice(d.path.lastIndexOf('/') + 1);
    out.attachments.push({ filename: name, contentType: d.metadata.mimeType || 'application/octet-stream', data: d.data });
  }
  out.text = texts.join('\n----------------------------------------\n\n');
  out.attachments.push({ filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: zip });
  const levels = out.reports.map(alertOf);
  out.alert = levels.includes('panic') ? 'panic' : levels.includes('abnormal') ? 'abnormal' : 'none';
  const worst = out.reports.find((r) => alertOf(r) === out.alert);
  out.subjectTag = worst ? alertSubjectTag(worst) : '';
  return out;
}
