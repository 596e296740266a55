import { statusLabelFr } from './status-labels-fr.js';

/**
 * A national delivery or disposition notification (RFC 3464 DSN, RFC 8098 MDN) as a notice a
 * legacy subscriber can read: French, plain text, naming recipients and outcomes, never the
 * content or subject of the original.
 *
 * @example
 * legacyNotice(dsnText, 'dsn').subject; // 'Avis de non-remise'
 */
export interface LegacyNotice {
  subject: string;
  text: string;
}

interface StatusBlock {
  recipient: string;
  action?: string;
  status?: string;
  diagnostic?: string;
  disposition?: string;
}

/** The per-recipient blocks of a delivery-status or disposition-notification report. */
export function reportBlocks(text: string): StatusBlock[] {
  const blocks: StatusBlock[] = [];
  let cur: StatusBlock | null = null;
  for (const line of text.split(/\r?\n/)) {
    const m = line.match(/^([A-Za-z-]+):\s*(.*)$/);
    if (!m) continue;
    const name = m[1].toLowerCase();
    const value = m[2].trim();
    if (name === 'final-recipient') {
      cur = { recipient: value.replace(/^rfc822;\s*/i, '') };
      blocks.push(cur);
    } else if (cur && name === 'action') cur.action = value.toLowerCase();
    else if (cur && name === 'status') cur.status = value;
    else if (cur && name === 'diagnostic-code') cur.diagnostic = value.replace(/^smtp;\s*/i, '');
    else if (cur && name === 'disposition') cur.disposition = value;
  }
  return blocks;
}

export function legacyNotice(text: string, kind: 'dsn' | 'mdn' | 'notice', originalMessageId?: string): LegacyNotice {
  const blocks = reportBlocks(text);
  const ref = originalMessageId ? ` (référence ${originalMessageId})` : '';
  const lines: string[] = ['Bonjour,', ''];
  let subject: string;
  if (kind === 'mdn' || blocks.some((b) => b.disposition)) {
    subject = 'Accusé de traitement';
    lines.push(`La messagerie sécurisée de santé (MSSanté) signale, pour votre message${ref} :`, '');
    for (const b of blocks) {
      const d = (b.disposition ?? '').toLowerCase();
      const what = d.includes('processed/error') || d.includes('/error') ? 'n\'a pas pu être traité par la messagerie du destinataire'
        : d.includes('displayed') ? 'a été affiché par le destinataire'
          : d.includes('deleted') ? 'a été supprimé sans avoir été lu'
            : 'a été reçu et traité par la messagerie du destinataire';
      lines.push(`  - ${b.recipient} : ${what}`);
    }
  } else {
    const delayed = blocks.length > 0 && blocks.every((b) => b.action === 'delayed');
    subject = delayed ? 'Avis de retard de remise' : 'Avis de non-remise';
    lines.push(`La messagerie sécurisée de santé (MSSanté) signale que votre message${ref} ${delayed ? 'n\'a pas encore pu être remis' : 'n\'a pas pu être remis'} :`, '');
    for (const b of blocks) {
      const status = b.status ?? (b.diagnostic?.match(/\b([245]\.\d+\.\d+)\b/)?.[1] ?? '');
      lines.push(`  - ${b.recipient} : ${status ? `${statusLabelFr(status)} (${status})` : b.action ?? 'état inconnu'}`);
      if (b.diagnostic) lines.push(`    réponse du serveur : ${b.diagnostic}`);
    }
  }
  if (blocks.length === 0) lines.push('  (le détail n\'a pas pu être lu ; le texte de l\'avis suit)', '', ...text.split(/\r?\n/).slice(0, 40).map((l) => `    ${l}`));
  lines.push('', 'Ceci est un message automatique transmis par la passerelle : merci de ne pas y répondre.', '');
  return { subject, text: lines.join('\r\n') };
}
