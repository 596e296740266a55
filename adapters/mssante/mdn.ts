/**
 * Message disposition notifications (RFC 8098) the gateway writes for national senders, in
 * the form the national guide asks (`mdn-guide.ts`): `processed` once a message is handed
 * to the legacy network, `processed/Error: CODE^LABEL` when it could not be (a code and label
 * from the guide's table). Only when the original asks (`Disposition-Notification-To`, the
 * return path's own address), never in reply to a notification (see `notification-rules.ts`).
 * No `node:` imports.
 *
 * Privacy: the human part and the subject name no subject and no patient (the guide's
 * subject would end with the patient's name and birth date: the gateway leaves that tail
 * out). The third part is the original as its sender sent it (`message/rfc822`, the guide),
 * or its header section (`text/rfc822-headers`) on request or when it is too large.
 */
import { mdnRecipient, type HeaderBag } from './notification-rules.js';
import { buildReport, field, headerSection, newMessageId, type ReportFile } from './report.js';
import { rfc5322Date } from '../../lib/mime/date.js';
import { asciiField, guideErrorValue, MDN_DEFAULT_CODE, GUIDE_ERROR_CODES, type MdnError } from './mdn-guide.js';
import { encodedWord } from '../../lib/mime/mime-writer.js';

export interface MdnInput {
  /** Header fields of the original (to find Disposition-Notification-To and the rules). */
  originalHeaders: HeaderBag;
  /** Envelope sender of the original ('' for the null sender). */
  originalSender: string;
  /** The original's Message-ID, with angle brackets, when it had one. */
  originalMessageId: string | null;
  /** The recipient the disposition is about (the final recipient, on the national side). */
  finalRecipient: string;
  /**
   * The address as the sender gave it (Original-Recipient, which the guide requires). By
   * default the original's `Original-Recipient` header field, else `finalRecipient`.
   */
  originalRecipient?: string;
  disposition: 'processed' | 'processed/error';
  /** For `processed/error`: the guide's code and label (`mdnErrorFor`); 906 "Erreur 'Autre'" when absent. */
  error?: MdnError;
  /** For `processed/error`: the gateway's reason, a reply line safe to send (no patient data). */
  errorText?: string;
  /** The gateway's address that signs the MDN (From). */
  from: string;
  /** `Reporting-UA` value, e.g. `passerelle.example.fr; Passerelle/0.1`. */
  reportingUa: string;
  /** The original message (for the third part). */
  originalRaw?: Uint8Array;
  /** Third part: the full original (default, the guide), its header section, or nothing. */
  include?: 'headers' | 'full' | 'none';
  /** The original's files given back after the third part (the guide: IHE_XDM.ZIP, PDF). */
  files?: ReportFile[];
  /** RFC 8098 §2.1: no MDN when Disposition-Notification-To is not the envelope sender (default true). */
  requireSenderMatch?: boolean;
  date?: Date;
}

export interface WrittenNotice {
  /** Envelope recipient. */
  to: string;
  /** Envelope sender: always the null sender for notifications. */
  mailFrom: '';
  raw: Uint8Array;
  messageId: string;
}

/** The guide's subject prefix for an MDN in error. */
export const KO_PREFIX = '[KO Intégration système !]';

/** `rfc822;ADDRESS` → `ADDRESS` (the value of an Original-Recipient field). */
function addressOf(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const a = v.slice(v.indexOf(';') + 1).trim().replace(/^<|>$/g, '');
  return /^[^\s@<>]+@[^\s@<>]+$/.test(a) ? a : undefined;
}

function header(headers: HeaderBag, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/**
 * The MDN, or null when none may be sent.
 *
 * @example
 * const mdn = buildMdn({ originalHeaders, originalSender, originalMessageId: '<a@b>', finalRecipient: 'x@passerelle.fr',
 *   disposition: 'processed/error', error: mdnErrorFor('550 5.7.5 Message could not be decrypted'),
 *   errorText: '550 5.7.5 Message could not be decrypted', from: 'postmaster@passerelle.fr',
 *   reportingUa: 'passerelle.fr; Passerelle/0.1', originalRaw });
 * // Disposition: automatic-action/MDN-sent-automatically; processed/Error: 906^Erreur 'Autre'
 */
export function buildMdn(input: MdnInput): WrittenNotice | null {
  const to = mdnRecipient(input.originalHeaders, input.originalSender, { requireSenderMatch: input.requireSenderMatch ?? true });
  if (!to) return null;
  const domain = input.from.slice(input.from.lastIndexOf('@') + 1) || 'localhost';
  const messageId = newMessageId(domain);
  const failed = input.disposition === 'processed/error';
  const error = input.error ?? { code: MDN_DEFAULT_CODE, label: GUIDE_ERROR_CODES[MDN_DEFAULT_CODE].label };
  const value = guideErrorValue(error);
  const detail = input.errorText ? asciiField(input.errorText) : '';
  const originalRecipient = input.originalRecipient ?? addressOf(header(input.originalHeaders, 'original-recipient')) ?? input.finalRecipient;
  const fields = [
    `Reporting-UA: ${field(input.reportingUa)}`,
    `Original-Recipient: rfc822;${field(originalRecipient)}`,
    `Final-Recipient: rfc822;${field(input.finalRecipient)}`,
    ...(input.originalMessageId ? [`Original-Message-ID: ${field(input.originalMessageId)}`] : []),
    `Disposition: automatic-action/MDN-sent-automatically; ${failed ? `processed/Error: ${value}` : 'processed'}`,
    // RFC 8098 §3.2.7, for readers that parse the Disposition field by the RFC's grammar.
    ...(failed ? [`Error: ${value}${detail ? `; ${detail}` : ''}`] : []),
  ];
  const include = input.include ?? 'full';
  const returned = input.originalRaw && include !== 'none' ? include : 'none';
  const below = returned === 'full' ? 'Le message ci-dessous' : 'Le message dont l\'en-tête figure ci-dessous';
  const belowEn = returned === 'full' ? 'The message below' : 'The message whose header is below';
  const human = failed
    ? `${below} n'a pas pu être intégré automatiquement pour ${input.finalRecipient} pour la raison suivante : ${error.label} (code ${error.code}).\n` +
      `Le système a retourné l'erreur ${error.code}^${error.label}.\n` +
      (input.errorText ? `Détail : ${field(input.errorText)}\n` : '') +
      `\n${belowEn} could not be processed for ${input.finalRecipient}: error ${error.code}^${asciiField(error.label)}.\n` +
      (input.errorText ? `Detail: ${field(input.errorText)}\n` : '')
    : `${below} a été traité par la passerelle et remis au réseau de messagerie de ${input.finalRecipient}.\n` +
      `${belowEn} was processed by the gateway and handed to the network of ${input.finalRecipient}.\n`;
  // The guide: `XDM/1.0/DDM+<libellé> <NOM> <prénom> <date de naissance>`, prefixed by
  // `[KO Intégration système !][code] ` in error. The tail names the patient: left out.
  const xdm = (header(input.originalHeaders, 'x-mss-codecda') ?? '').trim() !== '';
  const base = xdm ? 'XDM/1.0/DDM' : 'Accusé de traitement';
  const subject = failed ? `${KO_PREFIX}[${asciiField(error.code)}] ${base}` : base;
  const raw = buildReport({
    headers: {
      From: input.from,
      To: to,
      Subject: /^[\x20-\x7e]*$/.test(subject) ? subject : encodedWord(subject),
      Date: rfc5322Date(input.date ?? new Date()),
      'Message-ID': messageId,
      ...(input.originalMessageId ? { 'In-Reply-To': input.originalMessageId, References: input.originalMessageId } : {}),
      'Auto-Submitted': 'auto-replied',
    },
    reportType: 'disposition-notification',
    human,
    machine: { contentType: 'message/disposition-notification', fields },
    original: input.originalRaw && returned !== 'none'
      ? { kind: returned, bytes: returned === 'headers' ? headerSection(input.originalRaw) : input.originalRaw }
      : undefined,
    files: returned === 'full' ? input.files : undefined,
  });
  return { to, mailFrom: '', raw, messageId };
}
