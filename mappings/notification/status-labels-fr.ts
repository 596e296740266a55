/**
 * French labels of RFC 3463 enhanced status codes, for notices read by doctors. Policy as
 * data: the most specific code first, then the class and subject (`5.1.x`), then the class.
 */
export const STATUS_LABELS_FR: Record<string, string> = {
  '5.1.1': 'adresse du destinataire inconnue',
  '5.1.2': 'domaine du destinataire inconnu',
  '5.1.6': 'le destinataire a changé d\'adresse',
  '5.2.1': 'boîte aux lettres du destinataire désactivée',
  '5.2.2': 'boîte aux lettres du destinataire pleine',
  '5.3.4': 'message trop volumineux',
  '5.4.4': 'aucune route vers le destinataire',
  '4.4.7': 'délai de remise dépassé',
  '5.4.7': 'délai de remise dépassé',
  '5.7.1': 'refusé par la politique de sécurité du destinataire',
  '5.7.5': 'le message n\'a pas pu être déchiffré',
  '5.1': 'adresse du destinataire refusée',
  '5.2': 'boîte aux lettres du destinataire indisponible',
  '5.7': 'refusé pour une raison de sécurité',
  '4': 'remise retardée, nouvelles tentatives en cours',
  '5': 'remise impossible',
  '2': 'remis',
};

/** The French label of a status, from the most specific entry of the table. */
export function statusLabelFr(status: string): string {
  const [c, s] = status.split('.');
  return STATUS_LABELS_FR[status] ?? STATUS_LABELS_FR[`${c}.${s}`] ?? STATUS_LABELS_FR[c] ?? 'état inconnu';
}
