/**
 * S/MIME interoperability with `openssl cms` both ways: sign, verify, encrypt, decrypt
 * (RSA-OAEP, inbound RSA PKCS#1 v1.5, AES-256-GCM AuthEnvelopedData).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors/index.js';
import { SmimeDecryptor } from '../../adapters/mssante/smime/decrypt.js';
import { opensslRsaPrivate } from '../../adapters/mssante/smime/rsa-openssl.js';
import { encryptCms, smimeRecipient } from '../../adapters/mssante/smime/encrypt.js';
import { multipartSignedEntity, pkcs7MimeEntity, readSmimeEntity, withHeaders } from '../../adapters/mssante/smime/mime.js';
import { SmimeSigner } from '../../adapters/mssante/smime/sign.js';
import { verifySignedData } from '../../adapters/mssante/smime/verify.js';
import { parseAnchors, parseCertificates } from '../../adapters/mssante/tls/anchors.js';
import { parseCrls } from '../../adapters/mssante/tls/crl-source.js';
import { loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import type { Identity } from '../../adapters/mssante/tls/identity.js';
import { testPki, type TestPki } from '../pki/test-pki.js';
import { nodeSignatures } from '../../app/node/native-signature.js';
import { nodeAesCbcDecrypt, nodeAesCbcEncrypt, nodeRsaOaepEncrypt } from '../../app/node/native-cipher.js';

let pki: TestPki;
let gw: Identity;
let work: string;
let anchors: pkijs.Certificate[];
let crls: pkijs.CertificateRevocationList[];
const inner = new TextEncoder().encode(
  'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nCompte rendu d\u2019examens biologiques\r\n'.repeat(1) + 'x'.repeat(5000) + '\r\n',
);

function openssl(args: string[], input?: Uint8Array): Buffer {
  return execFileSync('openssl', args, { cwd: work, input, stdio: ['pipe', 'pipe', 'pipe'] });
}
function file(name: string, data: Uint8Array | string): string {
  const p = join(work, name);
  writeFileSync(p, data);
  return p;
}

beforeAll(async () => {
  pki = await testPki();
  gw = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
  work = mkdtempSync(join(tmpdir(), 'passerelle-smime-'));
  anchors = parseAnchors(new TextEncoder().encode(pki.anchorsPem)).certificates;
  crls = parseCrls(new TextEncoder().encode(pki.crlPem));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('outbound: the gateway writes, openssl reads', () => {
  for (const scheme of ['rsa-pkcs1v15', 'rsa-pss'] as const) {
    it(`opaque signed-data (${scheme}) verifies with openssl cms`, async () => {
      const signer = await SmimeSigner.create({ pkcs8: gw.pkcs8, chain: gw.chain, scheme });
      const der = await signer.sign(inner);
      const out = openssl(['cms', '-verify', '-inform', 'DER', '-in', file(`s-${scheme}.der`, der), '-CAfile', pki.anchorsFile, '-purpose', 'any']);
      expect(new Uint8Array(out)).toEqual(inner);
      if (scheme === 'rsa-pss') {
        const text = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(work, `s-${scheme}.der`)]).toString();
        expect(text).toMatch(/rsassaPss/);
      }
    });
  }
  it('multipart/signed verifies with openssl cms (S/MIME input)', async () => {
    const signer = await SmimeSigner.create({ pkcs8: gw.pkcs8, chain: gw.chain });
    const entity = multipartSignedEntity(inner, await signer.sign(inner, { detached: true }));
    const msg = withHeaders({ From: 'a@passerelle-test.mssante.fr', To: 'b@medecin.mssante.fr', Subject: 'test' }, entity);
    const out = openssl(['cms', '-verify', '-in', file('ms.eml', msg), '-CAfile', pki.anchorsFile, '-purpose', 'any']);
    expect(new Uint8Array(out)).toEqual(inner);
  });
  // the engines the Node runtime gives (OpenSSL's AES-256-CBC and RSA-OAEP through node:crypto) and WebCrypto's
  for (const [engine, engines] of [['WebCrypto', {}], ['node:crypto', { aesCbc: nodeAesCbcEncrypt, rsaOaep: nodeRsaOaepEncrypt }]] as const) for (const cipher of ['aes-256-cbc', 'aes-256-gcm'] as const) {
    it(`${cipher} with RSA-OAEP SHA-256 decrypts with openssl cms (${engine})`, async () => {
      const der = await encryptCms(inner, [await smimeRecipient(parseCertificates(pki.medecin.certPem)[0])], { cipher, ...engines });
      const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', file(`e-${cipher}-${engine}.der`, der)]).toString();
      expect(printed).toMatch(/rsaesOaep/);
      expect(printed).toMatch(/sha256/);
      const entity = pkcs7MimeEntity(der, cipher === 'aes-256-gcm' ? 'authEnveloped-data' : 'enveloped-data');
      const out = openssl(['cms', '-decrypt', '-in', file(`e-${cipher}-${engine}.eml`, withHeaders({ Subject: 'x' }, entity)), '-recip', pki.medecin.certFile, '-inkey', pki.medecin.keyFile]);
      expect(new Uint8Array(out)).toEqual(inner);
    });
  }
});

// One suite, both engines: WebCrypto (the default, as on Workers) and OpenSSL through
// node:crypto (what the Node runtime gives: digests, RSA verification, AES-CBC decryption).
const ENGINES = [
  { engine: 'WebCrypto', signatures: undefined, aesCbc: undefined },
  { engine: 'OpenSSL through node:crypto', signatures: nodeSignatures, aesCbc: nodeAesCbcDecrypt },
] as const;
for (const e of ENGINES) describe(`inbound: openssl writes, the gateway reads (${e.engine})`, () => {
  for (const pss of [false, true]) {
    it(`verifies an opaque openssl signature (${pss ? 'PSS' : 'PKCS#1 v1.5'})`, async () => {
      const args = ['cms', '-sign', '-nodetach', '-binary', '-outform', 'DER', '-in', file('in.txt', inner), '-signer', pki.medecin.certFile, '-inkey', pki.medecin.keyFile, '-certfile', pki.intermediate.certFile, '-md', 'sha256'];
      if (pss) args.push('-keyopt', 'rsa_padding_mode:pss');
      const der = new Uint8Array(openssl(args));
      const v = await verifySignedData(der, { engine: e.signatures, anchors, crls });
      expect(v.content).toEqual(inner);
      expect(v.scheme).toBe(pss ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5');
    });
  }
  it('verifies an openssl multipart/signed message', async () => {
    const out = new Uint8Array(openssl(['cms', '-sign', '-in', file('in.txt', inner), '-signer', pki.medecin.certFile, '-inkey', pki.medecin.keyFile, '-certfile', pki.intermediate.certFile, '-md', 'sha256', '-crlfeol']));
    const s = readSmimeEntity(out);
    expect(s.kind).toBe('multipart-signed');
    if (s.kind !== 'multipart-signed') return;
    const v = await verifySignedData(s.signature, { engine: e.signatures, anchors, crls, detachedContent: s.signedEntity });
    expect(v.signer.subject.typesAndValues.at(-1)?.value.valueBlock.value).toBe('mx.medecin.mssante.fr');
  });
  it('refuses a tampered signature, a foreign signer and a revoked signer', async () => {
    const sign = (id: { certFile: string; keyFile: string }, extra: string[] = []) =>
      new Uint8Array(openssl(['cms', '-sign', '-nodetach', '-binary', '-outform', 'DER', '-in', file('in.txt', inner), '-signer', id.certFile, '-inkey', id.keyFile, ...extra]));
    const good = sign(pki.medecin, ['-certfile', pki.intermediate.certFile]);
    const i = Buffer.from(good).indexOf(Buffer.from('Compte rendu'));
    const bad = good.slice();
    bad[i] ^= 1;
    await expect(verifySignedData(bad, { engine: e.signatures, anchors })).rejects.toMatchObject({ kind: 'SIGNATURE_INVALID', detail: expect.stringMatching(/message digest does not match/) });
    // the signature value itself (the SignerInfo's last field, so the DER's last byte)
    const badValue = good.slice();
    badValue[badValue.length - 1] ^= 1;
    await expect(verifySignedData(badValue, { engine: e.signatures, anchors })).rejects.toMatchObject({ kind: 'SIGNATURE_INVALID', detail: expect.stringMatching(/signature value does not match/) });
    await expect(verifySignedData(sign(pki.foreign), { engine: e.signatures, anchors })).rejects.toMatchObject({ kind: 'SIGNATURE_INVALID' });
    await expect(verifySignedData(sign(pki.revoked, ['-certfile', pki.intermediate.certFile]), { engine: e.signatures, anchors, crls })).rejects.toMatchObject({ kind: 'SIGNATURE_INVALID', detail: expect.stringMatching(/revoked/) });
  });

  const cases: [string, string[]][] = [
    ['AES-256-CBC + RSA-OAEP SHA-256', ['-aes-256-cbc', '-recip', 'GW', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256']],
    ['AES-256-CBC + RSA-OAEP SHA-1 (openssl default OAEP)', ['-aes-256-cbc', '-recip', 'GW', '-keyopt', 'rsa_padding_mode:oaep']],
    ['AES-256-CBC + RSA PKCS#1 v1.5 (what mail clients send)', ['-aes-256-cbc', '-recip', 'GW']],
    ['AES-128-CBC + RSA PKCS#1 v1.5', ['-aes-128-cbc', '-recip', 'GW']],
    ['AES-192-CBC + RSA-OAEP SHA-256', ['-aes-192-cbc', '-recip', 'GW', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256']],
    ['AES-256-GCM AuthEnvelopedData + RSA-OAEP SHA-256', ['-aes-256-gcm', '-recip', 'GW', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256']],
    ['AES-256-GCM AuthEnvelopedData + RSA PKCS#1 v1.5', ['-aes-256-gcm', '-recip', 'GW']],
  ];
  for (const [name, opts] of cases) {
    it(`decrypts ${name}`, async () => {
      const args = ['cms', '-encrypt', '-binary', '-in', file('in.txt', inner), ...opts.map((o) => (o === 'GW' ? pki.gateway.certFile : o))];
      const smime = new Uint8Array(openssl(args));
      const s = readSmimeEntity(smime);
      expect(s.kind).toBe('enveloped');
      if (s.kind !== 'enveloped') return;
      const dec = await SmimeDecryptor.create({ aesCbc: e.aesCbc, certificate: gw.certificate, pkcs8: gw.pkcs8, rsaPrivate: opensslRsaPrivate(gw.pkcs8) });
      const out = await dec.decrypt(s.der);
      expect(out.content).toEqual(inner);
    });
  }

  it('a tampered PKCS#1 v1.5 key block fails like any other decryption failure (implicit rejection)', async () => {
    const der = new Uint8Array(openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-aes-256-cbc', '-in', file('in.txt', inner), '-recip', pki.gateway.certFile]));
    const ci = pkijs.ContentInfo.fromBER(der.slice().buffer);
    const env = new pkijs.EnvelopedData({ schema: ci.content });
    const ktri = env.recipientInfos[0].value as pkijs.KeyTransRecipientInfo;
    const ek = new Uint8Array(ktri.encryptedKey.valueBlock.valueHexView).slice();
    ek[100] ^= 0x40;
    ktri.encryptedKey = new asn1js.OctetString({ valueHex: ek.buffer });
    const tampered = new Uint8Array(new pkijs.ContentInfo({ contentType: ci.contentType, content: env.toSchema() }).toSchema().toBER(false));
    const dec = await SmimeDecryptor.create({ aesCbc: e.aesCbc, certificate: gw.certificate, pkcs8: gw.pkcs8, rsaPrivate: opensslRsaPrivate(gw.pkcs8) });
    const err = await dec.decrypt(tampered).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ kind: 'DECRYPT_FAILED', responseCode: 550, status: '5.7.5' });
    expect((err as GatewayError).detail).toMatch(/content could not be decrypted/);
    // the same message for a stranger's key: same kind, same reply
    const strangerKey = loadIdentityFiles({ key: pki.medecin.keyFile, cert: pki.medecin.chainFile }).pkcs8;
    const stranger = await SmimeDecryptor.create({ aesCbc: e.aesCbc, certificate: parseCertificates(pki.medecin.certPem)[0], pkcs8: strangerKey, rsaPrivate: opensslRsaPrivate(strangerKey) });
    const err2 = await stranger.decrypt(der).catch((e: unknown) => e);
    expect((err2 as GatewayError).reply).toBe((err as GatewayError).reply);
  });
  it('can refuse PKCS#1 v1.5 key transport by configuration', async () => {
    const der = new Uint8Array(openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-aes-256-cbc', '-in', file('in.txt', inner), '-recip', pki.gateway.certFile]));
    const dec = await SmimeDecryptor.create({ aesCbc: e.aesCbc, certificate: gw.certificate, pkcs8: gw.pkcs8, pkcs1v15: 'refuse', rsaPrivate: opensslRsaPrivate(gw.pkcs8) });
    await expect(dec.decrypt(der)).rejects.toMatchObject({ kind: 'DECRYPT_FAILED', detail: expect.stringMatching(/refused by configuration/) });
  });
  it('without the RSA private operation, PKCS#1 v1.5 key transport fails to decrypt (OAEP does not need it)', async () => {
    const der = new Uint8Array(openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-aes-256-cbc', '-in', file('in.txt', inner), '-recip', pki.gateway.certFile]));
    const dec = await SmimeDecryptor.create({ aesCbc: e.aesCbc, certificate: gw.certificate, pkcs8: gw.pkcs8 });
    await expect(dec.decrypt(der)).rejects.toMatchObject({ kind: 'DECRYPT_FAILED', detail: expect.stringMatching(/needs the RSA private operation/) });
    const oaep = new Uint8Array(openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-aes-256-cbc', '-in', file('in.txt', inner), '-recip', pki.gateway.certFile, '-keyopt', 'rsa_padding_mode:oaep']));
    expect((await dec.decrypt(oaep)).content).toEqual(inner);
  });
});

describe('round trip inside the gateway', () => {
  it('sign then encrypt (GCM, PSS) and back', async () => {
    const signer = await SmimeSigner.create({ pkcs8: gw.pkcs8, chain: gw.chain, scheme: 'rsa-pss' });
    const signed = pkcs7MimeEntity(await signer.sign(inner), 'signed-data');
    const env = await encryptCms(signed, [await smimeRecipient(gw.certificate)], { cipher: 'aes-256-gcm' });
    const dec = await SmimeDecryptor.create({ certificate: gw.certificate, pkcs8: gw.pkcs8, rsaPrivate: opensslRsaPrivate(gw.pkcs8) });
    const opened = await dec.decrypt(env);
    expect(opened.structure).toBe('AuthEnvelopedData');
    const s = readSmimeEntity(opened.content);
    expect(s.kind).toBe('signed-opaque');
    if (s.kind !== 'signed-opaque') return;
    expect((await verifySignedData(s.der, { anchors, crls })).content).toEqual(inner);
  });
});

describe('protectEntity / unprotectEntity', () => {
  it('round-trips every combination, and openssl reads the protected message', async () => {
    const { protectEntity, unprotectEntity } = await import('../../adapters/mssante/smime/protect.js');
    const decryptor = await SmimeDecryptor.create({ certificate: gw.certificate, pkcs8: gw.pkcs8, rsaPrivate: opensslRsaPrivate(gw.pkcs8) });
    const signer = await SmimeSigner.create({ pkcs8: gw.pkcs8, chain: gw.chain });
    const me = await smimeRecipient(gw.certificate);
    for (const signature of ['opaque', 'detached'] as const) {
      for (const cipher of ['aes-256-cbc', 'aes-256-gcm'] as const) {
        const entity = await protectEntity(inner, { signer, signature, recipients: [me], cipher });
        const raw = withHeaders({ From: 'a@passerelle-test.mssante.fr', Subject: 'x' }, entity);
        const back = await unprotectEntity(raw, { decryptor, anchors, crls });
        expect(back).toMatchObject({ entity: inner, encrypted: true });
        expect(back.signer).toBeDefined();
      }
    }
    const toPeer = await protectEntity(inner, { signer, recipients: [await smimeRecipient(parseCertificates(pki.medecin.certPem)[0])] });
    const dec = openssl(['cms', '-decrypt', '-in', file('p.eml', withHeaders({ Subject: 'x' }, toPeer)), '-recip', pki.medecin.certFile, '-inkey', pki.medecin.keyFile]);
    const ver = openssl(['cms', '-verify', '-in', file('p2.eml', new Uint8Array(dec)), '-CAfile', pki.anchorsFile, '-purpose', 'any']);
    expect(new Uint8Array(ver)).toEqual(inner);
    await expect(unprotectEntity(withHeaders({}, toPeer), { anchors })).rejects.toMatchObject({ kind: 'DECRYPT_FAILED' });
  });
});
