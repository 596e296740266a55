/**
 * National inbound: `unprotectEntity` (decrypt + verify) of a signed-then-encrypted
 * S/MIME message of about 26 KB (an operator signs with RSA-2048 PKCS#1 v1.5 and its chain,
 * then encrypts for the gateway: AES-256-CBC, RSA-OAEP SHA-256), messages/s, against two
 * baselines measured in the same process, run by run (the machine may be shared):
 *
 * - `pkijs path`: the implementation this replaced (pkijs/asn1js parse of EnvelopedData and
 *   SignedData, `SignedData.verify`, `checkCertificate` for every message), kept here only;
 * - `node:crypto bound`: the two RSA operations each message needs at least, synchronous
 *   (one RSA-OAEP private decrypt, one RSA public verify) — what no implementation beats.
 *
 * Also the lean reader without the signer-chain cache, to show what that cache brings, and
 * the PKCS#1 v1.5 path: the same message encrypted by `openssl cms` with RSAES-PKCS1-v1_5
 * key transport (what ordinary mail clients send), against the OAEP path of the same run;
 * and the key transport alone: OpenSSL's blinded `RSA_NO_PADDING` operation + the
 * branch-free unpadding with implicit rejection, for a well-formed block and for a tampered
 * one (a coarse check that rejection costs what acceptance costs, not a timing proof), next
 * to WebCrypto's RSA-OAEP decrypt.
 *
 * And the engines: the same lean path with what the Node runtime hands in (OpenSSL through
 * `node:crypto`, synchronous: the signature's digest and RSA verification, the AES-CBC
 * decryption) against WebCrypto's jobs, with this thread's CPU per message (the gateway's
 * event loop runs this path).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { measure, ratio, ratePerSecond } from './harness.js';
import { SmimeDecryptor } from '../adapters/mssante/smime/decrypt.js';
import { opensslRsaPrivate } from '../adapters/mssante/smime/rsa-openssl.js';
import { implicitRejectionKey, rsaPkcs1v15DecryptImplicit } from '../adapters/mssante/smime/rsa-pkcs1v15.js';
import { encryptCms, smimeRecipient } from '../adapters/mssante/smime/encrypt.js';
import { pkcs7MimeEntity, readSmimeEntity, withHeaders } from '../adapters/mssante/smime/mime.js';
import { DIGESTS, OID } from '../adapters/mssante/smime/oids.js';
import { unprotectEntity } from '../adapters/mssante/smime/protect.js';
import { SmimeSigner } from '../adapters/mssante/smime/sign.js';
import { invalidateSignerChains } from '../adapters/mssante/smime/verify.js';
import { parseAnchors } from '../adapters/mssante/tls/anchors.js';
import { checkCertificate } from '../adapters/mssante/tls/chain-validator.js';
import { parseCrls } from '../adapters/mssante/tls/crl-source.js';
import { loadIdentityFiles } from '../adapters/mssante/tls/files.js';
import { toArrayBuffer } from '../adapters/mssante/tls/pem.js';
import { testPki } from '../test/pki/test-pki.js';
import { nodeSignatures } from '../app/node/native-signature.js';
import { nodeAesCbcDecrypt } from '../app/node/native-cipher.js';
import { threadCpuMs } from './support/thread-cpu.js';

const SECONDS = 1.5;
const RUNS = 5;

const rate = (fn: () => Promise<unknown>, concurrency: number) => ratePerSecond(fn, concurrency, SECONDS);

/** The replaced implementation (pkijs/asn1js), for the OAEP + CBC + opaque case of this bench. */
function pkijsPath(gw: { certificate: pkijs.Certificate; pkcs8: Uint8Array }, anchors: pkijs.Certificate[], crls: pkijs.CertificateRevocationList[]) {
  const oaepKey = crypto.subtle.importKey('pkcs8', toArrayBuffer(gw.pkcs8), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
  async function decrypt(der: Uint8Array): Promise<Uint8Array> {
    const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
    const env = new pkijs.EnvelopedData({ schema: ci.content });
    const ktri = env.recipientInfos[0].value as pkijs.KeyTransRecipientInfo;
    const rid = ktri.rid as pkijs.IssuerAndSerialNumber;
    if (!rid.issuer.isEqual(gw.certificate.issuer)) throw new Error('not mine');
    const params = new pkijs.RSAESOAEPParams({ schema: ktri.keyEncryptionAlgorithm.algorithmParams });
    if (DIGESTS[params.hashAlgorithm.algorithmId] !== 'SHA-256') throw new Error('hash');
    const cek = await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, await oaepKey, new Uint8Array(ktri.encryptedKey.valueBlock.valueHexView));
    const key = await crypto.subtle.importKey('raw', cek, 'AES-CBC', false, ['decrypt']);
    const iv = (env.encryptedContentInfo.contentEncryptionAlgorithm.algorithmParams as asn1js.OctetString).valueBlock.valueHexView;
    return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: new Uint8Array(iv) }, key, env.encryptedContentInfo.getEncryptedContent()));
  }
  async function verify(der: Uint8Array): Promise<Uint8Array> {
    const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
    if (ci.contentType !== OID.signedData) throw new Error('not signed');
    const sd = new pkijs.SignedData({ schema: ci.content });
    const res = await sd.verify({ signer: 0, extendedMode: true, checkChain: false, checkDate: new Date() });
    if (!res.signatureVerified || !res.signerCertificate) throw new Error('signature');
    const intermediates = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
    const chk = await checkCertificate(res.signerCertificate, { anchors, intermediates, crls, purpose: 'smime-sign' });
    if (!chk.ok) throw new Error(chk.reason);
    return new Uint8Array(sd.encapContentInfo.eContent!.getValue());
  }
  return async (raw: Uint8Array): Promise<Uint8Array> => {
    const outer = readSmimeEntity(raw);
    if (outer.kind !== 'enveloped') throw new Error(outer.kind);
    const inner = readSmimeEntity(await decrypt(outer.der));
    if (inner.kind !== 'signed-opaque') throw new Error(inner.kind);
    return verify(inner.der);
  };
}

export default async function bench(): Promise<void> {
  const pki = await testPki();
  const gw = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
  const operator = loadIdentityFiles({ key: pki.medecin.keyFile, cert: pki.medecin.chainFile });
  const anchors = parseAnchors(new TextEncoder().encode(pki.anchorsPem)).certificates;
  const crls = parseCrls(new TextEncoder().encode(pki.crlPem));

  // The XDM attachment of a 10 KB lab report (about 7 KB compressed), base64 in a MIME entity
  const report = 'R\u00e9sultat: glyc\u00e9mie 5,2 mmol/L. '.repeat(400).slice(0, 7 * 1024);
  const zipLike = btoa(unescape(encodeURIComponent(report))).replace(/.{76}/g, '$&\r\n');
  const inner = new TextEncoder().encode(
    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCompte rendu ci-joint.\r\n' +
      `--b\r\nContent-Type: application/zip; name="IHE_XDM.ZIP"\r\nContent-Transfer-Encoding: base64\r\n\r\n${zipLike}\r\n--b--\r\n`,
  );
  const signer = await SmimeSigner.create({ pkcs8: operator.pkcs8, chain: operator.chain });
  const signed = pkcs7MimeEntity(await signer.sign(inner), 'signed-data');
  const enveloped = await encryptCms(signed, [await smimeRecipient(gw.certificate)]);
  const raw = withHeaders({ From: 'dr@medecin.mssante.fr', To: 'labo@passerelle-test.mssante.fr', Subject: 'CR' }, pkcs7MimeEntity(enveloped, 'enveloped-data'));
  process.stdout.write(`  message: ${inner.length} bytes inside, ${raw.length} bytes on the wire\n`);

  // The same signed entity encrypted by openssl with RSAES-PKCS1-v1_5 key transport (its default)
  const dir = mkdtempSync(join(tmpdir(), 'bench-inbound-'));
  writeFileSync(join(dir, 'signed.txt'), signed);
  const pkcsDer = new Uint8Array(execFileSync('openssl', ['cms', '-encrypt', '-binary', '-outform', 'DER', '-aes-256-cbc', '-in', join(dir, 'signed.txt'), '-recip', pki.gateway.certFile]));
  rmSync(dir, { recursive: true, force: true });
  const rawPkcs = withHeaders({ From: 'dr@medecin.mssante.fr', To: 'labo@passerelle-test.mssante.fr', Subject: 'CR' }, pkcs7MimeEntity(pkcsDer, 'enveloped-data'));

  const rsaPrivate = opensslRsaPrivate(gw.pkcs8);
  const decryptor = await SmimeDecryptor.create({ certificate: gw.certificate, pkcs8: gw.pkcs8, rsaPrivate });
  const lean = async () => {
    const u = await unprotectEntity(raw, { decryptor, anchors, crls });
    if (!u.signer || u.entity.length !== inner.length) throw new Error('unprotect');
  };
  const nativeDecryptor = await SmimeDecryptor.create({ certificate: gw.certificate, pkcs8: gw.pkcs8, rsaPrivate, aesCbc: nodeAesCbcDecrypt });
  const leanNative = async () => {
    const u = await unprotectEntity(raw, { decryptor: nativeDecryptor, anchors, crls, signatures: nodeSignatures });
    if (!u.signer || u.entity.length !== inner.length) throw new Error('unprotect (OpenSSL engines)');
  };
  const leanPkcs = async () => {
    const u = await unprotectEntity(rawPkcs, { decryptor, anchors, crls });
    if (!u.signer || u.entity.length !== inner.length) throw new Error('unprotect (PKCS#1 v1.5)');
  };
  // The key transport alone: the encrypted content key of the openssl message, well-formed and tampered
  const env = new pkijs.EnvelopedData({ schema: pkijs.ContentInfo.fromBER(toArrayBuffer(pkcsDer)).content });
  const goodBlock = new Uint8Array((env.recipientInfos[0].value as pkijs.KeyTransRecipientInfo).encryptedKey.valueBlock.valueHexView).slice();
  const badBlock = goodBlock.slice();
  badBlock[100] ^= 0x40;
  const ir = await implicitRejectionKey(gw.pkcs8);
  const cekOf = (block: Uint8Array) => rsaPkcs1v15DecryptImplicit(rsaPrivate, ir, block, 32);
  const goodCek = await cekOf(goodBlock);
  if (goodCek.length !== 32 || (await cekOf(badBlock)).every((v, i) => v === goodCek[i])) throw new Error('implicit rejection');
  const unwrapGood = async () => {
    await cekOf(goodBlock);
  };
  const unwrapBad = async () => {
    await cekOf(badBlock);
  };
  const oaepKey = await crypto.subtle.importKey('pkcs8', toArrayBuffer(gw.pkcs8), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
  const oaepBlock = publicEncrypt({ key: createPublicKey(pki.gateway.certPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, new Uint8Array(32));
  const unwrapOaep = async () => {
    await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, oaepKey, oaepBlock);
  };
  const leanNoChainCache = async () => {
    invalidateSignerChains();
    await lean();
  };
  const old = pkijsPath(gw, anchors, crls);
  const oldOne = async () => {
    if ((await old(raw)).length !== inner.length) throw new Error('pkijs path');
  };
  await lean();
  await leanNative();
  await leanPkcs();
  await oldOne();

  const priv = createPrivateKey(gw.keyPem);
  const pub = createPublicKey(pki.medecin.certPem);
  const opPriv = createPrivateKey(operator.keyPem);
  const wrapped = publicEncrypt({ key: createPublicKey(pki.gateway.certPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, new Uint8Array(32));
  const attrs = new Uint8Array(120);
  const sig = nodeSign('sha256', attrs, opPriv);
  const bound = async () => {
    privateDecrypt({ key: priv, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped);
    if (!nodeVerify('sha256', attrs, pub, sig)) throw new Error('verify');
  };

  const runs = {
    bound: [] as number[], old: [] as number[], leanOne: [] as number[], leanMany: [] as number[], noCache: [] as number[], oldMany: [] as number[],
    pkcsOne: [] as number[], pkcsMany: [] as number[], unwrapGood: [] as number[], unwrapBad: [] as number[], unwrapOaep: [] as number[],
    nativeMany: [] as number[], leanCpu: [] as number[], nativeCpu: [] as number[],
  };
  /** Messages/s at `concurrency`, and this thread's CPU per message (ms). */
  const withCpu = async (fn: () => Promise<unknown>, concurrency: number, into: number[], cpu: number[]) => {
    let n = 0;
    const c0 = threadCpuMs();
    into.push(await rate(async () => { await fn(); n++; }, concurrency));
    cpu.push((threadCpuMs() - c0) / n);
  };
  for (let i = 0; i < RUNS; i++) {
    runs.bound.push(await rate(bound, 1));
    runs.old.push(await rate(oldOne, 1));
    runs.oldMany.push(await rate(oldOne, 16));
    runs.leanOne.push(await rate(lean, 1));
    await withCpu(lean, 16, runs.leanMany, runs.leanCpu);
    await withCpu(leanNative, 16, runs.nativeMany, runs.nativeCpu);
    runs.noCache.push(await rate(leanNoChainCache, 16));
    runs.pkcsOne.push(await rate(leanPkcs, 1));
    runs.pkcsMany.push(await rate(leanPkcs, 16));
    runs.unwrapGood.push(await ratePerSecond(unwrapGood, 1, SECONDS / 2));
    runs.unwrapBad.push(await ratePerSecond(unwrapBad, 1, SECONDS / 2));
    runs.unwrapOaep.push(await ratePerSecond(unwrapOaep, 1, SECONDS / 2));
  }
  const b = await measure('node:crypto bound (OAEP decrypt + verify, sync)', 'msg/s', RUNS, async (i) => runs.bound[i]);
  const o1 = await measure('pkijs path, 1 in flight', 'msg/s', RUNS, async (i) => runs.old[i]);
  const o16 = await measure('pkijs path, 16 in flight', 'msg/s', RUNS, async (i) => runs.oldMany[i]);
  const l1 = await measure('lean reader + caches, 1 in flight', 'msg/s', RUNS, async (i) => runs.leanOne[i]);
  const l16 = await measure('lean reader + caches, 16 in flight', 'msg/s', RUNS, async (i) => runs.leanMany[i]);
  const e16 = await measure('lean reader + caches, OpenSSL engines (node:crypto), 16 in flight', 'msg/s', RUNS, async (i) => runs.nativeMany[i]);
  const n16 = await measure('lean reader, chain cache off, 16 in flight', 'msg/s', RUNS, async (i) => runs.noCache[i]);
  const p1 = await measure('PKCS#1 v1.5 key transport (openssl cms), 1 in flight', 'msg/s', RUNS, async (i) => runs.pkcsOne[i]);
  const p16 = await measure('PKCS#1 v1.5 key transport (openssl cms), 16 in flight', 'msg/s', RUNS, async (i) => runs.pkcsMany[i]);
  const ug = await measure('PKCS#1 v1.5 unwrap alone (OpenSSL RSA_NO_PADDING + implicit rejection), well-formed', 'ops/s', RUNS, async (i) => runs.unwrapGood[i]);
  const ub = await measure('PKCS#1 v1.5 unwrap alone, tampered (synthetic key)', 'ops/s', RUNS, async (i) => runs.unwrapBad[i]);
  const uo = await measure('RSA-OAEP SHA-256 unwrap alone (WebCrypto)', 'ops/s', RUNS, async (i) => runs.unwrapOaep[i]);
  const per = (a: number[], c: number[]) => a.map((x, i) => (x / c[i]).toFixed(1)).join(', ');
  process.stdout.write(
    `  ${ratio(l1, o1)}; ${ratio(l16, o16)} (per run ×${per(runs.leanMany, runs.oldMany)})\n` +
      `  ${ratio(n16, o16)}\n` +
      `  ${ratio(l1, b)}; ${ratio(l16, b)}\n` +
      `  ${ratio(p1, l1)}; ${ratio(p16, l16)}\n` +
      `  ${ratio(ub, ug)}; ${ratio(ug, uo)}\n` +
      `  ${ratio(e16, l16)}; this thread's CPU per message, WebCrypto ${runs.leanCpu.map((x) => x.toFixed(2)).join(', ')} ms, OpenSSL engines ${runs.nativeCpu.map((x) => x.toFixed(2)).join(', ')} ms\n`,
  );
}
