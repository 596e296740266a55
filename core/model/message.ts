import type { Content } from './content.js';
import type { Envelope } from './envelope.js';
import type { NetworkId } from './network.js';

/** A change made to the text so that the target network can carry it (e.g. `œ` → `oe`). */
export interface TextChange {
  from: string;
  to: string;
  count: number;
}

/**
 * A message once its adapter has opened it: who wrote to whom, and what it says.
 * Header addresses are the ones the author wrote; envelope recipients decide delivery.
 */
export interface OpenedMessage {
  envelope: Envelope;
  from: string;
  to: string[];
  cc: string[];
  /** Subject as received. Never copied to the legacy network (it may name a patient). */
  subject: string;
  date?: string;
  /** Message-ID of the message this one answers, when any. */
  inReplyTo?: string;
  /** Does the sender ask for a disposition notification (MDN)? Address to send it to. */
  dispositionNotificationTo?: string;
  content: Content;
  /** Network-specific facts kept for later stages (e.g. the legacy `#DESTBEGIN#` list). */
  meta: Record<string, string | string[]>;
}

/**
 * A message ready to be sealed for one recipient of the target network.
 * `from` is the address the recipient sees (the sender's alias on the target network).
 */
export interface OutboundMessage {
  /** Gateway message id of the message this one was made from. */
  sourceId: string;
  target: NetworkId;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  /** The original Message-ID, carried as a reference header. */
  originalMessageId?: string;
  inReplyTo?: string;
  priority: 'normal' | 'urgent';
  content: Content;
  /** Extra header fields the target network asks for (e.g. `X-MSS-*`). */
  headers: Record<string, string>;
  /** Encryption certificates (PEM) of recipients that publish one, by target address. */
  recipientCertificates?: Record<string, string>;
  /** A notice the target adapter already wrote in its wire form (an RFC 3464 DSN, an RFC 8098 MDN): sealing hands it over as it is. */
  wire?: Uint8Array;
}

/** A message in its wire form for one network, ready to hand over. */
export interface SealedMessage {
  target: NetworkId;
  /** Envelope sender on the target network. */
  mailFrom: string;
  /** Envelope recipients on the target network. */
  recipients: string[];
  /** The RFC 5322 message, CRLF line ends. */
  raw: Uint8Array;
  /** What sealing did that the trace should record (characters transliterated, S/MIME applied). No patient data. */
  notes?: string[];
}
