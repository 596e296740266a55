import type { NetworkId } from './network.js';

/** Where a message came from: a network, or the gateway itself (notices it writes). */
export type Origin = NetworkId | 'gateway';

/**
 * What the gateway knows of a received message before opening it: the SMTP envelope and
 * where its raw bytes are kept. The raw bytes are stored before the sender is told `250`.
 *
 * @example
 * const env: Envelope = {
 *   id: '01JD2Z6Q7X0000000000000000', source: 'legacy',
 *   mailFrom: 'labo.bio33@medical33.lnp.test',
 *   recipients: ['jean.dupont.med@interop.lnp.test'],
 *   messageId: '<lab-result@medical33.lnp.test>', receivedAt: Date.now(), size: 1346,
 *   rawRef: 'db:01JD2Z6Q7X0000000000000000',
 * };
 */
export interface Envelope {
  /** Gateway message id: sortable, unique, never reused. */
  id: string;
  /** The network the message came from, or `gateway` for a notice the gateway wrote. */
  source: Origin;
  /** Envelope sender (MAIL FROM); empty string for the null sender `<>`. */
  mailFrom: string;
  /** Envelope recipients (RCPT TO) that the gateway accepted, lower-cased. */
  recipients: string[];
  /** The Message-ID header, with angle brackets, or null when the message had none. */
  messageId: string | null;
  /** Reception time, epoch milliseconds. */
  receivedAt: number;
  /** Size of the raw message in bytes. */
  size: number;
  /** Reference to the raw bytes in the store (opaque to everything but the store). */
  rawRef: string;
  /** The peer that handed the message over. Never holds patient data. */
  remote?: RemotePeer;
}

export interface RemotePeer {
  address: string;
  /** HELO/EHLO name the peer gave. */
  helo?: string;
  /** Subject DN of the TLS client certificate, when one was presented and verified. */
  tlsSubject?: string;
  /** Authenticated user (SMTP AUTH), when any. */
  user?: string;
}
