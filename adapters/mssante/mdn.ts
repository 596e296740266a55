/**
 * Message disposition notifications (RFC 8098) the gateway writes for national senders:
 * `processed` once a message is handed to the legacy network, `processed/error` when it
 * could not be. Only when the original asks (`Disposition-Notification-To`), never in
 * reply to a notification (see `notification-rules.ts`). No `node:` imports.
 *
 * Privacy: the human part names no subject and no patient; the third part is the
 * original's header section by default (`text/rfc822-headers`), the full original on request.
 */
import { mdnRecipient, type HeaderBag } from './notification-rules.js';
import { buildReport, field, headerSection, newMessageId, rfc5322Date } from './report.js';

export interface MdnInput {
  /** Header fields of the original (to find Disposition-Notification-To and the rules). */
  originalHeaders: HeaderBag;
  /** Envelope sender of the original ('' for the null sender). */
  originalSender: string;
  /** The original's Message-ID, with angle brackets, when it had one. */
  originalMessageId: string | null;
  /** The recipient the disposition is about (the final recipient, on the national side). */
  finalRecipient: string;
  /** The address as first given (Original-Recipient), when known. */
  originalRecipient?: string;
  disposition: 'processed' | 'processed/error';
  /** For `processed/error`: why, in words safe to send (no patient data). */
  errorText?: string;
  /** The gateway's address that signs the MDN (From). */
  from: string;
  /** `Reporting-UA` value, e.g. `passerelle.example.fr; Passerelle/0.1`. */
  reportingUa: string;
  /** The original message (for the third part). */
  originalRaw?: Uint8Array;
  /** Third part: the original's headers (default) or the full original. */
  include?: 'headers' | 'full' | 'none';
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

/**
 * The MDN, or null when none may be sent.
 *
 * @example
 * const mdn = buildMdn({ originalHeaders, originalSender, originalMessageId: '<a@b>', finalRecipient: 'x@passerelle.fr',
 *   disposition: 'processed', from: 'postmaster@passerelle.fr', reportingUa: 'passerelle.fr; Passerelle/0.1', originalRaw });
 */
export function buildMdn(input: MdnInput): WrittenNotice | null {
  const to = mdnRecipient(input.originalHeaders, input.originalSender);
  if (!to) return null;
  const domain = input.from.slice(input.from.lastIndexOf('@') + 1) || 'localhost';
  const messageId = newMessageId(domain);
  const error = input.disposition === 'processed/error';
  const fields = [
    `Reporting-UA: ${field(input.reportingUa)}`,
    ...(input.originalRecipient ? [`Original-Recipient: rfc822;${field(input.originalRecipient)}`] : []),
    `Final-Recipient: rfc822;${field(input.finalRecipient)}`,
    ...(input.originalMessageId ? [`Original-Message-ID: ${field(input.originalMessageId)}`] : []),
    `Disposition: automatic-action/MDN-sent-automatically; ${input.disposition}`,
    ...(error && input.errorText ? [`Error: ${field(input.errorText)}`] : []),
  ];
  const human = error
    ? `Votre message à ${input.finalRecipient} n'a pas pu être traité par la passerelle.\n` +
      `Your message to ${input.finalRecipient} could not be processed by the gateway.\n` +
      (input.errorText ? `\n${input.errorText}\n` : '')
    : `Votre message à ${input.finalRecipient} a été traité par la passerelle.\nYour message to ${input.finalRecipient} was processed by the gateway.\n`;
  const include = input.include ?? 'headers';
  const raw = buildReport({
    headers: {
      From: input.from,
      To: to,
      Subject: error ? 'Disposition notification (processed/error)' : 'Disposition notification (processed)',
      Date: rfc5322Date(input.date ?? new Date()),
      'Message-ID': messageId,
      ...(input.originalMessageId ? { 'In-Reply-To': input.originalMessageId, References: input.originalMessageId } : {}),
      'Auto-Submitted': 'auto-replied',
    },
    reportType: 'disposition-notification',
    human,
    machine: { contentType: 'message/disposition-notification', fields },
    original: input.originalRaw && include !== 'none'
      ? { kind: include, bytes: include === 'headers' ? headerSection(input.originalRaw) : input.originalRaw }
      : undefined,
  });
  return { to, mailFrom: '', raw, messageId };
}
