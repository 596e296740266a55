import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { buildDsn } from '../../adapters/mssante/dsn.js';
import { mssHeaders, readMssHeaders } from '../../adapters/mssante/headers.js';
import { buildMdn } from '../../adapters/mssante/mdn.js';
import { mdnRecipient } from '../../adapters/mssante/notification-rules.js';

const original = new TextEncoder().encode(
  'From: Dr Martin <dr.martin@medecin.mssante.fr>\r\nTo: jean.dupont@passerelle-test.mssante.fr\r\nSubject: CR biologie\r\nMessage-ID: <orig-1@medecin.mssante.fr>\r\nDisposition-Notification-To: <dr.martin@medecin.mssante.fr>\r\n\r\nBody with patient data\r\n',
);
const origHeaders = { From: 'Dr Martin <dr.martin@medecin.mssante.fr>', 'Disposition-Notification-To': '<dr.martin@medecin.mssante.fr>', 'Content-Type': 'text/plain' };

describe('X-MSS headers', () => {
  it('writes NIL always, CODECDA from the CDA codes, INS O/N, MES FIN', () => {
    expect(mssHeaders({ nil: 'Passerelle/0.1' })).toEqual({ 'X-MSS-NIL': 'Passerelle/0.1' });
    expect(mssHeaders({ nil: 'Passerelle/0.1', cdaCodes: ['11502-2', '11502-2', '34133-9'], insQualified: true, toPatient: true })).toEqual({
      'X-MSS-NIL': 'Passerelle/0.1', 'X-MSS-CODECDA': '11502-2,34133-9', 'X-MSS-INS': 'O', 'X-MSS-MES': 'FIN',
    });
    expect(mssHeaders({ nil: 'P', insQualified: false })['X-MSS-INS']).toBe('N');
    expect(() => mssHeaders({ nil: ' ' })).toThrow(/mssante\.nil/);
    expect(() => mssHeaders({ nil: 'P', cdaCodes: ['a,b\r\nBcc: x'] })).toThrow(/not a CDA code/);
  });
  it('reads them back', () => {
    expect(readMssHeaders({ 'x-mss-codecda': '11502-2, 34133-9', 'X-MSS-INS': 'o' })).toMatchObject({ cdaCodes: ['11502-2', '34133-9'], insQualified: true, noReply: false });
  });
});

describe('MDN (RFC 8098)', () => {
  const base = {
    originalHeaders: origHeaders, originalSender: 'dr.martin@medecin.mssante.fr', originalMessageId: '<orig-1@medecin.mssante.fr>',
    finalRecipient: 'jean.dupont@passerelle-test.mssante.fr', from: 'postmaster@passerelle-test.mssante.fr',
    reportingUa: 'mx.passerelle-test.mssante.fr; Passerelle/0.1', originalRaw: original,
  };
  // The default third part is now the whole original (the national guide, see mdn-guide.test.ts);
  // the header-only form RFC 8098 allows is still there on request.
  it('writes processed with the three parts and, on request, the original headers only', async () => {
    const mdn = buildMdn({ ...base, disposition: 'processed', originalRecipient: 'jean.dupont@passerelle-test.mssante.fr', include: 'headers' })!;
    expect(mdn.to).toBe('dr.martin@medecin.mssante.fr');
    expect(mdn.mailFrom).toBe('');
    const text = new TextDecoder().decode(mdn.raw);
    expect(text).toMatch(/Content-Type: multipart\/report; report-type=disposition-notification/);
    expect(text).toMatch(/Disposition: automatic-action\/MDN-sent-automatically; processed\r\n/);
    expect(text).toMatch(/Original-Message-ID: <orig-1@medecin\.mssante\.fr>/);
    expect(text).toMatch(/Original-Recipient: rfc822;jean\.dupont@passerelle-test\.mssante\.fr/);
    expect(text).toMatch(/Content-Type: text\/rfc822-headers/);
    expect(text).not.toMatch(/patient data/);
    const parsed = await simpleParser(Buffer.from(mdn.raw));
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(parsed.inReplyTo).toBe('<orig-1@medecin.mssante.fr>');
  });
  // Was `processed/error` + `Error: <text>`; the national guide wants `processed/Error: CODE^LABEL`
  // (its capital E and its code table), the RFC 8098 Error field now carries code, label and reason.
  it('writes processed/Error with the guide\'s code and label, and an Error field', () => {
    const text = new TextDecoder().decode(buildMdn({ ...base, disposition: 'processed/error', errorText: '550 5.7.5 Message could not be decrypted' })!.raw);
    expect(text).toMatch(/; processed\/Error: 906\^Erreur 'Autre'\r\nError: 906\^Erreur 'Autre'; 550 5\.7\.5 Message could not be decrypted\r\n/);
  });
  it('is not sent when not asked, to a notification, or for the null sender', () => {
    expect(buildMdn({ ...base, originalHeaders: { From: 'x' }, disposition: 'processed' })).toBeNull();
    expect(buildMdn({ ...base, originalHeaders: { ...origHeaders, 'Content-Type': 'multipart/report; report-type=disposition-notification' }, disposition: 'processed' })).toBeNull();
    expect(buildMdn({ ...base, originalSender: '', disposition: 'processed' })).toBeNull();
    expect(mdnRecipient({ 'Disposition-Notification-To': 'a@b', 'Auto-Submitted': 'auto-generated' }, 'a@b')).toBeNull();
  });
});

describe('DSN (RFC 3464)', () => {
  it('writes per-recipient fields and the original headers', async () => {
    const dsn = buildDsn({
      originalHeaders: origHeaders, originalSender: 'dr.martin@medecin.mssante.fr', originalMessageId: '<orig-1@medecin.mssante.fr>',
      reportingMta: 'mx.passerelle-test.mssante.fr', from: 'MAILER-DAEMON@passerelle-test.mssante.fr', reason: 'The recipient is unknown.',
      arrivalDate: new Date('2026-11-23T04:00:00Z'), originalRaw: original,
      recipients: [{ recipient: 'x@passerelle-test.mssante.fr', action: 'failed', status: '5.1.1', reply: '550 5.1.1 Recipient address unknown', remoteMta: 'relay.lnp.test' }],
    })!;
    expect(dsn.to).toBe('dr.martin@medecin.mssante.fr');
    const text = new TextDecoder().decode(dsn.raw);
    expect(text).toMatch(/report-type=delivery-status/);
    expect(text).toMatch(/Reporting-MTA: dns;mx\.passerelle-test\.mssante\.fr\r\nArrival-Date: Mon, 23 Nov 2026 04:00:00 \+0000\r\n\r\nFinal-Recipient: rfc822;x@passerelle-test\.mssante\.fr\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns;relay\.lnp\.test\r\nDiagnostic-Code: smtp;550 5\.1\.1 Recipient address unknown/);
    const parsed = await simpleParser(Buffer.from(dsn.raw));
    expect(parsed.subject).toBe('Undelivered mail returned to sender');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
  });
  it('never answers the null sender or a notification', () => {
    const r = [{ recipient: 'x@y', action: 'failed' as const, status: '5.0.0' }];
    const common = { originalMessageId: null, reportingMta: 'gw', from: 'MAILER-DAEMON@gw', reason: 'r', recipients: r };
    expect(buildDsn({ ...common, originalHeaders: {}, originalSender: '' })).toBeNull();
    expect(buildDsn({ ...common, originalHeaders: { 'content-type': 'multipart/report; report-type=delivery-status' }, originalSender: 'a@b' })).toBeNull();
  });
});
