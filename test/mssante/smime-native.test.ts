/**
 * S/MIME sealing with the Node runtime's engines (`node:crypto` SHA-256 for the content
 * digest, AES-256-CBC for the content): the same bytes as with WebCrypto where the output
 * is deterministic, and `openssl cms` verifies and decrypts what they seal.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeAesCbcEncrypt } from '../../app/node/native-cipher.js';
import { nodeSha256 } from '../../app/node/native-hash.js';
import { smimeRecipient } from '../../adapters/mssante/smime/encrypt.js';
import { withHeaders } from '../../adapters/mssante/smime/mime.js';
import { protectEntity } from '../../adapters/mssante/smime/protect.js';
import { SmimeSigner } from '../../adapters/mssante/smime/sign.js';
import { parseCertificates } from '../../adapters/mssante/tls/anchors.js';
import { loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import type { Identity } from '../../adapters/mssante/tls/identity.js';
import { testPki, type TestPki } from '../pki/test-pki.js';

let pki: TestPki;
let gw: Identity;
let work: string;
const inner = new TextEncoder().encode(`Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${'Compte rendu d\u2019examens biologiques\r\n'.repeat(300)}`);

beforeAll(async () => {
  pki = await testPki();
  gw = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
  work = mkdtempSync(join(tmpdir(), 'passerelle-smime-native-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('S/MIME with node:crypto engines', () => {
  it('signs the same bytes as with WebCrypto (PKCS#1 v1.5 is deterministic)', async () => {
    const at = new Date('2026-12-05T01:00:00Z');
    const web = await SmimeSigner.create({ pkcs8: gw.pkcs8, chain: gw.chain });
    const nat = await SmimeSigner.create({ pkcs8: gw.pkcs8, chain: gw.chain, sha256: nodeSha256 });
    expect(Buffer.from(await nat.sign(inner, { signingTime: at })).equals(Buffer.from(await web.sign(inner, { signingTime: at })))).toBe(true);
  });

  it('AES-256-CBC as WebCrypto writes it (PKCS#7 padding), for every length around a block', async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const iv = crypto.getRandomValues(new Uint8Array(16));
    const k = await crypto.subtle.importKey('raw', key, 'AES-CBC', false, ['encrypt']);
    for (const n of [0, 1, 15, 16, 17, 10_000]) {
      const data = crypto.getRandomValues(new Uint8Array(n));
      const web = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, k, data));
      expect(Buffer.from(nodeAesCbcEncrypt(key, iv, data) as Uint8Array).equals(Buffer.from(web))).toBe(true);
    }
  });

  it('signed then encrypted: openssl cms decrypts, then verifies the signature', async () => {
    const signer = await SmimeSigner.create({ pkcs8: gw.pkcs8, chain: gw.chain, sha256: nodeSha256 });
    const recipient = await smimeRecipient(parseCertificates(pki.medecin.certPem)[0]);
    const entity = await protectEntity(inner, { signer, recipients: [recipient], aesCbc: nodeAesCbcEncrypt });
    const msg = join(work, 'm.eml');
    writeFileSync(msg, withHeaders({ From: 'a@passerelle-test.mssante.fr', To: 'b@medecin.mssante.fr', Subject: 'x' }, entity));
    const signed = execFileSync('openssl', ['cms', '-decrypt', '-in', msg, '-recip', pki.medecin.certFile, '-inkey', pki.medecin.keyFile]);
    const out = execFileSync('openssl', ['cms', '-verify', '-CAfile', pki.anchorsFile, '-purpose', 'any'], { input: signed, stdio: ['pipe', 'pipe', 'pipe'] });
    expect(new Uint8Array(out)).toEqual(inner);
  });
});
