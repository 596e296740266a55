import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../app/cli/main.js';
import { parseCertificates } from '../../adapters/mssante/tls/anchors.js';
import { canonicalDn, dnMatches, dnOfObject, parseDn } from '../../adapters/mssante/trust-list/dn.js';
import { TrustListLoader } from '../../adapters/mssante/trust-list/loader.js';
import { verifyTrustListSignature } from '../../adapters/mssante/trust-list/signature.js';
import { parseTrustList, parseTrustListDetailed } from '../../adapters/mssante/trust-list/trust-list.js';
import { testPki, type TestPki } from '../pki/test-pki.js';
import { trustListXml } from './fixtures.js';
import { sharedPath } from '../support/shared-path.js';

const SAMPLE = sharedPath('national', 'trust-list', 'sample-listeblanche.xml');
const sampleXml = () => {
  try {
    return readFileSync(SAMPLE, 'utf8');
  } catch {
    return readFileSync(new URL('../../../shared/national/trust-list/sample-listeblanche.xml', import.meta.url), 'utf8');
  }
};
let pki: TestPki;
let work: string;
beforeAll(async () => {
  pki = await testPki();
  work = mkdtempSync(join(tmpdir(), 'passerelle-trust-'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('parsing', () => {
  it('reads the sample list', () => {
    const list = parseTrustList(sampleXml());
    expect(list.size).toBe(2);
    expect(list.generatedAt).toBe('2026-11-20 04:00:00');
    expect(list.get('MEDECIN.mssante.fr.')?.operatorDn).toMatch(/^CN=mx\.medecin\.mssante\.fr,/);
    expect(list.get('ch-test.mssante.fr')?.supportContact).toBe('support@ch-test.mssante.fr');
  });
  it('keys on Domaine in the namespace whatever the root and prefix', () => {
    const xml = `<?xml version="1.0"?><lb:Autre xmlns:lb="https://listeblanche.mssante.fr/schema"><lb:Enveloppe><lb:Domaine><lb:Nom>a.fr</lb:Nom><lb:DNCertificatOperateur>CN=a</lb:DNCertificatOperateur></lb:Domaine><lb:Domaine><lb:Nom>b.fr</lb:Nom></lb:Domaine></lb:Enveloppe></lb:Autre>`;
    const { list, skipped } = parseTrustListDetailed(xml);
    expect(list.has('a.fr')).toBe(true);
    expect(skipped).toBe(1);
  });
  it('accepts Domaine elements without a namespace when the file declares none', () => {
    const { list, skipped } = parseTrustListDetailed('<ListeBlanche><DateDeGeneration>2026-12-01 04:00:00</DateDeGeneration><Domaine><Nom>a.fr</Nom><DNCertificatOperateur>CN=a</DNCertificatOperateur></Domaine><x:Domaine xmlns:x="urn:other"><x:Nom>b.fr</x:Nom></x:Domaine></ListeBlanche>');
    expect(list.has('a.fr')).toBe(true);
    expect(list.generatedAt).toBe('2026-12-01 04:00:00');
    expect(list.size).toBe(1);
    expect(skipped).toBe(0);
  });
  it('refuses broken XML and a file without Domaine', () => {
    expect(() => parseTrustList('<a><b></a>', 'x.xml')).toThrow(/x\.xml: not well-formed/);
    expect(() => parseTrustList('<a xmlns="https://listeblanche.mssante.fr/schema"/>', 'y.xml')).toThrow(/no Domaine/);
  });
  it('reads 8,700 domains quickly', () => {
    const entries = Array.from({ length: 8700 }, (_, i) => `<Domaine><Nom>d${i}.mssante.fr</Nom><Description>x</Description><DNCertificatOperateur>CN=mx${i % 320}.op.fr,O=OP ${i % 320},C=FR</DNCertificatOperateur></Domaine>`);
    const t = performance.now();
    const list = parseTrustList(`<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema">${entries.join('')}</ListeBlanche>`);
    expect(list.size).toBe(8700);
    expect(list.domainsOfCertificate('CN=mx7.op.fr,O=OP 7,C=FR').length).toBeGreaterThan(20);
    expect(performance.now() - t).toBeLessThan(5000);
  });

  it('reads each Domaine from its own children (fuzzing finding: nested Domaine elements), and refuses a list nested past 256 at once', () => {
    const nested = (n: number) => `<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema">${'<Domaine><Nom>x.mssante.fr</Nom>'.repeat(n)}<DNCertificatOperateur>CN=a,C=FR</DNCertificatOperateur>${'</Domaine>'.repeat(n)}</ListeBlanche>`;
    const n = 250;
    const { list, skipped } = parseTrustListDetailed(nested(n));
    // only the innermost Domaine has its own DNCertificatOperateur: the others do not borrow it
    expect(list.size).toBe(1);
    expect(skipped).toBe(n - 1);
    const t = performance.now();
    expect(() => parseTrustList(nested(100_000), 'z.xml')).toThrow(/z\.xml: elements nest more than 256 deep/);
    expect(performance.now() - t).toBeLessThan(2000);
  });
});

describe('DN matching', () => {
  const listed = 'CN=mx.medecin.mssante.fr,OU=10000000000001,O=OPERATEUR NATIONAL TEST,ST=Paris (75),C=FR';
  it('ignores order, spacing, case, and accepts the usual spellings', () => {
    expect(dnMatches(listed, '/C=FR/ST=Paris (75)/O=OPERATEUR NATIONAL TEST/OU=10000000000001/CN=mx.medecin.mssante.fr')).toBe(true);
    expect(dnMatches(listed, 'cn = MX.medecin.mssante.fr, ou=10000000000001, o=Operateur  National Test, s=Paris (75), c=fr')).toBe(true);
    expect(dnMatches(listed, 'C=FR\nST=Paris (75)\nO=OPERATEUR NATIONAL TEST\nOU=10000000000001\nCN=mx.medecin.mssante.fr')).toBe(true);
    expect(dnMatches(listed, dnOfObject({ C: 'FR', ST: 'Paris (75)', O: 'OPERATEUR NATIONAL TEST', OU: '10000000000001', CN: 'mx.medecin.mssante.fr' }))).toBe(true);
    expect(dnMatches('CN=IGC-Sant\\C3\\A9 TEST,O=X', 'CN=IGC-Santé TEST,O=X')).toBe(true);
    expect(dnMatches('CN=a\\,b,O=X', 'O=X,CN="a,b"')).toBe(true);
  });
  it('requires the same attributes, no more, no less', () => {
    expect(dnMatches(listed, 'CN=mx.medecin.mssante.fr,OU=10000000000001,O=OPERATEUR NATIONAL TEST,C=FR')).toBe(false);
    expect(dnMatches(listed, `${listed},L=Paris`)).toBe(false);
    expect(dnMatches(listed, listed.replace('10000000000001', '10000000000002'))).toBe(false);
    expect(dnMatches('', '')).toBe(false);
    expect(() => parseDn('nonsense')).toThrow(/not a distinguished name/);
    expect(canonicalDn('O=b,CN=a')).toBe('CN=A,O=B');
  });
});

describe('loader', () => {
  it('loads over HTTP, keeps the last good copy when a refresh fails, reports its age', async () => {
    let body = trustListXml(pki);
    let status = 200;
    const server = createServer((_, res) => {
      res.statusCode = status;
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/listeblanchemssante.xml`;
    let now = 1_000_000;
    const loader = new TrustListLoader({ source: url, refreshMs: 0, now: () => now });
    await loader.start();
    expect(loader.current().size).toBe(5);
    now += 60_000;
    status = 503;
    const st = await loader.refresh();
    expect(st).toMatchObject({ domains: 5, ageMs: 60_000, lastError: expect.stringMatching(/HTTP 503/) });
    status = 200;
    body = '<broken';
    expect((await loader.refresh()).lastError).toMatch(/not well-formed/);
    body = '<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema"><Domaine><Nom>a.fr</Nom><DNCertificatOperateur>CN=a</DNCertificatOperateur></Domaine></ListeBlanche>';
    expect((await loader.refresh()).lastError).toMatch(/1 domains against 5/);
    expect(loader.current().has('medecin.mssante.fr')).toBe(true);
    body = trustListXml(pki);
    now += 1000;
    expect(await loader.refresh()).toMatchObject({ lastError: null, ageMs: 0 });
    server.close();
  });
  it('refuses plain http to a remote host and fails the first load clearly', async () => {
    const loader = new TrustListLoader({ source: 'http://espacedeconfiance.example/liste.xml', refreshMs: 0 });
    await expect(loader.start()).rejects.toThrow(/plain http is refused/);
    expect(() => loader.current()).toThrow(/Trust list unavailable/);
  });
  it('checks a detached CMS signature when a signing certificate is configured', async () => {
    const xmlFile = join(work, 'liste.xml');
    writeFileSync(xmlFile, trustListXml(pki));
    const sigFile = join(work, 'liste.xml.p7s');
    execFileSync('openssl', ['cms', '-sign', '-binary', '-outform', 'DER', '-in', xmlFile, '-signer', pki.chTest.certFile, '-inkey', pki.chTest.keyFile, '-out', sigFile]);
    const signer = parseCertificates(pki.chTest.certPem)[0];
    const other = parseCertificates(pki.medecin.certPem)[0];
    await verifyTrustListSignature(readFileSync(xmlFile), readFileSync(sigFile), signer);
    await expect(verifyTrustListSignature(readFileSync(xmlFile), readFileSync(sigFile), other)).rejects.toThrow(/Trust list signature/);
    const tampered = Buffer.from(readFileSync(xmlFile).toString().replace('medecin', 'medicin'));
    await expect(verifyTrustListSignature(tampered, readFileSync(sigFile), signer)).rejects.toThrow(/does not verify/);
    const loader = new TrustListLoader({ source: xmlFile, refreshMs: 0, signature: { source: sigFile, signer } });
    expect((await loader.start()).domains).toBe(5);
    const bad = new TrustListLoader({ source: xmlFile, refreshMs: 0, signature: { source: sigFile, signer: other } });
    await expect(bad.start()).rejects.toThrow(/signature/);
  });
});

describe('passerelle trust', () => {
  const run = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(['trust', ...args], { out: (t) => (out += t), err: (t) => (err += t), env: {} });
    return { code, out, err };
  };
  it('show and check', async () => {
    const file = join(work, 'list.xml');
    writeFileSync(file, trustListXml(pki));
    expect(await run('show', '--list', file)).toMatchObject({ code: 0, out: expect.stringMatching(/domains: 5/) });
    expect(await run('show', 'medecin.mssante.fr', '--list', file)).toMatchObject({ code: 0, out: expect.stringMatching(/operator DN: CN=mx\.medecin/) });
    expect(await run('check', 'medecin.mssante.fr', '--list', file, '--cert', pki.medecin.certFile)).toMatchObject({ code: 0, out: expect.stringMatching(/matches/) });
    expect(await run('check', 'medecin.mssante.fr', '--list', file, '--cert', pki.chTest.certFile)).toMatchObject({ code: 1, out: expect.stringMatching(/does not match/) });
    expect(await run('check', 'gmail.com', '--list', file)).toMatchObject({ code: 1, out: expect.stringMatching(/NOT on the trust list/) });
    expect(await run('check', 'x.fr')).toMatchObject({ code: 2, err: expect.stringMatching(/no trust list given/) });
  });
});
