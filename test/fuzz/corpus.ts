/**
 * Real samples the fuzzer starts from, per format:
 *
 * - LNP/1: the shared vectors (`test/fixtures/legacy-network/`, a copy of
 *   `shared/legacy-network/vectors/`): seal cases, the container, the error cases, the mails
 *   as the relay delivers them, the key files; a relay bounce report.
 * - HPRIM: the lab report of the vectors and the other texts of `seal.json`.
 * - CDA: the official examples (`shared/national/cda/examples/`, the negative one) and the
 *   project's own CR-BIO written from the HPRIM sample.
 * - XDM: the project's own `IHE_XDM.ZIP` (`mappings/xdm/build.ts`, via `hprimToNational`),
 *   and one packing an official CDA example with a PDF.
 * - CMS: made with the `openssl` CLI at test time (EnvelopedData with RSA-OAEP and PKCS#1
 *   v1.5, AuthEnvelopedData AES-GCM, SignedData opaque, detached, streamed BER, RSA-PSS,
 *   without signed attributes, by SKI) for the fixed fuzzing identities of
 *   `test/fixtures/fuzz/pki/` (made by `test/pki/test-pki.ts`; fixed so that a saved input
 *   replays identically), plus what the gateway's own signer and encryptor write.
 * - Certificates: those of the same PKI, the `.p7b`, the trust list sample.
 * - National MIME: letters with attachments written by `lib/mime/mime-writer.ts`, S/MIME
 *   entities (opaque signed, detached signed, enveloped), a DSN.
 *
 * Everything is built once per process and cached.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { KeyStore } from '../../adapters/legacy/key-store.js';
import { encodeContainer } from '../../adapters/legacy/container.js';
import { SmimeDecryptor } from '../../adapters/mssante/smime/decrypt.js';
import { encryptCms, smimeRecipient } from '../../adapters/mssante/smime/encrypt.js';
import { multipartSignedEntity, pkcs7MimeEntity, withHeaders } from '../../adapters/mssante/smime/mime.js';
import { SmimeSigner } from '../../adapters/mssante/smime/sign.js';
import { parseCertificates } from '../../adapters/mssante/tls/anchors.js';
import { parseCrls } from '../../adapters/mssante/tls/crl-source.js';
import { identityFromPem, type Identity } from '../../adapters/mssante/tls/identity.js';
import { hprimToNational } from '../../mappings/bridge/hprim-to-national.js';
import { hprimToCrBio } from '../../mappings/cda/write-cr-bio.js';
import { readHprim } from '../../mappings/hprim/read.js';
import { buildXdm, cxPatientId, XDS_CODES } from '../../mappings/xdm/index.js';
import { writeMime } from '../../lib/mime/mime-writer.js';
import { sharedPath } from '../support/shared-path.js';

export const ROOT = join(import.meta.dirname, '..', '..');
/** Where inputs that once failed are kept, one folder per target. */
export const FUZZ_FIXTURES = join(ROOT, 'test', 'fixtures', 'fuzz');
const LEGACY = join(ROOT, 'test', 'fixtures', 'legacy-network');
const PKI = join(FUZZ_FIXTURES, 'pki');
/** A date when the 2026 LNP/1 vectors are current. */
export const LEGACY_NOW = new Date('2026-11-23T03:30:00Z');
/** A date inside the validity of the fixed fuzzing PKI and its CRLs. */
export const PKI_AT = new Date('2026-12-10T00:00:00Z');

const enc = new TextEncoder();
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

function once<T>(make: () => T): () => T {
  let v: { value: T } | undefined;
  return () => (v ??= { value: make() }).value;
}

// ---- LNP/1 ----

interface SealCase { name: string; holder: string; year: number; text: string; dests: string[]; plaintext_hex: string; sealed_hex: string; armor: string }

function legacyJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(LEGACY, name), 'utf8')) as T;
}

/** The key store of the vectors' key files. */
export const legacyStore = once(() => {
  const dir = join(LEGACY, 'keys');
  const files = readdirSync(dir).sort().map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) }));
  const { store, problems } = KeyStore.fromFiles(files);
  if (problems.length > 0) throw new Error(`fixture keys: ${problems.map((p) => p.code).join(', ')}`);
  return store;
});

export const legacyCorpus = once(() => {
  const seal = legacyJson<SealCase[]>('seal.json');
  const container = legacyJson<{ container_hex: string; sealed_hex: string }>('container.json');
  const errors = legacyJson<{ armor: { input: string }[]; keyfiles: { file: string; hex: string }[] }>('errors.json');
  const mailDir = join(LEGACY, 'mails');
  const mails = readdirSync(mailDir).filter((f) => f.endsWith('.eml')).sort().map((f) => new Uint8Array(readFileSync(join(mailDir, f))));
  const keyDir = join(LEGACY, 'keys');
  const keyFiles = readdirSync(keyDir).sort().map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(keyDir, name))) }));
  const containers = [
    unhex(container.container_hex),
    encodeContainer([{ name: 'a.txt', data: enc.encode('Bonjour '.repeat(50)) }], { deflate: true }),
    encodeContainer([{ name: 'vide.bin', data: new Uint8Array(0) }, { name: 'x.pdf', data: enc.encode('%PDF-1.4\n%%EOF') }], { deflate: false }),
    encodeContainer([{ name: 'zeros.bin', data: new Uint8Array(20_000) }], { deflate: true }),
  ];
  return {
    armours: [...seal.map((c) => latin1(c.armor)), ...errors.armor.map((a) => latin1(a.input))],
    sealed: [...seal.map((c) => unhex(c.sealed_hex)), unhex(container.sealed_hex)],
    bodies: seal.map((c) => unhex(c.plaintext_hex)),
    containers,
    mails,
    keyFiles: [...keyFiles, ...errors.keyfiles.map((k) => ({ name: k.file, bytes: unhex(k.hex) }))],
    texts: seal.map((c) => c.text),
  };
});

/** A relay bounce (RFC 3464) as the relay is assumed to send it (see adapters/legacy/README.md). */
export const RELAY_BOUNCE = [
  'From: MAILER-DAEMON@relay.lnp.test',
  'To: passerelle@gateway.lnp.test',
  'Subject: Undelivered Mail Returned to Sender',
  'Message-ID: <b@relay.lnp.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status;',
  ' boundary="B1"',
  '',
  'preamble',
  '--B1',
  'Content-Type: text/plain',
  '',
  'Could not deliver.',
  '--B1',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; relay.lnp.test',
  '',
  'Final-Recipient: rfc822; Cab.Dupuis@medical33.lnp.test',
  'Action: failed',
  'Status: 5.2.1',
  'Diagnostic-Code: smtp; 550 5.2.1 Subscriber',
  '  suspended',
  '',
  '--B1',
  'Content-Type: text/rfc822-headers',
  '',
  'Message-ID: <01JD2Z6Q7XK3M9V4T8B2C5D7FG.legacy@passerelle.mssante.test>',
  'From: passerelle@gateway.lnp.test',
  '',
  '--B1--',
  '',
].join('\r\n');

// ---- HPRIM, CDA, XDM ----

export const hprimCorpus = once(() => {
  const texts = legacyCorpus().texts;
  return texts.map((t) => latin1(t));
});

/** The lab report of the vectors. */
export function sampleHprim(): string {
  const t = legacyCorpus().texts.find((x) => x.includes('****LAB****'));
  if (!t) throw new Error('seal.json has no HPRIM case');
  return t;
}

export const cdaCorpus = once(async () => {
  const dir = sharedPath('national', 'cda', 'examples');
  const official = readdirSync(dir).filter((f) => f.endsWith('.xml')).sort().map((f) => new Uint8Array(readFileSync(join(dir, f))));
  const negDir = sharedPath('national', 'cda', 'negative');
  const negative = readdirSync(negDir).filter((f) => f.endsWith('.xml')).sort().map((f) => new Uint8Array(readFileSync(join(negDir, f))));
  const report = readHprim(sampleHprim()).report!;
  const own = await hprimToCrBio(report, { now: LEGACY_NOW, documentId: 'fuzz-1' });
  return { official, negative, own: [enc.encode(own.xml)] };
});

export const xdmCorpus = once(async () => {
  const national = await hprimToNational(sampleHprim(), { now: LEGACY_NOW, documentId: 'fuzz-2' });
  const cda = await cdaCorpus();
  const pdf = enc.encode('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
  const patientId = cxPatientId('2.25.1.2', 'LAB0000033/0000423187');
  const withOfficial = await buildXdm([
    { data: cda.official[2]!.slice(0, 60_000), mimeType: 'text/xml', uniqueId: '2.25.7.1^a', ...XDS_CODES.crBio, title: 'CR-BIO', creationTime: LEGACY_NOW },
    { data: pdf, mimeType: 'application/pdf', uniqueId: '2.25.7.2', ...XDS_CODES.pdf, title: 'Copie PDF', creationTime: LEGACY_NOW },
  ], { patientId, now: LEGACY_NOW, submissionSetId: '2.25.7.3' });
  const small = await buildXdm([
    { data: cda.own[0]!, mimeType: 'text/xml', uniqueId: '2.25.8.1^b', ...XDS_CODES.crBio, title: 'Compte rendu', creationTime: LEGACY_NOW },
  ], { patientId, now: LEGACY_NOW, submissionSetId: '2.25.8.3' });
  return [national.xdm!, withOfficial, small];
});

// ---- PKI, CMS, certificates ----

export interface FuzzPki {
  dir: string;
  gateway: Identity;
  medecin: Identity;
  anchors: pkijs.Certificate[];
  crls: pkijs.CertificateRevocationList[];
  /** DER of every certificate of the fixed PKI, and the anchors as PKCS#7. */
  certificateDers: Uint8Array[];
}

function pemToDer(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}

export const fuzzPki = once((): FuzzPki => {
  const read = (f: string) => readFileSync(join(PKI, f), 'utf8');
  const inter = read('intermediate.crt');
  const certNames = ['root', 'intermediate', 'gateway', 'medecin', 'expired', 'revoked', 'signOnly', 'foreign'];
  return {
    dir: PKI,
    gateway: identityFromPem(read('gateway.key'), read('gateway.crt') + inter),
    medecin: identityFromPem(read('medecin.key'), read('medecin.crt') + inter),
    anchors: parseCertificates(read('root.crt') + inter),
    crls: parseCrls(enc.encode(read('crls.pem'))),
    certificateDers: [...certNames.map((n) => pemToDer(read(`${n}.crt`))), new Uint8Array(readFileSync(join(PKI, 'anchors.p7b')))],
  };
});

export const decryptor = once(async () => {
  const pki = fuzzPki();
  return SmimeDecryptor.create({ certificate: pki.gateway.certificate, pkcs8: pki.gateway.pkcs8 });
});

/** The content signed and encrypted in the CMS samples (a small MIME entity). */
export const CMS_CONTENT = enc.encode('Content-Type: text/plain; charset=utf-8\r\n\r\nCompte rendu de biologie, valeurs en annexe.\r\n');

export const cmsCorpus = once(async () => {
  const work = mkdtempSync(join(tmpdir(), 'passerelle-fuzz-cms-'));
  try {
    const msg = join(work, 'msg');
    writeFileSync(msg, CMS_CONTENT);
    const p = (f: string) => join(PKI, f);
    const openssl = (args: string[]) => new Uint8Array(execFileSync('openssl', ['cms', ...args, '-in', msg, '-outform', 'DER', '-binary'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const enveloped: Uint8Array[] = [
      openssl(['-encrypt', '-aes-256-cbc', '-recip', p('gateway.crt'), '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256']),
      openssl(['-encrypt', '-aes-128-cbc', '-recip', p('gateway.crt')]),
      openssl(['-encrypt', '-aes-256-gcm', '-recip', p('gateway.crt'), '-keyopt', 'rsa_padding_mode:oaep']),
      openssl(['-encrypt', '-aes-192-cbc', '-keyid', '-recip', p('gateway.crt'), '-recip', p('medecin.crt'), '-keyopt', 'rsa_padding_mode:oaep']),
      openssl(['-encrypt', '-aes-256-cbc', '-stream', '-indef', '-recip', p('gateway.crt'), '-keyopt', 'rsa_padding_mode:oaep']),
    ];
    const sign = ['-sign', '-signer', p('medecin.crt'), '-inkey', p('medecin.key'), '-certfile', p('intermediate.crt'), '-md', 'sha256'];
    const signed: Uint8Array[] = [
      openssl([...sign, '-nodetach']),
      openssl([...sign]),
      openssl([...sign, '-nodetach', '-stream', '-indef']),
      openssl([...sign, '-nodetach', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:32']),
      openssl([...sign, '-nodetach', '-noattr']),
      openssl([...sign, '-nodetach', '-keyid']),
    ];
    const pki = fuzzPki();
    const signer = await SmimeSigner.create({ pkcs8: pki.medecin.pkcs8, chain: pki.medecin.chain, scheme: 'rsa-pss' });
    signed.push(await signer.sign(CMS_CONTENT));
    const recipient = await smimeRecipient(pki.gateway.certificate);
    enveloped.push(await encryptCms(CMS_CONTENT, [recipient], { cipher: 'aes-256-gcm' }));
    enveloped.push(await encryptCms(CMS_CONTENT, [recipient], { cipher: 'aes-256-cbc' }));
    return { enveloped, signed, signer, recipient };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

export const trustListCorpus = once(() => {
  const sample = new Uint8Array(readFileSync(sharedPath('national', 'trust-list', 'sample-listeblanche.xml')));
  return [sample];
});

// ---- national MIME ----

export const nationalMimeCorpus = once(async () => {
  const headers = {
    From: 'Dr Alice Martin <alice.martin@medecin.mssante.fr>',
    To: 'jean.dupont.med@passerelle-test.mssante.fr',
    Cc: '"Labo, Bio" <labo@ch-test.mssante.fr>',
    Subject: '=?UTF-8?Q?R=C3=A9sultats?=',
    'Message-ID': '<fuzz-1@medecin.mssante.fr>',
    Date: 'Mon, 23 Nov 2026 10:00:00 +0000',
    'Disposition-Notification-To': 'alice.martin@medecin.mssante.fr',
    'X-MSS-NIL': 'Fuzz/1.0',
  };
  const xdm = (await xdmCorpus())[2]!;
  const letter = writeMime({
    headers,
    text: 'Bonjour,\r\nci-joint le compte rendu.\r\n',
    html: '<p>Bonjour,<br>ci-joint le <b>compte rendu</b>.</p>',
    attachments: [
      { filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: xdm },
      { filename: 'compte rendu é.pdf', contentType: 'application/pdf', data: enc.encode('%PDF-1.4\n%%EOF\n') },
    ],
  });
  const plain = writeMime({ headers, text: 'Une ligne.\r\n' });
  const cms = await cmsCorpus();
  const inner = enc.encode('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBonjour\r\n');
  const top = { From: headers.From, To: headers.To, Subject: 'S/MIME', 'Message-ID': '<fuzz-2@medecin.mssante.fr>' };
  const opaque = withHeaders(top, pkcs7MimeEntity(await cms.signer.sign(inner), 'signed-data'));
  const detached = withHeaders(top, multipartSignedEntity(inner, await cms.signer.sign(inner, { detached: true }), cms.signer.micalg));
  const enveloped = withHeaders(top, pkcs7MimeEntity(await encryptCms(inner, [cms.recipient], { cipher: 'aes-256-cbc' }), 'enveloped-data'));
  const dsn = enc.encode([
    'From: MAILER-DAEMON@medecin.mssante.fr',
    'To: passerelle@passerelle-test.mssante.fr',
    'Subject: Delivery Status Notification',
    'Message-ID: <dsn-1@medecin.mssante.fr>',
    'References: <01JD.mssante@passerelle-test.mssante.fr>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
    '',
    '--R',
    'Content-Type: text/plain',
    '',
    'Echec.',
    '--R',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; medecin.mssante.fr',
    '',
    'Final-Recipient: rfc822; x@medecin.mssante.fr',
    'Action: failed',
    'Status: 5.1.1',
    '',
    '--R--',
    '',
  ].join('\r\n'));
  return [letter, plain, opaque, detached, enveloped, dsn];
});
