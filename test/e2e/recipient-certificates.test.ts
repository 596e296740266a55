/**
 * Outbound S/MIME encryption, end to end: a legacy subscriber writes to a national mailbox
 * through the relay simulator; the gateway finds the recipient's certificate in its
 * configured folder, signs and encrypts, and delivers over mutual TLS to a national operator
 * on loopback. What arrived is opened with the real `openssl cms -decrypt` (then
 * `openssl cms -verify`), as the recipient's mail client would. The folder is reloaded on a
 * short schedule (200 ms) so a certificate added after start is used without a long wait.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki, type TestPki } from '../pki/test-pki.js';
import { startOperatorPeer, type OperatorPeer, type ReceivedMessage } from '../mssante/operator-peer.js';
import { startLegacyWorld, type LegacyWorld } from '../support/legacy-world.js';
import { GATEWAY_DOMAIN, nationalConfig } from '../support/national-side.js';
import { submitToRelay } from '../simulators/legacy-relay.js';
import { openssl, recipientCertificate } from '../support/recipient-certs.js';

const RELOAD_MS = 200;

describe('outbound S/MIME encryption with certificates from the configured folder', () => {
  let pki: TestPki;
  let operator: OperatorPeer;
  let w: LegacyWorld;
  let work: string;
  let certDir: string;
  let key: string;

  beforeAll(async () => {
    pki = await testPki();
    work = mkdtempSync(join(tmpdir(), 'passerelle-e2e-rcpt-'));
    certDir = join(work, 'recipients');
    key = join(work, 'recipient.key');
    openssl(work, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]);
    mkdirSync(certDir);
    // Jean Dupont's certificate is there from the start, found by its subjectAltName (the file name says nothing).
    const jean = recipientCertificate(work, 'jean', { key, san: ['email:jean.dupont@medecin.mssante.fr'] });
    writeFileSync(join(certDir, 'dr-dupont.pem'), jean.certPem);
    operator = await startOperatorPeer({ pki, identity: pki.medecin, serves: (a) => a.endsWith('@medecin.mssante.fr') });
    w = await startLegacyWorld({
      mssante: { ...nationalConfig(pki, pki.dir, operator.port), recipientCertificates: { dir: certDir, reloadEvery: `${RELOAD_MS}ms` } },
    });
  }, 120_000);

  afterAll(async () => {
    await w?.close();
    await operator?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const send = (to: string[], text: string) => submitToRelay(w.relay, { local: 'cab.dupuis', password: 'pw-dupuis', zone: 'medical33', to, text });

  const arrived = async (before: number, count = 1): Promise<ReceivedMessage[]> => {
    const mine = () => operator.received.slice(before).filter((m) => m.from === `cab.dupuis@${GATEWAY_DOMAIN}`);
    for (let i = 0; i < 300 && mine().length < count; i++) await new Promise((r) => setTimeout(r, 50));
    expect(mine()).toHaveLength(count);
    return mine();
  };

  /** What the recipient's client does: decrypt with its key, verify the gateway's signature, read the text. */
  const openAsRecipient = async (m: ReceivedMessage, certFile: string, name: string): Promise<string> => {
    writeFileSync(join(work, `${name}.eml`), m.raw);
    const signed = openssl(work, ['cms', '-decrypt', '-in', `${name}.eml`, '-inkey', key, '-recip', certFile]);
    writeFileSync(join(work, `${name}.signed.eml`), signed);
    const inner = openssl(work, ['cms', '-verify', '-in', `${name}.signed.eml`, '-CAfile', pki.anchorsFile, '-purpose', 'any']);
    return (await simpleParser(inner)).text ?? '';
  };

  it('legacy → national: encrypted for the recipient\'s certificate, decrypted by openssl cms, signed by the gateway, text intact', async () => {
    const before = operator.received.length;
    await send(['jean.dupont.med@interop.lnp.test'], 'Bonjour confrère,\r\nle bilan de contrôle est normal.\r\n');
    const [got] = await arrived(before);
    expect(got.to).toEqual(['jean.dupont@medecin.mssante.fr']);
    const raw = got.raw.toString('latin1');
    expect(raw).toMatch(/^Content-Type: application\/pkcs7-mime; smime-type=enveloped-data/m);
    expect(raw).toMatch(/^X-MSS-NIL: /m); // the national headers stay outside, readable by operators
    expect(raw).not.toMatch(/bilan de contr/);
    const text = await openAsRecipient(got, join(work, 'jean.crt'), 'jean');
    expect(text).toContain('Bonjour confrère,');
    expect(text).toContain('le bilan de contrôle est normal.');
  });

  it('a certificate added to the folder after start is used once the folder is reloaded', async () => {
    let before = operator.received.length;
    await send(['camille.roux.med@interop.lnp.test'], 'Premier message.\r\n');
    const [first] = await arrived(before);
    expect(first.raw.toString('latin1')).toMatch(/^Content-Type: multipart\/signed;/m); // no certificate yet: signed only

    const camille = recipientCertificate(work, 'camille', { key });
    writeFileSync(join(certDir, 'camille.roux@medecin.mssante.fr.pem'), camille.certPem);
    await new Promise((r) => setTimeout(r, RELOAD_MS * 3));

    before = operator.received.length;
    await send(['camille.roux.med@interop.lnp.test'], 'Second message, chiffré.\r\n');
    const [second] = await arrived(before);
    expect(second.raw.toString('latin1')).toMatch(/^Content-Type: application\/pkcs7-mime; smime-type=enveloped-data/m);
    expect(await openAsRecipient(second, camille.certFile, 'camille')).toContain('Second message, chiffré.');
  });

  it('an operator-wide certificate named by domain serves every address of the domain without one of its own', async () => {
    w.gw.staticResolver.add('paul.martin.med@interop.lnp.test', 'paul.martin@medecin.mssante.fr');
    const operatorWide = recipientCertificate(work, 'operateur', { key, san: ['DNS:medecin.mssante.fr'] });
    writeFileSync(join(certDir, 'operateur-medecin.pem'), operatorWide.certPem);
    await new Promise((r) => setTimeout(r, RELOAD_MS * 3));
    const before = operator.received.length;
    await send(['paul.martin.med@interop.lnp.test'], 'Réunion de concertation jeudi.\r\n');
    const [got] = await arrived(before);
    expect(got.to).toEqual(['paul.martin@medecin.mssante.fr']);
    expect(await openAsRecipient(got, operatorWide.certFile, 'paul')).toContain('Réunion de concertation jeudi.');
    // Jean keeps his own certificate: the exact address wins over the domain.
    const again = operator.received.length;
    await send(['jean.dupont.med@interop.lnp.test'], 'Encore pour vous.\r\n');
    const [jean] = await arrived(again);
    expect(await openAsRecipient(jean, join(work, 'jean.crt'), 'jean-2')).toContain('Encore pour vous.');
    expect(() => openssl(work, ['cms', '-decrypt', '-in', 'jean-2.eml', '-inkey', key, '-recip', operatorWide.certFile])).toThrow();
  });
});
