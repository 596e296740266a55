import type { FailureNotice } from '../../core/ports/adapter.js';

/**
 * The French text of a failure notice for a legacy subscriber. It names the recipients and
 * the reply of the peer or the gateway, never the content of the message.
 */
export function failureNoticeText(n: FailureNotice): string {
  const when = new Date(n.original.receivedAt).toLocaleString('fr-FR', { timeZone: 'Europe/Paris' });
  const lines = [
    'Bonjour,',
    '',
    `Votre message du ${when} (référence ${n.original.id}) n'a pas pu être remis`,
    'par la passerelle vers la messagerie sécurisée de santé (MSSanté) :',
    '',
    ...n.failures.map((f) => `  - ${f.recipient} : ${f.reply}`),
    '',
    `Motif : ${n.reason}`,
    '',
    'Le contenu de votre message n\'a pas été transmis. Vous pouvez le renvoyer, ou',
    'contacter votre correspondant par un autre moyen.',
    '',
    'Ceci est un message automatique de la passerelle : merci de ne pas y répondre.',
    '',
  ];
  return lines.join('\r\n');
}
