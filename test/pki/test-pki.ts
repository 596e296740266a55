/**
 * A test PKI in the shape of IGC-Santé, made with the `openssl` CLI (an independent tool):
 *
 * - `root`: "IGC-Santé TEST" root CA; `intermediate`: the CA that issues server certificates.
 * - `medecin`, `chTest`: operator certificates whose subject DNs are those of the trust-list
 *   sample (server + client + e-mail protection usages, SAN = the CN).
 * - `gateway`: Passerelle's own certificate (also as a PKCS#12 file, password `test-p12`).
 * - `expired`, `revoked` (listed in the intermediate's CRL), `signOnly` (key usage
 *   digitalSignature only), `foreign` (same DN as `medecin`, issued by `otherRoot`).
 *
 * Everything is RSA-2048. The files are made once per test run: the first caller builds them
 * in a private folder and renames it into place under the OS temp folder, so concurrent
 * vitest workers share one copy; the folder name carries the process-group id of the run.
 *
 * @example
 * const pki = await testPki();
 * tls.createServer({ key: pki.medecin.keyPem, cert: pki.medecin.chainPem, ca: pki.anchorsPem });
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bump when the layout below changes, so stale copies are not reused. */
const VERSION = 3;

export interface TestIdentity {
  name: string;
  keyFile: string;
  certFile: string;
  /** Leaf followed by its issuing CA(s) up to, not including, the root. */
  chainFile: string;
  keyPem: string;
  certPem: string;
  chainPem: string;
  /** Subject DN in RFC 4514 order as printed by openssl (`CN=…,OU=…,O=…,ST=…,C=FR`). */
  subject: string;
}

export interface TestPki {
  dir: string;
  root: TestIdentity;
  intermediate: TestIdentity;
  otherRoot: TestIdentity;
  medecin: TestIdentity;
  chTest: TestIdentity;
  gateway: TestIdentity;
  expired: TestIdentity;
  revoked: TestIdentity;
  signOnly: TestIdentity;
  foreign: TestIdentity;
  /** Root + intermediate, PEM. */
  anchorsFile: string;
  anchorsPem: string;
  /** Same chain as PKCS#7 certs-only, DER and PEM. */
  anchorsP7bDer: string;
  anchorsP7bPem: string;
  /** CRLs of the root and of the intermediate (the latter lists `revoked`), PEM. */
  crlFile: string;
  crlPem: string;
  /** Intermediate CRL, DER (as IGC-Santé publishes it). */
  intermediateCrlDer: string;
  /** Gateway identity as PKCS#12 (password `test-p12`). */
  gatewayP12: string;
  p12Password: string;
}

export const OPERATOR_DNS = {
  medecin: { cn: 'mx.medecin.mssante.fr', ou: '10000000000001', o: 'OPERATEUR NATIONAL TEST', st: 'Paris (75)' },
  chTest: { cn: 'smtp.ch-test.mssante.fr', ou: '33000000000002', o: 'CH DE TEST', st: 'Gironde (33)' },
  gateway: { cn: 'mx.passerelle-test.mssante.fr', ou: '33000000000003', o: 'PASSERELLE TEST', st: 'Gironde (33)' },
  expired: { cn: 'mx.expire.mssante.fr', ou: '10000000000004', o: 'OPERATEUR EXPIRE', st: 'Paris (75)' },
  revoked: { cn: 'mx.revoque.mssante.fr', ou: '10000000000005', o: 'OPERATEUR REVOQUE', st: 'Paris (75)' },
  signOnly: { cn: 'signature.medecin.mssante.fr', ou: '10000000000006', o: 'OPERATEUR NATIONAL TEST', st: 'Paris (75)' },
} as const;

type Dn = { cn: string; ou: string; o: string; st: string };
const subj = (d: Dn) => `/C=FR/ST=${d.st}/O=${d.o}/OU=${d.ou}/CN=${d.cn}`;
const rfc4514 = (d: Dn) => `CN=${d.cn},OU=${d.ou},O=${d.o},ST=${d.st},C=FR`;

function openssl(cwd: string, args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function caConfig(name: string): string {
  return `[ ca ]
default_ca = ca_${name}
[ ca_${name} ]
dir = ./${name}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = ./${name}.crt
private_key = ./${name}.key
default_md = sha256
default_days = 365
default_crl_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none
preserve = yes
utf8 = yes
string_mask = utf8only
[ policy_any ]
countryName = optional
stateOrProvinceName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_leaf ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth, emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:$ENV::SAN
[ v3_signonly ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth, emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:$ENV::SAN
[ req ]
distinguished_name = dn
utf8 = yes
string_mask = utf8only
[ dn ]
`;
}

function build(dir: string): void {
  const run = (args: string[], env: Record<string, string> = {}) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SAN: 'unused', ...env } });
  const initCa = (name: string) => {
    mkdirSync(join(dir, name, 'newcerts'), { recursive: true });
    writeFileSync(join(dir, name, 'index.txt'), '');
    writeFileSync(join(dir, name, 'serial'), name === 'root' ? '1000\n' : name === 'other' ? '3000\n' : '2000\n');
    writeFileSync(join(dir, name, 'crlnumber'), '01\n');
    writeFileSync(join(dir, `${name}.cnf`), caConfig(name));
  };
  const key = (name: string) => run(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`]);
  const selfSigned = (name: string, subject: string) => {
    initCa(name);
    key(name);
    run(['req', '-new', '-x509', '-config', `${name}.cnf`, '-extensions', 'v3_ca', '-utf8', '-key', `${name}.key`, '-subj', subject, '-days', '3650', '-sha256', '-out', `${name}.crt`]);
  };
  const issue = (ca: string, name: string, subject: string, ext: string, opts: { san?: string; start?: string; end?: string } = {}) => {
    key(name);
    run(['req', '-new', '-config', `${ca}.cnf`, '-utf8', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
    const dates = opts.start ? ['-startdate', opts.start, '-enddate', opts.end!] : ['-days', '825'];
    run(['ca', '-batch', '-config', `${ca}.cnf`, '-extensions', ext, '-notext', ...dates, '-in', `${name}.csr`, '-out', `${name}.crt`], { SAN: opts.san ?? 'unused.invalid' });
  };

  selfSigned('root', '/C=FR/O=IGC-SANTE TEST/CN=IGC-Santé TEST');
  initCa('intermediate');
  issue('root', 'intermediate', '/C=FR/O=IGC-SANTE TEST/OU=AC SERVEURS APPLICATIFS/CN=IGC-Santé TEST Serveurs Applicatifs', 'v3_ca');
  selfSigned('other', '/C=FR/O=AUTRE AC TEST/CN=Autre AC TEST');

  for (const [name, d] of Object.entries(OPERATOR_DNS)) {
    if (name === 'expired') {
      issue('intermediate', name, subj(d), 'v3_leaf', { san: d.cn, start: '20200101000000Z', end: '20210101000000Z' });
    } else {
      issue('intermediate', name, subj(d), name === 'signOnly' ? 'v3_signonly' : 'v3_leaf', { san: d.cn });
    }
  }
  issue('other', 'foreign', subj(OPERATOR_DNS.medecin), 'v3_leaf', { san: OPERATOR_DNS.medecin.cn });

  run(['ca', '-batch', '-config', 'intermediate.cnf', '-revoke', 'revoked.crt', '-crl_reason', 'keyCompromise']);
  run(['ca', '-batch', '-config', 'intermediate.cnf', '-gencrl', '-out', 'intermediate.crl.pem']);
  run(['ca', '-batch', '-config', 'root.cnf', '-gencrl', '-out', 'root.crl.pem']);
  run(['crl', '-in', 'intermediate.crl.pem', '-outform', 'DER', '-out', 'intermediate.crl.der']);
  writeFileSync(join(dir, 'crls.pem'), readFileSync(join(dir, 'root.crl.pem'), 'utf8') + readFileSync(join(dir, 'intermediate.crl.pem'), 'utf8'));

  const rootPem = readFileSync(join(dir, 'root.crt'), 'utf8');
  const interPem = readFileSync(join(dir, 'intermediate.crt'), 'utf8');
  writeFileSync(join(dir, 'anchors.pem'), rootPem + interPem);
  run(['crl2pkcs7', '-nocrl', '-certfile', 'anchors.pem', '-outform', 'DER', '-out', 'anchors.p7b']);
  run(['crl2pkcs7', '-nocrl', '-certfile', 'anchors.pem', '-outform', 'PEM', '-out', 'anchors.p7b.pem']);

  for (const name of [...Object.keys(OPERATOR_DNS), 'foreign']) {
    const leaf = readFileSync(join(dir, `${name}.crt`), 'utf8');
    writeFileSync(join(dir, `${name}.chain.pem`), leaf + (name === 'foreign' ? '' : interPem));
  }
  writeFileSync(join(dir, 'intermediate.chain.pem'), interPem);
  writeFileSync(join(dir, 'root.chain.pem'), rootPem);
  writeFileSync(join(dir, 'other.chain.pem'), readFileSync(join(dir, 'other.crt'), 'utf8'));
  run(['pkcs12', '-export', '-inkey', 'gateway.key', '-in', 'gateway.crt', '-certfile', 'intermediate.crt', '-name', 'passerelle', '-passout', 'pass:test-p12', '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-out', 'gateway.p12']);
  writeFileSync(join(dir, 'READY'), String(VERSION));
}

function identity(dir: string, name: string, file: string, subject: string): TestIdentity {
  const keyFile = join(dir, `${file}.key`);
  const certFile = join(dir, `${file}.crt`);
  const chainFile = join(dir, `${file}.chain.pem`);
  return {
    name, keyFile, certFile, chainFile, subject,
    keyPem: readFileSync(keyFile, 'utf8'),
    certPem: readFileSync(certFile, 'utf8'),
    chainPem: readFileSync(chainFile, 'utf8'),
  };
}

let cached: TestPki | null = null;

/** The folder shared by the workers of this test run. */
function runDir(): string {
  const runId = process.env.PASSERELLE_TEST_PKI_RUN ?? String(process.env.VITEST_POOL_ID ? process.ppid : process.pid);
  // the day is part of the name so that a reused id never serves a CRL past its nextUpdate
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return join(tmpdir(), `passerelle-test-pki-v${VERSION}-${day}-${runId}`);
}

/**
 * The test PKI, built on first use (about 2–4 s) and shared by the run's workers afterwards.
 * Set `PASSERELLE_TEST_PKI_RUN` to share one copy across runs (e.g. when iterating locally).
 */
export async function testPki(): Promise<TestPki> {
  if (cached) return cached;
  const dir = runDir();
  if (!existsSync(join(dir, 'READY'))) {
    const work = mkdtempSync(join(tmpdir(), 'passerelle-test-pki-build-'));
    try {
      build(work);
      try {
        renameSync(work, dir);
      } catch {
        // another worker won the race; use its copy
        rmSync(work, { recursive: true, force: true });
      }
    } catch (err) {
      rmSync(work, { recursive: true, force: true });
      throw err;
    }
  }
  const id = (name: keyof typeof OPERATOR_DNS) => identity(dir, name, name, rfc4514(OPERATOR_DNS[name]));
  cached = {
    dir,
    root: identity(dir, 'root', 'root', 'CN=IGC-Santé TEST,O=IGC-SANTE TEST,C=FR'),
    intermediate: identity(dir, 'intermediate', 'intermediate', 'CN=IGC-Santé TEST Serveurs Applicatifs,OU=AC SERVEURS APPLICATIFS,O=IGC-SANTE TEST,C=FR'),
    otherRoot: identity(dir, 'otherRoot', 'other', 'CN=Autre AC TEST,O=AUTRE AC TEST,C=FR'),
    medecin: id('medecin'),
    chTest: id('chTest'),
    gateway: id('gateway'),
    expired: id('expired'),
    revoked: id('revoked'),
    signOnly: id('signOnly'),
    foreign: identity(dir, 'foreign', 'foreign', rfc4514(OPERATOR_DNS.medecin)),
    anchorsFile: join(dir, 'anchors.pem'),
    anchorsPem: readFileSync(join(dir, 'anchors.pem'), 'utf8'),
    anchorsP7bDer: join(dir, 'anchors.p7b'),
    anchorsP7bPem: join(dir, 'anchors.p7b.pem'),
    crlFile: join(dir, 'crls.pem'),
    crlPem: readFileSync(join(dir, 'crls.pem'), 'utf8'),
    intermediateCrlDer: join(dir, 'intermediate.crl.der'),
    gatewayP12: join(dir, 'gateway.p12'),
    p12Password: 'test-p12',
  };
  return cached;
}

export { openssl as runOpenssl };
