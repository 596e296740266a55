/**
 * Inbound S/MIME signers are checked against the CRLs as currently installed: the adapter
 * reads them at each message (`smime.crls`), and a signer chain verified before new CRLs
 * were installed is not trusted from the cache afterwards.
 */
import type * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MssanteAdapter } from '../../adapters/mssante/mssante-adapter.js';
import { SmimeDecryptor } from '../../adapters/mssante/smime/decrypt.js';
import { encryptCms, smimeRecipient } from '../../adapters/mssante/smime/encrypt.js';
import { pkcs7MimeEntity, withHeaders } from '../../adapters/mssante/smime/mime.js';
import { SmimeSigner } from '../../adapters/mssante/smime/sign.js';
import { parseAnchors } from '../../adapters/mssante/tls/anchors.js';
import { parseCrls } from '../../adapters/mssante/tls/crl-source.js';
import { loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import type { Envelope } from '../../core/model/envelope.js';
import { testPki, type TestPki } from '../pki/test-pki.js';

let pki: TestPki;

beforeAll(async () => {
  pki = await testPki();
});

describe('CRLs reach inbound S/MIME verification', () => {
  it('a signer accepted before its revocation is refused once the CRLs are installed', async () => {
    const gw = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
    const revoked = loadIdentityFiles({ key: pki.revoked.keyFile, cert: pki.revoked.chainFile });
    const anchors = parseAnchors(new TextEncoder().encode(pki.anchorsPem)).certificates;
    let installed: pkijs.CertificateRevocationList[] = [];
    const adapter = new MssanteAdapter({
      domain: 'passerelle-test.mssante.fr', nil: 'Passerelle/test',
      transport: { send: async () => [], close: async () => undefined },
      smime: { decryptor: await SmimeDecryptor.create({ certificate: gw.certificate, pkcs8: gw.pkcs8 }), anchors, crls: () => installed },
    });
    const inner = new TextEncoder().encode('Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n');
    const signer = await SmimeSigner.create({ pkcs8: revoked.pkcs8, chain: revoked.chain });
    const signed = pkcs7MimeEntity(await signer.sign(inner), 'signed-data');
    const raw = withHeaders(
      { From: 'dr@revoque.mssante.fr', To: 'labo@passerelle-test.mssante.fr', Subject: 'CR' },
      pkcs7MimeEntity(await encryptCms(signed, [await smimeRecipient(gw.certificate)]), 'enveloped-data'),
    );
    const envelope: Envelope = {
      id: '01JD2Z6Q7X0000000000000001', source: 'mssante', mailFrom: 'dr@revoque.mssante.fr', recipients: ['labo@passerelle-test.mssante.fr'],
      messageId: null, receivedAt: Date.now(), size: raw.length, rawRef: 'test',
    };
    const opened = await adapter.open(raw, envelope);
    expect(opened.meta?.smime).toBe('encrypted, signature verified');
    installed = parseCrls(new TextEncoder().encode(pki.crlPem));
    await expect(adapter.open(raw, envelope)).rejects.toMatchObject({ kind: 'SIGNATURE_INVALID', detail: expect.stringMatching(/revoked/) });
  });
});
