/**
 * When the gateway may write a notification (MDN or DSN) about a message: never about a
 * notification, never to the null sender, never about an auto-submitted message for MDNs.
 * No `node:` imports.
 */

/** Header fields of the original that decide (names case-insensitive). */
export type HeaderBag = Record<string, string | undefined>;

function get(headers: HeaderBag, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/**
 * Is this message itself a notification (an MDN, a DSN, or another automatic report)?
 *
 * @example
 * isNotification({ 'Content-Type': 'multipart/report; report-type=disposition-notification; boundary=x' }); // true
 */
export function isNotification(headers: HeaderBag): boolean {
  const ct = (get(headers, 'content-type') ?? '').toLowerCase();
  if (ct.startsWith('multipart/report')) return true;
  if (ct.startsWith('message/disposition-notification') || ct.startsWith('message/delivery-status')) return true;
  return false;
}

/**
 * Is it an automatic message (RFC 3834 `Auto-Submitted` other than `no`)?
 */
export function isAutoSubmitted(headers: HeaderBag): boolean {
  const v = (get(headers, 'auto-submitted') ?? 'no').trim().toLowerCase();
  return v !== '' && !v.startsWith('no');
}

/**
 * The address an MDN goes to, or null when none may be sent: only when the original asks
 * (`Disposition-Notification-To`), never in reply to a notification, never for a message
 * from the null sender or an auto-submitted one, and (RFC 8098 §2.1, restated by the
 * national guide) never automatically when the address asked differs from the return path
 * (the envelope sender): the gateway has no user to confirm it.
 *
 * @example
 * mdnRecipient({ 'Disposition-Notification-To': '<dr.martin@medecin.mssante.fr>' }, 'dr.martin@medecin.mssante.fr');
 * // 'dr.martin@medecin.mssante.fr'
 * mdnRecipient({ 'Disposition-Notification-To': 'other@medecin.mssante.fr' }, 'dr.martin@medecin.mssante.fr'); // null
 */
export function mdnRecipient(headers: HeaderBag, envelopeSender: string, o: { requireSenderMatch?: boolean } = {}): string | null {
  const dnt = get(headers, 'disposition-notification-to');
  if (!dnt || envelopeSender === '' || isNotification(headers) || isAutoSubmitted(headers)) return null;
  const m = dnt.match(/<([^<>\s]+@[^<>\s]+)>/) ?? dnt.match(/([^\s<>,;:"]+@[^\s<>,;:"]+)/);
  if (!m) return null;
  if ((o.requireSenderMatch ?? true) && m[1].toLowerCase() !== envelopeSender.toLowerCase()) return null;
  return m[1];
}

/**
 * May a DSN be written about this message? Never to the null sender (RFC 3464 §2,
 * RFC 5321 §4.5.5), never about a DSN or MDN.
 */
export function dsnAllowed(headers: HeaderBag, envelopeSender: string): boolean {
  return envelopeSender !== '' && !isNotification(headers);
}
