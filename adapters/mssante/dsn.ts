/**
 * Delivery status notifications (RFC 3464) the gateway writes for national senders when a
 * message could not be delivered (or is delayed). Never to the null sender, never about a
 * notification (see `notification-rules.ts`). No `node:` imports.
 */
import { dsnAllowed, type HeaderBag } from './notification-rules.js';
import { buildReport, field, headerSection, newMessageId } from './report.js';
import { rfc5322Date } from '../../lib/mime/date.js';
import type { WrittenNotice } from './mdn.js';

export interface DsnRecipient {
  /** Final-Recipient address. */
  recipient: string;
  /** Original-Recipient (as the sender gave it), when different. */
  originalRecipient?: string;
  action: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';
  /** Enhanced status, e.g. `5.1.1`. */
  status: string;
  /** The reply that decided, e.g. `550 5.1.1 Recipient address unknown` (Diagnostic-Code: smtp;). */
  reply?: string;
  /** The remote MTA that answered, when one did. */
  remoteMta?: string;
  /** For `delayed`: until when the gateway keeps trying. */
  willRetryUntil?: Date;
}

export interface DsnInput {
  /** The original's header fields and envelope sender (the DSN's recipient). */
  originalHeaders: HeaderBag;
  originalSender: string;
  originalMessageId: string | null;
  /** The gateway's name as reporting MTA (`Reporting-MTA: dns;NAME`). */
  reportingMta: string;
  /** From address, e.g. `MAILER-DAEMON@passerelle.example.fr`. */
  from: string;
  /** The gateway's id of the original (`Original-Envelope-Id`-like, X-Passerelle-Id). */
  envelopeId?: string;
  arrivalDate?: Date;
  recipients: DsnRecipient[];
  /** Human-readable reason (safe to send: no patient data). */
  reason: string;
  originalRaw?: Uint8Array;
  /** Third part: the original's headers (default) or the full original. */
  include?: 'headers' | 'full' | 'none';
  date?: Date;
}

/**
 * The DSN, or null when none may be sent.
 *
 * @example
 * const dsn = buildDsn({ originalHeaders, originalSender: 'dr.martin@medecin.mssante.fr', originalMessageId: '<a@b>',
 *   reportingMta: 'passerelle.example.fr', from: 'MAILER-DAEMON@passerelle.example.fr', reason: 'Unknown recipient',
 *   recipients: [{ recipient: 'x@passerelle.example.fr', action: 'failed', status: '5.1.1', reply: '550 5.1.1 Recipient address unknown' }] });
 */
export function buildDsn(input: DsnInput): WrittenNotice | null {
  if (!dsnAllowed(input.originalHeaders, input.originalSender) || input.recipients.length === 0) return null;
  const domain = input.from.slice(input.from.lastIndexOf('@') + 1) || 'localhost';
  const messageId = newMessageId(domain);
  const fields: string[] = [
    `Reporting-MTA: dns;${field(input.reportingMta)}`,
    ...(input.envelopeId ? [`X-Passerelle-Id: ${field(input.envelopeId)}`] : []),
    ...(input.arrivalDate ? [`Arrival-Date: ${rfc5322Date(input.arrivalDate)}`] : []),
  ];
  for (const r of input.recipients) {
    fields.push('');
    if (r.originalRecipient) fields.push(`Original-Recipient: rfc822;${field(r.originalRecipient)}`);
    fields.push(`Final-Recipient: rfc822;${field(r.recipient)}`, `Action: ${r.action}`, `Status: ${field(r.status)}`);
    if (r.remoteMta) fields.push(`Remote-MTA: dns;${field(r.remoteMta)}`);
    if (r.reply) fields.push(`Diagnostic-Code: smtp;${field(r.reply)}`);
    if (r.willRetryUntil) fields.push(`Will-Retry-Until: ${rfc5322Date(r.willRetryUntil)}`);
  }
  const failed = input.recipients.filter((r) => r.action === 'failed');
  const delayed = input.recipients.some((r) => r.action === 'delayed') && failed.length === 0;
  const human =
    (delayed
      ? 'Votre message n\u2019a pas encore pu être remis ; la passerelle réessaie.\nYour message could not be delivered yet; the gateway keeps trying.\n'
      : 'Votre message n\u2019a pas pu être remis.\nYour message could not be delivered.\n') +
    `\n${input.reason}\n\n` +
    input.recipients.map((r) => `  ${r.recipient}: ${r.reply ?? r.status}`).join('\n') + '\n';
  const include = input.include ?? 'headers';
  const raw = buildReport({
    headers: {
      From: input.from,
      To: input.originalSender,
      Subject: delayed ? 'Delivery delayed' : 'Undelivered mail returned to sender',
      Date: rfc5322Date(input.date ?? new Date()),
      'Message-ID': messageId,
      ...(input.originalMessageId ? { 'In-Reply-To': input.originalMessageId, References: input.originalMessageId } : {}),
      'Auto-Submitted': 'auto-replied',
    },
    reportType: 'delivery-status',
    human,
    machine: { contentType: 'message/delivery-status', fields },
    original: input.originalRaw && include !== 'none'
      ? { kind: include, bytes: include === 'headers' ? headerSection(input.originalRaw) : input.originalRaw }
      : undefined,
  });
  return { to: input.originalSender, mailFrom: '', raw, messageId };
}
