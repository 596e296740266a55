import { describe, it, expect } from 'vitest';
import { legacyNotice, reportBlocks } from '../../mappings/notification/legacy-notice.js';
import { statusLabelFr } from '../../mappings/notification/status-labels-fr.js';

const DSN = 'Your message could not be delivered.\n\nReporting-MTA: dns;mx.medecin.mssante.fr\n\nFinal-Recipient: rfc822;x@medecin.mssante.fr\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp;550 5.1.1 unknown\n\nFinal-Recipient: rfc822;y@medecin.mssante.fr\nAction: failed\nStatus: 5.2.2\n';
const MDN = 'Reporting-UA: mx.medecin.mssante.fr\nFinal-Recipient: rfc822;x@medecin.mssante.fr\nOriginal-Message-ID: <a@b>\nDisposition: automatic-action/MDN-sent-automatically; processed\n';

describe('national notifications as French notices for the legacy network', () => {
  it('reads every recipient block of a DSN', () => {
    expect(reportBlocks(DSN)).toEqual([
      { recipient: 'x@medecin.mssante.fr', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 unknown' },
      { recipient: 'y@medecin.mssante.fr', action: 'failed', status: '5.2.2' },
    ]);
  });

  it('writes a non-delivery notice in French, per recipient, with the server reply', () => {
    const n = legacyNotice(DSN, 'dsn', '<orig@x>');
    expect(n.subject).toBe('Avis de non-remise');
    expect(n.text).toContain('x@medecin.mssante.fr : adresse du destinataire inconnue (5.1.1)');
    expect(n.text).toContain('réponse du serveur : 550 5.1.1 unknown');
    expect(n.text).toContain('y@medecin.mssante.fr : boîte aux lettres du destinataire pleine (5.2.2)');
    expect(n.text).toContain('(référence <orig@x>)');
  });

  it('writes a processing acknowledgement for an MDN', () => {
    const n = legacyNotice(MDN, 'mdn');
    expect(n.subject).toBe('Accusé de traitement');
    expect(n.text).toContain('x@medecin.mssante.fr : a été reçu et traité par la messagerie du destinataire');
  });

  it('labels statuses from the table, most specific first', () => {
    expect(statusLabelFr('5.7.1')).toBe('refusé par la politique de sécurité du destinataire');
    expect(statusLabelFr('5.1.9')).toBe('adresse du destinataire refusée');
    expect(statusLabelFr('4.2.0')).toBe('remise retardée, nouvelles tentatives en cours');
  });
});
