import type { OutboundMessage } from '../../core/model/message.js';

/**
 * The subject the gateway writes on the legacy network, where subjects travel in clear:
 * the document kind, an alert tag when a result needs attention, and a reference. Never a
 * subject received from the national side (it may name a patient).
 *
 * @example
 * neutralSubject(m); // 'Compte rendu de biologie [URGENT] - ref. 7FG2K9QX'
 */
const KIND_LABEL: Record<OutboundMessage['content']['kind'], string> = {
  'lab-report': 'Compte rendu de biologie',
  letter: 'Message sécurisé',
  notification: 'Avis de non-remise',
};

export function neutralSubject(m: OutboundMessage): string {
  const label = m.content.kind === 'notification' ? m.subject || KIND_LABEL.notification : KIND_LABEL[m.content.kind];
  const tag = m.priority === 'urgent' ? ' [URGENT]' : '';
  return `${label}${tag} - réf. ${m.sourceId.slice(-8)}`;
}
