/**
 * Interoperability with a real Postfix acting as the national operator medecin.mssante.fr,
 * both ways, with mutual TLS and the test PKI. Skipped, with the reason, only where Postfix
 * cannot run (binary absent, or not root).
 */
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundPolicy, type InboundPeer } from '../../adapters/mssante/smtp/inbound-policy.js';
import { OutboundClient } from '../../adapters/mssante/smtp/outbound-client.js';
import { loadAnchorsFile, loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { mssanteTlsOptions } from '../../adapters/mssante/tls/tls-options.js';
import { parseTrustList } from '../../adapters/mssante/trust-list/trust-list.js';
import { testPki, type TestPki } from '../pki/test-pki.js';
import { trustListXml } from './fixtures.js';
import { postfixUnavailable, startPostfix, type PostfixInstance } from './postfix-instance.js';

const why = postfixUnavailable();
if (why) console.warn(`[postfix suite skipped] ${why}`);

async function until<T>(fn: () => T | undefined, ms: number, what: string, log: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- Postfix log ---\n${log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(why !== null)('Postfix as national operator (mutual TLS, both ways)', () => {
  let pki: TestPki;
  let pf: PostfixInstance;
  let gateway: SMTPServer;
  let gatewayPort: number;
  const received: { from: string; to: string[]; peer?: InboundPeer; raw: string }[] = [];

  beforeAll(async () => {
    pki = await testPki();
    const list = parseTrustList(trustListXml(pki));
    const anchors = loadAnchorsFile(pki.anchorsFile);
    const policy = inboundPolicy({
      tls: mssanteTlsOptions({ identity: loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password }), anchors, crlPem: [pki.crlPem] }),
      trustList: () => list,
      servesRecipient: (a) => a === 'jean.dupont@passerelle-test.mssante.fr',
    });
    gateway = new SMTPServer({
      ...policy.options,
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            peer: policy.peerOf(session),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          cb();
        });
      },
    });
    gateway.on('error', () => undefined); // failed handshakes; the assertions read Postfix's log
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    gatewayPort = (gateway.server.address() as AddressInfo).port;
    pf = await startPostfix(pki, gatewayPort);
  }, 60_000);

  afterAll(async () => {
    await pf?.stop();
    await new Promise<void>((r) => (gateway ? gateway.close(() => r()) : r()));
  });

  it('gateway → Postfix: delivered to a mailbox; an unknown address is refused per recipient', async () => {
    const client = new OutboundClient({
      tls: mssanteTlsOptions({ identity: loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password }), anchors: loadAnchorsFile(pki.anchorsFile) }),
      trustList: () => parseTrustList(trustListXml(pki)),
      name: 'mx.passerelle-test.mssante.fr',
      routes: { 'medecin.mssante.fr': { host: '127.0.0.1', port: pf.mtlsPort, tlsName: 'mx.medecin.mssante.fr' } },
    });
    const raw = new TextEncoder().encode('From: jean.dupont@passerelle-test.mssante.fr\r\nTo: dr.a@medecin.mssante.fr\r\nSubject: interop\r\nMessage-ID: <pf-out-1@passerelle-test.mssante.fr>\r\nX-MSS-NIL: Passerelle/0.1\r\n\r\nhello postfix\r\n');
    const out = await client.deliver({ target: 'mssante', mailFrom: 'jean.dupont@passerelle-test.mssante.fr', recipients: ['dr.a@medecin.mssante.fr', 'inconnu@medecin.mssante.fr'], raw });
    await client.close();
    expect(out[0]).toMatchObject({ result: 'delivered' });
    expect(out[1]).toMatchObject({ result: 'permanent', reply: expect.stringMatching(/^550 5\.1\.1/) });
    const [msg] = await until(() => (pf.delivered('dr.a').length ? pf.delivered('dr.a') : undefined), 20_000, 'delivery to dr.a', pf.log);
    expect(msg).toMatch(/X-MSS-NIL: Passerelle\/0\.1/);
    expect(msg).toMatch(/hello postfix/);
    expect(pf.log()).toMatch(/Trusted TLS connection established from localhost\[127\.0\.0\.1\]: TLSv1\.[23]/);
  });

  it('Postfix → gateway: relayed with its client certificate, admitted by the trust-list policy', async () => {
    const inject = nodemailer.createTransport({ host: '127.0.0.1', port: pf.submitPort, secure: false, ignoreTLS: true });
    await inject.sendMail({
      envelope: { from: 'dr.martin@medecin.mssante.fr', to: ['jean.dupont@passerelle-test.mssante.fr'] },
      raw: 'From: dr.martin@medecin.mssante.fr\r\nTo: jean.dupont@passerelle-test.mssante.fr\r\nSubject: from postfix\r\nMessage-ID: <pf-in-1@medecin.mssante.fr>\r\n\r\nhello gateway\r\n',
    });
    inject.close();
    const got = await until(() => received.find((m) => m.raw.includes('pf-in-1@medecin.mssante.fr')), 20_000, 'the message at the gateway', pf.log);
    expect(got.from).toBe('dr.martin@medecin.mssante.fr');
    expect(got.peer).toMatchObject({ verified: true, domain: 'medecin.mssante.fr', protocol: expect.stringMatching(/TLSv1\.[23]/) });
    expect(got.peer?.subjectText).toBe('CN=mx.medecin.mssante.fr,OU=10000000000001,O=OPERATEUR NATIONAL TEST,ST=Paris (75),C=FR');
    expect(pf.log()).toMatch(/Verified TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1\.[23]/);
  });

  it('Postfix → gateway: an address the gateway does not serve bounces with 550 5.1.1', async () => {
    const inject = nodemailer.createTransport({ host: '127.0.0.1', port: pf.submitPort, secure: false, ignoreTLS: true });
    await inject.sendMail({
      envelope: { from: 'dr.martin@medecin.mssante.fr', to: ['nobody@passerelle-test.mssante.fr'] },
      raw: 'From: dr.martin@medecin.mssante.fr\r\nTo: nobody@passerelle-test.mssante.fr\r\nSubject: x\r\nMessage-ID: <pf-in-2@medecin.mssante.fr>\r\n\r\nx\r\n',
    });
    inject.close();
    const line = await until(() => pf.log().split('\n').find((l) => l.includes('to=<nobody@passerelle-test.mssante.fr>') && l.includes('status=bounced')), 20_000, 'the bounce', pf.log);
    expect(line).toMatch(/550 5\.1\.1 Recipient address unknown/);
  });
});
