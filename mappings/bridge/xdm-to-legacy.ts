import type { Attachment, LabReport } from '../../core/model/content.js';
import { alertOf, alertSubjectTag, type AlertLevel } from '../alerts/alert.js';
import { cdaToLegacy, CdaReadError } from '../cda/read-cda.js';
import { readXdm, XdmError, type XdmReadCodecs } from '../xdm/read.js';
import { ZipSafetyError, type ZipLimits } from '../xdm/zip-read.js';
import { AttachmentNames } from '../xdm/attachment-names.js';
import { contentError } from '../safety/content-rules.js';

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
 * adapter wraps them in LPZ containers), and the original archive (lossless rule). An
 * archive or a CDA that breaks a safety rule (`mappings/safety/content-rules.ts`) throws a
 * `ContentSafetyError` and nothing of it is forwarded. Files are named from their
 * document's title or entry name, uniquely (`xdm/attachment-names.ts`).
 *
 * @example
 * const legacy = await xdmToLegacy(zip, { maxTotalBytes: 20 << 20 });
 * legacy.hprim[0] // '…****FINFICHIER****\r\n'
 */
export async function xdmToLegacy(zip: Uint8Array, limits: ZipLimits = {}, options: { oidRoot?: string } & XdmReadCodecs = {}): Promise<LegacyContent> {
  const xdm = await readXdmSafely(zip, limits, options);
  const out: LegacyContent = { hprim: [], reports: [], text: '', attachments: [], alert: 'none', subjectTag: '', issues: [...xdm.issues] };
  const texts: string[] = [];
  // Files taken out of the archive, named once every document is read (the patient's names are known then).
  const files: { title: string; fallback: string; attachment: Attachment }[] = [];
  for (const d of xdm.documents) {
    const entry = d.path.slice(d.path.lastIndexOf('/') + 1);
    const isXml = /xml/i.test(d.metadata.mimeType) || /\.XML$/i.test(d.path);
    if (isXml) {
      try {
        // A hostile CDA (DOCTYPE, entities, undecodable base64, too large) throws a ContentSafetyError: never caught here.
        const r = cdaToLegacy(new TextDecoder().decode(d.data), options);
        if (r.hprim && r.report) { out.hprim.push(r.hprim); out.reports.push(r.report); }
        texts.push(r.text);
        for (const a of r.attachments) files.push({ title: d.metadata.title, fallback: entry, attachment: a });
        continue;
      } catch (e) {
        if (!(e instanceof CdaReadError)) throw e;
        out.issues.push(`${d.path}: ${e.message}`);
      }
    }
    files.push({ title: d.metadata.title, fallback: entry, attachment: { filename: entry, contentType: d.metadata.mimeType || 'application/octet-stream', data: d.data } });
  }
  const names = new AttachmentNames(['IHE_XDM.ZIP'], out.reports.flatMap((r) => [...r.patient.lastName.split(/\s+/), ...r.patient.firstName.split(/\s+/)]));
  for (const f of files) {
    const ext = /\.([A-Za-z0-9]{1,8})$/.exec(f.attachment.filename)?.[1] ?? 'bin';
    out.attachments.push({ ...f.attachment, filename: names.take(f.title, f.fallback, ext) });
  }
  out.text = texts.join('\n----------------------------------------\n\n');
  out.attachments.push({ filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: zip });
  const levels = out.reports.map(alertOf);
  out.alert = levels.includes('panic') ? 'panic' : levels.includes('abnormal') ? 'abnormal' : 'none';
  const worst = out.reports.find((r) => alertOf(r) === out.alert);
  out.subjectTag = worst ? alertSubjectTag(worst) : '';
  return out;
}

/** `readXdm`, with every refusal of the archive or its metadata as the safety rule it breaks. */
async function readXdmSafely(zip: Uint8Array, limits: ZipLimits, codecs: XdmReadCodecs) {
  try {
    return await readXdm(zip, limits, codecs);
  } catch (e) {
    if (e instanceof ZipSafetyError || e instanceof XdmError) throw contentError(e.rule);
    throw e;
  }
}
