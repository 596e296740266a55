/**
 * Test material for the national side on embedded defaults, clearly labelled: a test root
 * CA ("PASSERELLE TEST CA - NOT FOR PRODUCTION"), the gateway's certificate for mutual TLS
 * and S/MIME signed by it, and a trust list naming the gateway's own domain. With it the
 * gateway starts with every national rule in force (STARTTLS, client certificates, the
 * trust list) and talks only to peers holding certificates of the same test CA.
 *
 * @example
 * const pki = ensureNationalTestPki('./var/national', 'passerelle.mssante.test');
 * pki.anchorsFile; pki.keyFile; pki.certFile; pki.trustListFile;
 */
import forge from 'node-forge';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NationalTestPki {
  anchorsFile: string;
  keyFile: string;
  certFile: string;
  trustListFile: string;
  /** Subject DN of the gateway's certificate, as the trust list names it. */
  subject: string;
  created: boolean;
}

export interface IssuedCertificate {
  keyPem: string;
  certPem: string;
}

function rsaKey(): { keyPem: string; publicKey: forge.pki.PublicKey; privateKey: forge.pki.rsa.PrivateKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    keyPem,
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    privateKey: forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey,
  };
}

function serial(): string {
  return '01' + forge.util.bytesToHex(forge.random.getBytesSync(8));
}

/** A self-signed test root CA. */
export function makeTestCa(commonName = 'PASSERELLE TEST CA - NOT FOR PRODUCTION'): IssuedCertificate & { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  const k = rsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = k.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 5 * 365 * 86_400_000);
  const attrs = [{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'PASSERELLE TEST' }, { name: 'countryName', value: 'FR' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(k.privateKey, forge.md.sha256.create());
  return { keyPem: k.keyPem, certPem: forge.pki.certificateToPem(cert), cert, key: k.privateKey };
}

/** A certificate for an operator host (TLS client and server, S/MIME), issued by `ca`. */
export function issueOperatorCertificate(
  ca: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey },
  dn: { cn: string; ou: string; o: string; st: string },
  altNames: string[],
): IssuedCertificate {
  const k = rsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = k.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 2 * 365 * 86_400_000);
  cert.setSubject([
    { name: 'countryName', value: 'FR' },
    { shortName: 'ST', value: dn.st },
    { name: 'organizationName', value: dn.o },
    { shortName: 'OU', value: dn.ou },
    { name: 'commonName', value: dn.cn },
  ]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true, emailProtection: true },
    { name: 'subjectAltName', altNames: altNames.map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.cert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  return { keyPem: k.keyPem, certPem: forge.pki.certificateToPem(cert) };
}

/** A trust list in the published layout. */
export function trustListXml(domains: { name: string; dn: string; description?: string }[]): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const now = new Date().toISOString().slice(0, 19).replace('T', ' ');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema">\n  <DateDeGeneration>${now}</DateDeGeneration>\n` +
    domains.map((d) => `  <Domaine>\n    <Nom>${esc(d.name)}</Nom>\n    <Description>${esc(d.description ?? 'TEST')}</Description>\n    <DNCertificatOperateur>${esc(d.dn)}</DNCertificatOperateur>\n    <ResponsableContact>postmaster@${esc(d.name)}</ResponsableContact>\n    <SupportContact>postmaster@${esc(d.name)}</SupportContact>\n    <DateMAJ>${now}</DateMAJ>\n  </Domaine>\n`).join('') +
    '</ListeBlanche>\n';
}

export function ensureNationalTestPki(dir: string, domain: string): NationalTestPki {
  const files = {
    anchorsFile: join(dir, 'test-ca.pem'),
    keyFile: join(dir, 'gateway-key.pem'),
    certFile: join(dir, 'gateway-cert.pem'),
    trustListFile: join(dir, 'test-trust-list.xml'),
  };
  const dn = { cn: `mx.${domain}`, ou: '99999999999999', o: 'PASSERELLE TEST', st: 'Test (00)' };
  const subject = `CN=${dn.cn},OU=${dn.ou},O=${dn.o},ST=${dn.st},C=FR`;
  if (Object.values(files).every((f) => existsSync(f))) return { ...files, subject, created: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = makeTestCa();
  const gw = issueOperatorCertificate(ca, dn, [`mx.${domain}`, domain, 'localhost', '127.0.0.1']);
  writeFileSync(files.anchorsFile, ca.certPem, { mode: 0o600 });
  writeFileSync(join(dir, 'test-ca-key.pem'), ca.keyPem, { mode: 0o600 });
  writeFileSync(files.keyFile, gw.keyPem, { mode: 0o600 });
  writeFileSync(files.certFile, gw.certPem, { mode: 0o600 });
  writeFileSync(files.trustListFile, trustListXml([{ name: domain, dn: subject, description: 'Passerelle (TEST)' }]), { mode: 0o600 });
  writeFileSync(join(dir, 'README-TEST-MATERIAL.txt'),
    'Generated by Passerelle on embedded defaults: a TEST certificate authority, the gateway\'s TEST\n' +
    'certificate and a TEST trust list. Never use them in production.\n', { mode: 0o600 });
  return { ...files, subject, created: true };
}

export function readPem(path: string): string {
  return readFileSync(path, 'utf8');
}
