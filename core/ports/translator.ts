import { alertLevel } from '../model/content.js';
import type { OpenedMessage, OutboundMessage } from '../model/message.js';
import type { NetworkId } from '../model/network.js';

/** What a translator is told about one delivery group: the target and the routed recipients. */
export interface TranslationTarget {
  network: NetworkId;
  /** Target-network addresses of the recipients due now. */
  recipients: string[];
  /** The sender's address on the target network (its alias there). */
  from: string;
  /** A Message-ID that stays the same on every attempt for this message and network. */
  messageId: string;
}

/**
 * Turns an opened message into the message a target network receives. The clinical
 * mappings (`mappings/`) plug in here; the default keeps the content as it is.
 */
export type Translator = (message: OpenedMessage, target: TranslationTarget) => Promise<OutboundMessage>;

/**
 * The default translation: same content, the sender's alias as author, the routed
 * recipients, and an urgent priority when a lab report carries a panic value.
 */
export const passThroughTranslator: Translator = async (m, t) => ({
  sourceId: m.envelope.id,
  target: t.network,
  from: t.from,
  to: t.recipients,
  cc: [],
  subject: m.subject,
  originalMessageId: m.envelope.messageId ?? undefined,
  inReplyTo: m.inReplyTo,
  priority: alertLevel(m.content) === 'panic' ? 'urgent' : 'normal',
  content: m.content,
  headers: { 'Message-ID': t.messageId },
});
