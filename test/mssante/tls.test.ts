import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAnchors, parseCertificates } from '../../adapters/mssante/tls/anchors.js';
import { allowsPurpose, checkCertificate } from '../../adapters/mssante/tls/chain-validator.js';
import { CrlSource, parseCrls } from '../../adapters/mssante/tls/crl-source.js';
import { loadAnchorsFile, loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { identityFromPem, identityFromPkcs12 } from '../../adapters/mssante/tls/identity.js';
import { MSSANTE_CIPHER_SUITES, mssanteTlsOptions } from '../../adapters/mssante/tls/tls-options.js';
import { testPki, type TestPki } from '../pki/test-pki.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

describe('anchors', () => {
  it('reads a PEM bundle, a DER .p7b and a PEM .p7b alike', () => {
    const pem = loadAnchorsFile(pki.anchorsFile);
    const der = loadAnchorsFile(pki.anchorsP7bDer);
    const p7pem = loadAnchorsFile(pki.anchorsP7bPem);
    expect(pem.certificates).toHaveLength(2);
    expect(der.pem.sort()).toEqual(pem.pem.sort());
    expect(p7pem.pem.sort()).toEqual(pem.pem.sort());
  });
  it('says where and why when the file holds no certificate', () => {
    expect(() => parseAnchors(new TextEncoder().encode('hello'), 'x.pem')).toThrow(/x\.pem/);
  });
});

describe('identity', () => {
  it('loads PKCS#12 and PEM to the same key and leaf', () => {
    const p12 = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
    const pem = loadIdentityFiles({ key: pki.gateway.keyFile, cert: pki.gateway.chainFile });
    expect(p12.pkcs8).toEqual(pem.pkcs8);
    expect(p12.certPem.trim()).toEqual(pki.gateway.certPem.trim());
    expect(p12.chain).toHaveLength(2);
  });
  it('wraps a PKCS#1 key (openssl -traditional) into the same PKCS#8 as the PKCS#8 file; an unreadable one is an IdentityError', () => {
    const pkcs1 = execFileSync('openssl', ['pkey', '-in', pki.gateway.keyFile, '-traditional'], { encoding: 'utf8' });
    expect(pkcs1).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const fromPkcs1 = identityFromPem(pkcs1, pki.gateway.chainPem);
    const fromPkcs8 = loadIdentityFiles({ key: pki.gateway.keyFile, cert: pki.gateway.chainFile });
    expect(fromPkcs1.pkcs8).toEqual(fromPkcs8.pkcs8);
    expect(fromPkcs1.keyPem.replace(/\s/g, '')).toBe(readFileSync(pki.gateway.keyFile, 'utf8').replace(/\s/g, ''));
    const damaged = '-----BEGIN RSA PRIVATE KEY-----\nMAMCAQA=\n-----END RSA PRIVATE KEY-----\n'; // SEQUENCE { INTEGER 0 }
    expect(() => identityFromPem(damaged, pki.gateway.chainPem, 'key.pem')).toThrow(/key\.pem: the RSA private key is not readable/);
  });
  it('reports a wrong PKCS#12 password without key material', () => {
    expect(() => identityFromPkcs12(new Uint8Array(readFileSync(pki.gatewayP12)), 'nope', 'gw.p12')).toThrow(/gw\.p12: wrong password/);
  });
});

describe('chain validation', () => {
  const leaf = (pem: string) => parseCertificates(pem);
  it('accepts a valid operator certificate and refuses expired, revoked and foreign ones', async () => {
    const anchors = parseAnchors(new TextEncoder().encode(pki.anchorsPem)).certificates;
    const crls = parseCrls(new TextEncoder().encode(pki.crlPem));
    const ok = await checkCertificate(leaf(pki.medecin.chainPem)[0], { anchors, crls, purpose: 'tls-client' });
    expect(ok).toMatchObject({ ok: true });
    expect(await checkCertificate(leaf(pki.expired.chainPem)[0], { anchors, crls })).toMatchObject({ ok: false, code: 'expired' });
    expect(await checkCertificate(leaf(pki.revoked.chainPem)[0], { anchors, crls })).toMatchObject({ ok: false, code: 'revoked' });
    const foreign = await checkCertificate(leaf(pki.foreign.chainPem)[0], { anchors, crls });
    expect(foreign.ok).toBe(false);
  });
  it('checks key usage for the purpose', () => {
    const signOnly = leaf(pki.signOnly.chainPem)[0];
    expect(allowsPurpose(signOnly, 'smime-sign')).toBe(true);
    expect(allowsPurpose(signOnly, 'smime-encrypt')).toBe(false);
    expect(allowsPurpose(signOnly, 'tls-server')).toBe(false);
  });
  it('caches CRLs from a file and a URL and keeps the last good copy', async () => {
    let calls = 0;
    let fail = false;
    const der = readFileSync(pki.intermediateCrlDer);
    const fakeFetch = (async () => {
      calls++;
      if (fail) return new Response('down', { status: 503 });
      return new Response(der);
    }) as unknown as typeof fetch;
    let now = Date.now();
    const src = new CrlSource({ locations: [pki.crlFile, 'http://crl.test/ac.crl'], fetch: fakeFetch, maxAgeMs: 1000, now: () => now });
    expect(await src.get()).toHaveLength(3);
    await src.get();
    expect(calls).toBe(1);
    now += 2000;
    fail = true;
    expect(await src.get()).toHaveLength(3);
    expect(calls).toBe(2);
    expect(src.ages()['http://crl.test/ac.crl'].lastError).toMatch(/HTTP 503/);
  });
});

describe('Node TLS options', () => {
  it('negotiates TLS 1.2 with a national suite and mutual authentication', async () => {
    const anchors = loadAnchorsFile(pki.anchorsFile);
    const server = tls.createServer({
      ...mssanteTlsOptions({ identity: loadIdentityFiles({ key: pki.medecin.keyFile, cert: pki.medecin.chainFile }), anchors, crlPem: [pki.crlPem] }),
      requestCert: true,
      rejectUnauthorized: true,
      maxVersion: 'TLSv1.2',
    }, (s) => s.end('hi'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const gw = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
    const cipher = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ ...mssanteTlsOptions({ identity: gw, anchors }), host: '127.0.0.1', port, servername: 'mx.medecin.mssante.fr' }, () => {
        resolve(s.getCipher().standardName ?? s.getCipher().name);
        s.end();
      });
      s.on('error', reject);
    });
    server.close();
    expect(['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', MSSANTE_CIPHER_SUITES[0]]).toContain(cipher);
  });
});
