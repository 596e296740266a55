import type { Attachment, Content } from '../../core/model/content.js';
import type { OutboundMessage } from '../../core/model/message.js';
import type { Translator } from '../../core/ports/translator.js';
import { letterToLegacyText, legacyTextToLetter } from '../letter/letter.js';
import type { ZipLimits } from '../xdm/zip-read.js';
import type { Sha1 } from '../xdm/sha1.js';
import type { Crc32 } from '../../lib/crc32.js';
import type { DeflateRaw, InflateRaw } from '../../lib/deflate.js';
import { hprimToNational } from './hprim-to-national.js';
import { xdmToLegacy } from './xdm-to-legacy.js';
import { legacyNotice } from '../notification/legacy-notice.js';
import { reportText } from '../letter/report-text.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import { issueLabelFr } from '../hprim/issue.js';

export interface ClinicalTranslatorOptions {
  /** Limits for reading `IHE_XDM.ZIP` from the national side. */
  xdmLimits?: ZipLimits;
  /** OID root for generated identifiers. */
  oidRoot?: string;
  now?: () => Date;
  /** The ZIP compressor for `IHE_XDM.ZIP` (default pure JS; the Node runtime gives native zlib). */
  deflateRaw?: DeflateRaw;
  /** The bounded inflater for reading `IHE_XDM.ZIP` (default pure JS; the Node runtime gives native zlib). */
  inflateRaw?: InflateRaw;
  /** The SHA-1 of XDM metadata hashes, written and checked (default WebCrypto; the Node runtime gives `node:crypto`'s). */
  sha1?: Sha1;
  /** The CRC-32 of `IHE_XDM.ZIP` entries, written and checked (default `lib/crc32.ts`; the Node runtime gives zlib's). */
  crc32?: Crc32;
}

const NEUTRAL_SUBJECT = 'Compte rendu de biologie';

function isXdm(a: Attachment): boolean {
  return /^IHE_XDM\.ZIP$/i.test(a.filename) || (a.contentType === 'application/zip' && /xdm/i.test(a.filename));
}

/**
 * The clinical translator for the pipeline (`Translator` of `core/ports/translator.ts`):
 *
 * - legacy → national: an HPRIM lab report becomes a CR-BIO in `IHE_XDM.ZIP` (content
 *   keeps `hprim`, so the national adapter also attaches the original), a plain-text body,
 *   `X-MSS-CODECDA`, urgent priority for panic values and a neutral alert tag in the
 *   subject; a letter gets an HTML rendering.
 * - national → legacy: an `IHE_XDM.ZIP` becomes HPRIM (CR-BIO) or plain text, with its PDFs
 *   and the original archive as attachments; a letter's HTML is rendered to text.
 *
 * Anything it cannot map travels as it came (lossless rule), except an `IHE_XDM.ZIP` that is
 * hostile or unreadable: that one throws, and the pipeline quarantines the message.
 *
 * @example
 * const gateway = createGateway({ translator: createClinicalTranslator({ xdmLimits: { maxTotalBytes: 20 << 20 } }) });
 */
export function createClinicalTranslator(options: ClinicalTranslatorOptions = {}): Translator {
  return async (m, t) => {
    const base: OutboundMessage = {
      sourceId: m.envelope.id, target: t.network, from: t.from, to: t.to ?? t.recipients, cc: t.cc ?? [], recipients: t.recipients, subject: m.subject,
      originalMessageId: m.envelope.messageId ?? undefined, inReplyTo: m.inReplyTo, priority: 'normal',
      content: m.content, headers: { 'Message-ID': t.messageId },
    };
    const c = m.content;
    if (t.network === 'mssante') {
      if (c.kind === 'lab-report' && c.hprim) {
        const out = await hprimToNational(c.hprim, { now: options.now?.(), oidRoot: options.oidRoot, deflateRaw: options.deflateRaw, sha1: options.sha1, crc32: options.crc32 });
        if (!out.cda || !out.xdm || !out.report) {
          // No header found: the report travels as text (and the original attachment), never as a wrong structure; the reader is told why, in French.
          const note = out.issues.map(issueLabelFr).join('\n');
          return note ? { ...base, content: { ...c, text: `Remarque de la passerelle :\n${note}\n\n${c.text}` } } : base;
        }
        const content: Content = {
          kind: 'lab-report', hprim: c.hprim, report: out.report,
          text: reportText(out.report),
          attachments: [...c.attachments, { filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: out.xdm }],
        };
        return {
          ...base, content,
          subject: `${out.subjectTag} ${m.subject || NEUTRAL_SUBJECT}`.trim(),
          priority: out.alert === 'panic' ? 'urgent' : 'normal',
          headers: { ...base.headers, 'X-MSS-CODECDA': out.cda.code },
        };
      }
      if (c.kind === 'letter' && !c.html) return { ...base, content: legacyTextToLetter(c.text, c.attachments) };
      return base;
    }
    // Towards the legacy network.
    if (c.kind === 'notification') {
      // A national DSN or MDN becomes a French notice; the original's headers part is not carried.
      const notice = legacyNotice(c.text, c.notification, c.originalMessageId);
      return { ...base, subject: notice.subject, content: { ...c, text: notice.text, attachments: [] } };
    }
    if (c.kind === 'letter' || c.kind === 'lab-report') {
      const xdm = c.attachments.find(isXdm);
      if (xdm) {
        try {
          const legacy = await xdmToLegacy(xdm.data, options.xdmLimits, { oidRoot: options.oidRoot, sha1: options.sha1, inflateRaw: options.inflateRaw, crc32: options.crc32 });
          const others = c.attachments.filter((a) => a !== xdm);
          const note = c.kind === 'letter' ? letterToLegacyText(c).text.trim() : c.text.trim();
          const content: Content = legacy.hprim.length
            ? { kind: 'lab-report', hprim: legacy.hprim.join(''), report: legacy.reports[0], text: legacy.text, attachments: [...others, ...legacy.attachments] }
            : { kind: 'letter', text: [note, legacy.text].filter(Boolean).join('\n\n'), attachments: [...others, ...legacy.attachments] };
          return { ...base, content, priority: legacy.alert === 'panic' ? 'urgent' : 'normal' };
        } catch (e) {
          // A hostile or unreadable archive is never forwarded: the pipeline quarantines the
          // message with the rule it broke (5.6.0 / 5.7.0) and tells its sender.
          if (e instanceof GatewayError) throw e;
          throw new GatewayError('CANNOT_TRANSLATE', { detail: `IHE_XDM.ZIP: ${e instanceof Error ? e.name : 'error'}` });
        }
      }
      if (c.kind === 'letter') {
        const { text, attachments } = letterToLegacyText(c);
        return { ...base, content: { kind: 'letter', text, attachments } };
      }
    }
    return base;
  };
}
