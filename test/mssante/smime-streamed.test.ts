/**
 * The inbound S/MIME path on openssl's streamed (indefinite-length BER) CMS, read with the
 * lean reader of lib/der: signatures and enveloped messages, mutated or truncated CMS failing
 * with the gateway's error kinds, and the cache of signer-chain verdicts (revocation, expiry).
 * The reader itself is tested in test/lib/der.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/errors/index.js';
import { SmimeDecryptor } from '../../adapters/mssante/smime/decrypt.js';
import { opensslRsaPrivate } from '../../adapters/mssante/smime/rsa-openssl.js';
import { readSmimeEntity } from '../../adapters/mssante/smime/mime.js';
import { invalidateSignerChains, signerChains, verifySignedData } from '../../adapters/mssante/smime/verify.js';
import { parseAnchors } from '../../adapters/mssante/tls/anchors.js';
import { parseCrls } from '../../adapters/mssante/tls/crl-source.js';
import { loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { testPki, type TestPki } from '../pki/test-pki.js';

describe('inbound S/MIME on openssl streamed CMS (indefinite-length BER)', () => {
  let pki: TestPki;
  let work: string;
  let anchors: pkijs.Certificate[];
  let crls: pkijs.CertificateRevocationList[];
  const inner = new TextEncoder().encode(`Content-Type: text/plain; charset=utf-8\r\n\r\n${'Compte rendu. '.repeat(2000)}\r\n`);
  const openssl = (args: string[]) => new Uint8Array(execFileSync('openssl', args, { cwd: work, stdio: ['pipe', 'pipe', 'pipe'] }));
  const file = (name: string, data: Uint8Array) => {
    writeFileSync(join(work, name), data);
    return join(work, name);
  };
  const sign = (id: { certFile: string; keyFile: string }, detached = false) =>
    openssl(['cms', '-sign', '-stream', ...(detached ? [] : ['-nodetach']), '-binary', '-outform', 'DER', '-in', file('in.txt', inner), '-signer', id.certFile, '-inkey', id.keyFile, '-certfile', pki.intermediate.certFile, '-md', 'sha256']);

  beforeAll(async () => {
    pki = await testPki();
    work = mkdtempSync(join(tmpdir(), 'passerelle-der-'));
    anchors = parseAnchors(new TextEncoder().encode(pki.anchorsPem)).certificates;
    crls = parseCrls(new TextEncoder().encode(pki.crlPem));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // (openssl cannot stream a PSS signature: "illegal zero content"; PSS is covered by smime-openssl.test.ts)
  for (const detached of [false, true]) {
    it(`verifies a streamed ${detached ? 'detached' : 'opaque'} signature`, async () => {
      const d = sign(pki.medecin, detached);
      expect(d[1]).toBe(0x80); // indefinite length, as streamed
      const v = await verifySignedData(d, { anchors, crls, ...(detached ? { detachedContent: inner } : {}) });
      expect(v.content).toEqual(inner);
      expect(v.scheme).toBe('RSASSA-PKCS1-v1_5');
      expect(v.signingTime).toBeInstanceOf(Date);
      expect(Math.abs(v.signingTime!.getTime() - Date.now())).toBeLessThan(600_000);
    });
  }

  for (const [name, opts] of [
    ['AES-256-CBC + OAEP SHA-256', ['-aes-256-cbc', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256']],
    ['AES-256-GCM + PKCS#1 v1.5', ['-aes-256-gcm']],
  ] as const) {
    it(`decrypts a streamed ${name} message`, async () => {
      const smime = openssl(['cms', '-encrypt', '-stream', '-binary', '-in', file('in.txt', inner), '-recip', pki.gateway.certFile, ...opts]);
      const s = readSmimeEntity(smime);
      if (s.kind !== 'enveloped') throw new Error(s.kind);
      expect(s.der[1]).toBe(0x80);
      const gw = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
      const dec = await SmimeDecryptor.create({ certificate: gw.certificate, pkcs8: gw.pkcs8, rsaPrivate: opensslRsaPrivate(gw.pkcs8) });
      expect((await dec.decrypt(s.der)).content).toEqual(inner);
    });
  }

  it('mutated or truncated CMS fails as SIGNATURE_INVALID / DECRYPT_FAILED, never with another exception', async () => {
    const gw = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
    const signed = sign(pki.medecin);
    const enveloped = readSmimeEntity(openssl(['cms', '-encrypt', '-stream', '-binary', '-in', file('in.txt', inner.subarray(0, 300)), '-recip', pki.gateway.certFile, '-aes-256-gcm']));
    if (enveloped.kind !== 'enveloped') throw new Error(enveloped.kind);
    const dec = await SmimeDecryptor.create({ certificate: gw.certificate, pkcs8: gw.pkcs8, rsaPrivate: opensslRsaPrivate(gw.pkcs8) });
    const mutate = (src: Uint8Array, edits: [number, number][], cut: number) => {
      const m = src.slice(0, cut % 4 === 0 ? (cut >> 2) % src.length : src.length);
      for (const [at, v] of edits) if (m.length) m[at % m.length] = v;
      return m;
    };
    const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(edits, fc.nat(), async (e, cut) => {
        for (const [input, run, kind] of [
          [mutate(signed, e, cut), (d: Uint8Array) => verifySignedData(d, { anchors }), 'SIGNATURE_INVALID'],
          [mutate(enveloped.der, e, cut), (d: Uint8Array) => dec.decrypt(d), 'DECRYPT_FAILED'],
        ] as const) {
          const err = await (run as (d: Uint8Array) => Promise<unknown>)(input).then(() => null, (x: unknown) => x ?? 'nullish rejection');
          if (err !== null) {
            expect(err).toBeInstanceOf(GatewayError);
            expect(err).toMatchObject({ kind });
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('cached signer chains: new CRLs revoke at once, expiry is rechecked, invalidate() forgets', async () => {
    const d = sign(pki.revoked);
    invalidateSignerChains();
    await expect(verifySignedData(d, { anchors })).resolves.toMatchObject({ content: inner });
    expect(signerChains.size).toBe(1);
    // the same signer, now with CRLs installed: the cached success does not apply
    await expect(verifySignedData(d, { anchors, crls })).rejects.toMatchObject({ kind: 'SIGNATURE_INVALID', detail: expect.stringMatching(/revoked/) });
    // a check after the signer's notAfter is not answered from the cache
    await expect(verifySignedData(d, { anchors, at: new Date(Date.now() + 20 * 365 * 86_400_000) })).rejects.toMatchObject({ detail: expect.stringMatching(/expired/) });
    invalidateSignerChains();
    expect(signerChains.size).toBe(0);
  });
});
