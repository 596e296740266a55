/**
 * The gateway's error kinds and the SMTP reply each maps to (RFC 5321 codes, RFC 3463
 * enhanced status codes). Policy as data: a new kind is one row here.
 *
 * `text` is what a remote party may read (SMTP replies, notices across networks): it never
 * carries a patient's identity, a key or an address other than the one it is about.
 */
export const REPLY_CODES = {
  // Addressing
  UNKNOWN_RECIPIENT: { code: 550, status: '5.1.1', text: 'Recipient address unknown' },
  RECIPIENT_SUSPENDED: { code: 550, status: '5.2.1', text: 'Recipient mailbox disabled' },
  BAD_SENDER: { code: 553, status: '5.1.7', text: 'Sender address rejected' },
  RELAY_DENIED: { code: 554, status: '5.7.1', text: 'Relaying denied' },
  CLIENT_NOT_ALLOWED: { code: 554, status: '5.7.1', text: 'Client host not allowed' },
  TOO_MANY_RECIPIENTS: { code: 452, status: '4.5.3', text: 'Too many recipients' },
  // Size and content
  MESSAGE_TOO_BIG: { code: 552, status: '5.3.4', text: 'Message size exceeds the limit' },
  MALFORMED_MESSAGE: { code: 550, status: '5.6.0', text: 'Message content could not be read' },
  // Security
  TLS_REQUIRED: { code: 530, status: '5.7.0', text: 'Must issue a STARTTLS command first' },
  AUTH_REQUIRED: { code: 530, status: '5.7.0', text: 'Authentication required' },
  AUTH_FAILED: { code: 535, status: '5.7.8', text: 'Authentication credentials invalid' },
  CERT_REQUIRED: { code: 530, status: '5.7.0', text: 'A valid client certificate is required' },
  DOMAIN_NOT_TRUSTED: { code: 550, status: '5.7.1', text: 'Domain is not on the trust list' },
  DECRYPT_FAILED: { code: 550, status: '5.7.5', text: 'Message could not be decrypted' },
  SIGNATURE_INVALID: { code: 550, status: '5.7.7', text: 'Message integrity check failed' },
  // Local trouble (temporary)
  STORE_UNAVAILABLE: { code: 451, status: '4.3.0', text: 'Local error in processing, try again later' },
  SHUTTING_DOWN: { code: 421, status: '4.3.2', text: 'Service shutting down, try again later' },
  WORKER_FAILED: { code: 451, status: '4.3.0', text: 'Local error in processing, try again later' },
  // Delivery outcomes
  REMOTE_TEMPORARY: { code: 451, status: '4.4.1', text: 'Remote host did not accept the message yet' },
  REMOTE_PERMANENT: { code: 550, status: '5.0.0', text: 'Remote host refused the message' },
  NO_ROUTE: { code: 550, status: '5.4.4', text: 'No route to the recipient\u2019s network' },
  EXPIRED: { code: 554, status: '4.4.7', text: 'Delivery time expired' },
  // Processing inside the gateway (the message is quarantined)
  CANNOT_OPEN: { code: 550, status: '5.6.0', text: 'Message could not be opened' },
  CANNOT_TRANSLATE: { code: 550, status: '5.6.3', text: 'Message content could not be converted' },
  CANNOT_SEAL: { code: 451, status: '4.7.0', text: 'Message could not be protected for delivery' },
} as const satisfies Record<string, { code: number; status: string; text: string }>;

export type ErrorKind = keyof typeof REPLY_CODES;

/** Is an SMTP reply code (or enhanced status) permanent? */
export function isPermanent(code: number): boolean {
  return code >= 500 && code < 600;
}
