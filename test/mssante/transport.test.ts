/**
 * The national transport on loopback: the gateway's inbound listener and outbound client
 * against an operator peer, both with mutual TLS and the test PKI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboundClient } from '../../adapters/mssante/smtp/outbound-client.js';
import { loadAnchorsFile, loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { mssanteTlsOptions } from '../../adapters/mssante/tls/tls-options.js';
import { parseTrustList, type TrustList } from '../../adapters/mssante/trust-list/trust-list.js';
import { testPki, type TestIdentity, type TestPki } from '../pki/test-pki.js';
import { trustListXml } from './fixtures.js';
import { startOperatorPeer, type OperatorPeer } from './operator-peer.js';
import { smtpDialog } from './smtp-dialog.js';

let pki: TestPki;
let list: TrustList;
const peers: OperatorPeer[] = [];
let refusals: string[] = [];

/** An SMTP server with the inbound policy, as the gateway or as an operator peer. */
async function startListener(me: TestIdentity, serves: (a: string) => boolean, tweak: { rcptTemp?: string } = {}): Promise<OperatorPeer> {
  const peer = await startOperatorPeer({
    pki, identity: me, trustList: list,
    serves: (a) => {
      if (tweak.rcptTemp && a === tweak.rcptTemp) throw new Error('directory down');
      return serves(a);
    },
  });
  peers.push(peer);
  return peer;
}

let gateway: OperatorPeer;
let gatewayPort: number;
let peerPort: number;

beforeAll(async () => {
  pki = await testPki();
  list = parseTrustList(trustListXml(pki));
  gateway = await startListener(pki.gateway, (a) => a.endsWith('@passerelle-test.mssante.fr') && !a.startsWith('nobody'));
  gatewayPort = gateway.port;
  refusals = gateway.refusals;
  peerPort = (await startListener(pki.medecin, (a) => a.endsWith('@medecin.mssante.fr') && !a.startsWith('inconnu'))).port;
});

afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

const tlsAs = (id: TestIdentity | null) => ({
  ca: pki.anchorsPem,
  ...(id ? { key: id.keyPem, cert: id.chainPem } : {}),
});
const MAIL = (d: string) => `MAIL FROM:<dr.martin@${d}>`;
const RCPT = 'RCPT TO:<jean.dupont@passerelle-test.mssante.fr>';

describe('inbound listener: refusals', () => {
  it('refuses MAIL before STARTTLS (530 5.7.0)', async () => {
    const r = await smtpDialog({ port: gatewayPort, commands: [MAIL('medecin.mssante.fr')] });
    expect(r.at(-1)).toMatch(/^530 5\.7\.0 Must issue a STARTTLS/);
  });
  it('refuses TLS below 1.2 at the handshake', async () => {
    const r = await smtpDialog({ port: gatewayPort, starttls: true, tls: { ...tlsAs(pki.medecin), minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' }, commands: [MAIL('medecin.mssante.fr')] });
    expect(r.at(-1)).toMatch(/^\(tls error/);
    await new Promise((res) => setTimeout(res, 50));
    expect(gateway.errors.at(-1)).toMatch(/unsupported protocol/);
  });
  it('negotiates the first national suite with a TLS 1.2 client', async () => {
    const gw = await startListener(pki.gateway, () => true);
    const peer = await startOperatorPeer({ pki, identity: pki.chTest, serves: () => true, trustList: list });
    peers.push(peer);
    const c = new OutboundClient({
      tls: { ...mssanteTlsOptions({ identity: loadIdentityFiles({ key: pki.medecin.keyFile, cert: pki.medecin.chainFile }), anchors: loadAnchorsFile(pki.anchorsFile) }), maxVersion: 'TLSv1.2' },
      trustList: () => list, name: 'mx.medecin.mssante.fr',
      routes: { 'passerelle-test.mssante.fr': { host: '127.0.0.1', port: gw.port, tlsName: 'mx.passerelle-test.mssante.fr' } },
    });
    const raw = new TextEncoder().encode('Subject: x\r\n\r\nx\r\n');
    const [o] = await c.deliver({ target: 'mssante', mailFrom: 'a@medecin.mssante.fr', recipients: ['b@passerelle-test.mssante.fr'], raw });
    await c.close();
    expect(o.result).toBe('delivered');
    expect(gw.received[0].peer).toMatchObject({ protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384' });
  });
  it('refuses a session without client certificate (530 5.7.0)', async () => {
    const r = await smtpDialog({ port: gatewayPort, starttls: true, tls: tlsAs(null), commands: [MAIL('medecin.mssante.fr')] });
    expect(r.at(-1)).toMatch(/^530 5\.7\.0 A valid client certificate is required/);
    expect(refusals.at(-1)).toMatch(/NO_CERTIFICATE/);
  });
  it('refuses a certificate from another CA', async () => {
    const r = await smtpDialog({ port: gatewayPort, starttls: true, tls: tlsAs(pki.foreign), commands: [MAIL('medecin.mssante.fr')] });
    expect(r.at(-1)).toMatch(/^530 5\.7\.0/);
    expect(refusals.at(-1)).toMatch(/client certificate refused: (UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED|UNABLE_TO_VERIFY)/);
  });
  it('refuses an expired certificate', async () => {
    const r = await smtpDialog({ port: gatewayPort, starttls: true, tls: tlsAs(pki.expired), commands: [MAIL('expire.mssante.fr')] });
    expect(r.at(-1)).toMatch(/^530 5\.7\.0/);
    expect(refusals.at(-1)).toMatch(/CERT_HAS_EXPIRED/);
  });
  it('refuses a revoked certificate', async () => {
    const r = await smtpDialog({ port: gatewayPort, starttls: true, tls: tlsAs(pki.revoked), commands: [MAIL('revoque.mssante.fr')] });
    expect(r.at(-1)).toMatch(/^530 5\.7\.0/);
    expect(refusals.at(-1)).toMatch(/CERT_REVOKED/);
  });
  it('refuses a sending domain off the trust list (550 5.7.1)', async () => {
    const r = await smtpDialog({ port: gatewayPort, starttls: true, tls: tlsAs(pki.medecin), commands: [MAIL('inconnu.example.fr')] });
    expect(r.at(-1)).toMatch(/^550 5\.7\.1 Domain is not on the trust list/);
  });
  it('refuses a certificate whose DN is not the listed one for the domain (554 5.7.1)', async () => {
    const r = await smtpDialog({ port: gatewayPort, starttls: true, tls: tlsAs(pki.chTest), commands: [MAIL('medecin.mssante.fr')] });
    expect(r.at(-1)).toMatch(/^554 5\.7\.1/);
  });
  it('is no open relay (550 5.1.1 for addresses it does not serve)', async () => {
    const r = await smtpDialog({
      port: gatewayPort, starttls: true, tls: tlsAs(pki.medecin),
      commands: [MAIL('medecin.mssante.fr'), 'RCPT TO:<someone@gmail.com>', 'RCPT TO:<nobody@passerelle-test.mssante.fr>', 'RCPT TO:<x@ch-test.mssante.fr>'],
    });
    expect(r.slice(-4)).toEqual([
      expect.stringMatching(/^250/),
      expect.stringMatching(/^550 5\.1\.1/),
      expect.stringMatching(/^550 5\.1\.1/),
      expect.stringMatching(/^550 5\.1\.1/),
    ]);
  });
  it('answers 4xx when the recipient check itself fails', async () => {
    const { port } = await startListener(pki.gateway, () => true, { rcptTemp: 'a@passerelle-test.mssante.fr' });
    const r = await smtpDialog({ port, starttls: true, tls: tlsAs(pki.medecin), commands: [MAIL('medecin.mssante.fr'), 'RCPT TO:<a@passerelle-test.mssante.fr>'] });
    expect(r.at(-1)).toMatch(/^451 4\.3\.0/);
  });
  it('admits a listed operator with its certificate, and a null sender from it', async () => {
    const r = await smtpDialog({ port: gatewayPort, starttls: true, tls: tlsAs(pki.medecin), commands: [MAIL('medecin.mssante.fr'), RCPT, 'RSET', 'MAIL FROM:<>', RCPT] });
    expect(r.slice(-5).map((x) => x.slice(0, 3))).toEqual(['250', '250', '250', '250', '250']);
  });
});

describe('both ways over mutual TLS', () => {
  const raw = (to: string) => new TextEncoder().encode(`From: a@x\r\nTo: ${to}\r\nSubject: test\r\nMessage-ID: <${Math.random()}@t>\r\n\r\nhello\r\n`);

  it('operator peer → gateway: delivered, peer identity recorded', async () => {
    const peerClient = new OutboundClient({
      tls: mssanteTlsOptions({ identity: loadIdentityFiles({ key: pki.medecin.keyFile, cert: pki.medecin.chainFile }), anchors: loadAnchorsFile(pki.anchorsFile) }),
      trustList: () => list,
      name: 'mx.medecin.mssante.fr',
      routes: { 'passerelle-test.mssante.fr': { host: '127.0.0.1', port: gatewayPort, tlsName: 'mx.passerelle-test.mssante.fr' } },
    });
    const to = 'jean.dupont@passerelle-test.mssante.fr';
    const out = await peerClient.deliver({ target: 'mssante', mailFrom: 'dr.martin@medecin.mssante.fr', recipients: [to, 'nobody@passerelle-test.mssante.fr'], raw: raw(to) });
    await peerClient.close();
    expect(out[0]).toMatchObject({ recipient: to, result: 'delivered' });
    expect(out[1]).toMatchObject({ result: 'permanent', reply: expect.stringMatching(/^550 5\.1\.1/) });
    const got = gateway.received.find((m) => m.to.includes(to));
    expect(got?.peer).toMatchObject({ verified: true, domain: 'medecin.mssante.fr', protocol: expect.stringMatching(/TLSv1\.[23]/) });
    expect(got?.peer?.subjectText).toContain('CN=mx.medecin.mssante.fr');
  });

  describe('gateway → operator peer', () => {
    let client: OutboundClient;
    beforeAll(() => {
      client = new OutboundClient({
        tls: mssanteTlsOptions({ identity: loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password }), anchors: loadAnchorsFile(pki.anchorsFile) }),
        trustList: () => list,
        name: 'mx.passerelle-test.mssante.fr',
        routes: {
          'medecin.mssante.fr': { host: '127.0.0.1', port: peerPort, tlsName: 'mx.medecin.mssante.fr' },
          'ch-test.mssante.fr': { host: '127.0.0.1', port: peerPort, tlsName: 'smtp.ch-test.mssante.fr' },
        },
        resolveMx: async () => [{ exchange: 'localhost', priority: 10 }],
        port: 1,
      });
    });
    afterAll(() => client.close());
    const msg = (recipients: string[]) => ({ target: 'mssante' as const, mailFrom: 'jean.dupont@passerelle-test.mssante.fr', recipients, raw: raw(recipients[0]) });

    it('delivers with outcomes per recipient and reuses the connection', async () => {
      const a = await client.deliver(msg(['dr.a@medecin.mssante.fr', 'inconnu@medecin.mssante.fr']));
      const b = await client.deliver(msg(['dr.b@medecin.mssante.fr']));
      expect(a.map((o) => o.result)).toEqual(['delivered', 'permanent']);
      expect(a[1].reply).toMatch(/^550 5\.1\.1/);
      expect(b[0].result).toBe('delivered');
    });
    it('refuses a domain off the trust list permanently, without connecting', async () => {
      const o = await client.deliver(msg(['x@gmail.com']));
      expect(o[0]).toMatchObject({ result: 'permanent', reply: expect.stringMatching(/^550 5\.7\.1 Domain is not on the trust list/) });
    });
    it('fails temporarily when the server certificate does not match the host name', async () => {
      const o = await client.deliver(msg(['x@ch-test.mssante.fr']));
      expect(o[0]).toMatchObject({ result: 'temporary', reply: expect.stringMatching(/^451 4\.4\.1 .*certificate/) });
    });
    it('classifies DNS answers: unknown domain and null MX are permanent, DNS trouble temporary', async () => {
      const answers: Record<string, () => Promise<{ exchange: string; priority: number }[]>> = {
        'expire.mssante.fr': async () => Promise.reject(Object.assign(new Error('queryMx ENOTFOUND'), { code: 'ENOTFOUND' })),
        'revoque.mssante.fr': async () => [{ exchange: '', priority: 0 }],
        'ch-test.mssante.fr': async () => Promise.reject(Object.assign(new Error('queryMx ESERVFAIL'), { code: 'ESERVFAIL' })),
      };
      const c = new OutboundClient({
        tls: mssanteTlsOptions({ identity: loadIdentityFiles({ key: pki.gateway.keyFile, cert: pki.gateway.chainFile }), anchors: loadAnchorsFile(pki.anchorsFile) }),
        trustList: () => list, name: 'mx.passerelle-test.mssante.fr',
        resolveMx: (d) => answers[d](),
      });
      const o = await c.deliver(msg(['a@expire.mssante.fr', 'b@revoque.mssante.fr', 'c@ch-test.mssante.fr']));
      await c.close();
      expect(o.map((x) => x.result)).toEqual(['permanent', 'permanent', 'temporary']);
      expect(o[0].reply).toMatch(/^550 5\.4\.4/);
      expect(o[2].reply).toMatch(/^451 4\.4\.1 .*DNS/);
    });
    it('fails temporarily when no MX can be reached', async () => {
      const o = await client.deliver(msg(['x@expire.mssante.fr']));
      expect(o[0]).toMatchObject({ result: 'temporary', reply: expect.stringMatching(/^451 4\.4\.1/) });
    });
  });
});
