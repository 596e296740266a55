/**
 * Recipients' encryption certificates: which file answers for which address or domain,
 * which certificates are refused and why, the folder's reloads (kept set on failure), and
 * how the national adapter chooses a certificate per recipient (exact address > directory >
 * domain) and seals a group where only some recipients have one. Certificates are made by
 * the `openssl` CLI.
 */
import { mkdtempSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecipientCertificateSet, type ReadFile } from '../../adapters/mssante/smime/recipient-certificates.js';
import { RecipientCertificateFolder } from '../../adapters/mssante/recipient-certificate-folder.js';
import { MssanteAdapter, type NationalSealedMessage, type NationalTransport } from '../../adapters/mssante/mssante-adapter.js';
import { readSmimeEntity } from '../../adapters/mssante/smime/mime.js';
import { SmimeSigner } from '../../adapters/mssante/smime/sign.js';
import { loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { toArrayBuffer } from '../../adapters/mssante/tls/pem.js';
import type { OutboundMessage, SealedMessage } from '../../core/model/message.js';
import { testPki, type TestPki } from '../pki/test-pki.js';
import { recipientCertificate, recipientKeys } from '../support/recipient-certs.js';
import { ConfigError, loadConfig } from '../../app/config/load-config.js';

let work: string;
let keys: ReturnType<typeof recipientKeys>;
let pki: TestPki;
const DAY = 86_400_000;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'passerelle-rcpt-certs-'));
  keys = recipientKeys(work);
  pki = await testPki();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const file = (name: string, pem: string | Uint8Array): ReadFile => ({ name, bytes: typeof pem === 'string' ? new TextEncoder().encode(pem) : pem });
const serialOf = (pem: string) => pkijs.Certificate.fromBER(toArrayBuffer(Uint8Array.from(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')))).serialNumber.valueBlock.toString();

describe('which certificate answers for which name', () => {
  it('reads addresses from subjectAltName, subject emailAddress and the file name; domains from the file name, dNSName and a CN that is a domain', () => {
    const c = (name: string, o: Parameters<typeof recipientCertificate>[2]) => recipientCertificate(work, name, o).certPem;
    const { set, report } = RecipientCertificateSet.build([
      file('jean.pem', c('jean', { key: keys.rsa, san: ['email:Jean.Dupont@medecin.mssante.fr'] })),
      file('camille.roux@ch-test.mssante.fr.pem', c('camille', { key: keys.rsa })),
      file('medecin.mssante.fr.pem', c('operateur', { key: keys.rsa })),
      file('ch.crt', c('ch', { key: keys.rsa, san: ['DNS:ch-test.mssante.fr'] })),
      file('op.cer', c('op', { key: keys.rsa, cn: 'labo.mssante.fr' })),
      file('paul.pem', c('paul', { key: keys.rsa, subjectExtra: '/emailAddress=paul.martin@labo.mssante.fr' })),
      file('no-key-usage.pem', c('noku', { key: keys.rsa, keyUsage: null, eku: null, san: ['email:sans.usage@medecin.mssante.fr'] })),
    ], new Date());
    expect(report.skipped).toEqual([]);
    expect(report.used).toHaveLength(7);
    const at = new Date();
    expect(set.forAddress('jean.dupont@MEDECIN.mssante.fr', at)?.origin).toBe('jean.pem');
    expect(set.forAddress('camille.roux@ch-test.mssante.fr', at)?.origin).toBe('camille.roux@ch-test.mssante.fr.pem');
    expect(set.forAddress('paul.martin@labo.mssante.fr', at)?.origin).toBe('paul.pem');
    expect(set.forAddress('sans.usage@medecin.mssante.fr', at)?.origin).toBe('no-key-usage.pem'); // no KeyUsage extension: unrestricted (RFC 5280)
    expect(set.forDomain('medecin.mssante.fr', at)?.origin).toBe('medecin.mssante.fr.pem');
    expect(set.forDomain('ch-test.mssante.fr', at)?.origin).toBe('ch.crt');
    expect(set.forDomain('labo.mssante.fr', at)?.origin).toBe('op.cer');
    expect(set.forAddress('someone@medecin.mssante.fr', at)).toBeUndefined(); // a domain certificate is not an address one
    expect(set.forDomain('sub.medecin.mssante.fr', at)).toBeUndefined(); // exactly the domain, not its subdomains
  });

  it('a file-name claim wins over a claim from a certificate\'s content; then the most recently issued; then the first file name', async () => {
    const byName = recipientCertificate(work, 'by-name', { key: keys.rsa }).certPem;
    const older = recipientCertificate(work, 'older', { key: keys.rsa, san: ['email:jean.dupont@medecin.mssante.fr'] }).certPem;
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 50)); // notBefore has a precision of one second
    const newer = recipientCertificate(work, 'newer', { key: keys.rsa, san: ['email:jean.dupont@medecin.mssante.fr'] }).certPem;
    const at = new Date();
    const jean = (files: ReadFile[]) => RecipientCertificateSet.build(files, at).set.forAddress('jean.dupont@medecin.mssante.fr', at)?.origin;
    expect(jean([file('a.pem', older), file('jean.dupont@medecin.mssante.fr.pem', byName), file('b.pem', newer)])).toBe('jean.dupont@medecin.mssante.fr.pem');
    expect(jean([file('a.pem', newer), file('b.pem', older)])).toBe('a.pem');
    expect(jean([file('a.pem', older), file('b.pem', newer)])).toBe('b.pem'); // a renewal placed beside the old certificate
    expect(jean([file('b.pem', older), file('a.pem', older)])).toBe('a.pem');
  });

  it('skips certificates that cannot encrypt, naming the rule', () => {
    const { set, report } = RecipientCertificateSet.build([
      file('expired@medecin.mssante.fr.pem', pki.expired.certPem),
      file('ec@medecin.mssante.fr.pem', recipientCertificate(work, 'ec', { key: keys.ec, keyUsage: 'critical,keyAgreement' }).certPem),
      file('weak@medecin.mssante.fr.pem', recipientCertificate(work, 'weak', { key: keys.rsa1024 }).certPem),
      file('signonly@medecin.mssante.fr.pem', pki.signOnly.certPem),
      file('eku@medecin.mssante.fr.pem', recipientCertificate(work, 'eku', { key: keys.rsa, eku: 'clientAuth' }).certPem),
      file('garbage@medecin.mssante.fr.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      file('key-only@medecin.mssante.fr.pem', readFileSync(keys.rsa)),
      file('nameless.pem', recipientCertificate(work, 'Personne', { key: keys.rsa }).certPem),
      { name: 'big@medecin.mssante.fr.pem', problem: 'too-large' },
    ], new Date());
    expect(Object.fromEntries(report.skipped.map((s) => [s.file, s.reason]))).toEqual({
      'expired@medecin.mssante.fr.pem': 'expired',
      'ec@medecin.mssante.fr.pem': 'not-rsa',
      'weak@medecin.mssante.fr.pem': 'weak-key',
      'signonly@medecin.mssante.fr.pem': 'key-usage',
      'eku@medecin.mssante.fr.pem': 'key-usage',
      'garbage@medecin.mssante.fr.pem': 'not-a-certificate',
      'key-only@medecin.mssante.fr.pem': 'not-a-certificate',
      'nameless.pem': 'no-name',
      'big@medecin.mssante.fr.pem': 'too-large',
    });
    expect(set.size).toEqual({ files: 0, addresses: 0, domains: 0 });
  });

  it('a certificate not yet valid is skipped; one that expires after loading stops answering at once', () => {
    const pem = recipientCertificate(work, 'soon', { key: keys.rsa, days: 30 }).certPem;
    const early = RecipientCertificateSet.build([file('soon@medecin.mssante.fr.pem', pem)], new Date(Date.now() - DAY));
    expect(early.report.skipped).toEqual([{ file: 'soon@medecin.mssante.fr.pem', reason: 'not-yet-valid' }]);
    const { set } = RecipientCertificateSet.build([file('soon@medecin.mssante.fr.pem', pem)], new Date());
    expect(set.forAddress('soon@medecin.mssante.fr', new Date())).toBeDefined();
    expect(set.forAddress('soon@medecin.mssante.fr', new Date(Date.now() + 31 * DAY))).toBeUndefined();
  });
});

describe('the folder, reloaded', () => {
  it('finds a file added after start at the next scheduled reload; keeps the set when the folder cannot be read, and a file\'s certificate while it is unreadable', async () => {
    const dir = join(work, 'folder-1');
    mkdirSync(dir);
    writeFileSync(join(dir, 'README.txt'), 'not a certificate, ignored\n');
    let reloads = 0;
    const folder = new RecipientCertificateFolder({ dir, reloadMs: 40, onReload: () => void reloads++ });
    await folder.start();
    try {
      expect(folder.status()).toMatchObject({ files: 0, lastError: null });
      const jean = recipientCertificate(work, 'jean-1', { key: keys.rsa }).certPem;
      writeFileSync(join(dir, 'jean.dupont@medecin.mssante.fr.pem'), jean);
      const seen = reloads;
      for (let i = 0; i < 100 && reloads < seen + 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(folder.forAddress('jean.dupont@medecin.mssante.fr', new Date())?.pem).toBe(jean);

      // A file being rewritten (unparsable for now) keeps its previous certificate.
      writeFileSync(join(dir, 'jean.dupont@medecin.mssante.fr.pem'), '-----BEGIN CERTIFICATE-----\nAAA');
      await folder.reload();
      expect(folder.forAddress('jean.dupont@medecin.mssante.fr', new Date())?.pem).toBe(jean);

      // The folder gone: the previous set stays in use, the failure is reported.
      renameSync(dir, `${dir}.away`);
      const st = await folder.reload();
      expect(st.lastError).toMatch(/could not be read \(ENOENT\)/);
      expect(folder.forAddress('jean.dupont@medecin.mssante.fr', new Date())?.pem).toBe(jean);
      renameSync(`${dir}.away`, dir);

      // A removed file is gone at the next reload.
      unlinkSync(join(dir, 'jean.dupont@medecin.mssante.fr.pem'));
      expect((await folder.reload()).lastError).toBeNull();
      expect(folder.forAddress('jean.dupont@medecin.mssante.fr', new Date())).toBeUndefined();
    } finally {
      folder.stop();
    }
  });

  it('is configured by mssante.recipientCertificates.dir and .reloadEvery (default 5m), also from the environment', () => {
    expect(loadConfig({ env: {} }).mssante.recipientCertificates).toEqual({ dir: '', reloadEvery: '5m' });
    const c = loadConfig({ env: { PASSERELLE_MSSANTE_RECIPIENT_CERTIFICATES_DIR: '/etc/passerelle/recipients', PASSERELLE_MSSANTE_RECIPIENT_CERTIFICATES_RELOAD_EVERY: '90s' } });
    expect(c.mssante.recipientCertificates).toEqual({ dir: '/etc/passerelle/recipients', reloadEvery: '90s' });
    expect(() => loadConfig({ env: {}, overrides: { mssante: { recipientCertificates: { reloadEvery: 'often' } } } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: {}, overrides: { mssante: { recipientCertificates: { reloadEvery: '0s' } } } })).toThrow(/reloadEvery: must be longer than 0/);
  });

  it('a folder that cannot be read at start fails the start', async () => {
    await expect(new RecipientCertificateFolder({ dir: join(work, 'missing'), reloadMs: 0 }).start()).rejects.toThrow(/could not be read \(ENOENT\)/);
  });
});

describe('the national adapter chooses per recipient', () => {
  const sent: SealedMessage[] = [];
  const transport: NationalTransport = {
    async send(m) {
      sent.push(m);
      return m.recipients.map((r) => ({ recipient: r, result: 'delivered' as const, reply: '250 2.0.0 OK' }));
    },
    async close() {},
  };
  const outbound = (to: string[], recipientCertificates?: Record<string, string>): OutboundMessage => ({
    sourceId: '01TEST', target: 'mssante', from: 'dr.alice.martin@passerelle.mssante.test', to, cc: [], subject: 'Avis', priority: 'normal',
    content: { kind: 'letter', text: 'Bonjour.\r\n', attachments: [] }, headers: {}, ...(recipientCertificates ? { recipientCertificates } : {}),
  });
  const serialsOf = (raw: Uint8Array): string[] => {
    const s = readSmimeEntity(raw);
    if (s.kind !== 'enveloped') return [];
    const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(s.der));
    const env = new pkijs.EnvelopedData({ schema: ci.content });
    return env.recipientInfos.map((ri) => ((ri.value as pkijs.KeyTransRecipientInfo).rid as pkijs.IssuerAndSerialNumber).serialNumber.valueBlock.toString()).sort();
  };

  let adapter: MssanteAdapter;
  let exact: string;
  let directory: string;
  let domain: string;
  beforeAll(async () => {
    exact = recipientCertificate(work, 'exact', { key: keys.rsa, san: ['email:jean.dupont@medecin.mssante.fr'] }).certPem;
    directory = recipientCertificate(work, 'directory', { key: keys.rsa }).certPem;
    domain = recipientCertificate(work, 'domain', { key: keys.rsa }).certPem;
    const { set } = RecipientCertificateSet.build([file('jean.pem', exact), file('medecin.mssante.fr.pem', domain)], new Date());
    const gw = loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password });
    adapter = new MssanteAdapter({
      domain: 'passerelle.mssante.test', nil: 'Passerelle/test', transport,
      smime: { signer: await SmimeSigner.create({ pkcs8: gw.pkcs8, chain: gw.chain }), signature: 'detached', anchors: [], recipientCertificates: set },
    });
  });

  it('exact address in the folder, then the directory entry, then the folder\'s domain certificate', async () => {
    const jean = 'jean.dupont@medecin.mssante.fr';
    const camille = 'camille.roux@medecin.mssante.fr';
    expect(serialsOf((await adapter.seal(outbound([jean], { [jean]: directory }))).raw)).toEqual([serialOf(exact)]);
    expect(serialsOf((await adapter.seal(outbound([camille], { [camille]: directory }))).raw)).toEqual([serialOf(directory)]);
    const byDomain = await adapter.seal(outbound([camille]));
    expect(serialsOf(byDomain.raw)).toEqual([serialOf(domain)]);
    expect(byDomain.notes).toEqual(['S/MIME: signed, encrypted for 1 recipient(s) (certificates: 0 by address, 0 from the directory, 1 by domain)']);
    // Two recipients sharing the domain certificate: one RecipientInfo for it.
    expect(serialsOf((await adapter.seal(outbound([jean, camille]))).raw)).toEqual([serialOf(exact), serialOf(domain)].sort());
  });

  it('a directory certificate that cannot encrypt is not used (noted in the trace), the domain one is', async () => {
    const camille = 'camille.roux@medecin.mssante.fr';
    const sealed = await adapter.seal(outbound([camille], { [camille]: pki.expired.certPem }));
    expect(serialsOf(sealed.raw)).toEqual([serialOf(domain)]);
    expect(sealed.notes).toContain('S/MIME: 1 directory certificate(s) not used: certificate expired');
  });

  it('when only some recipients have a certificate, each gets one copy: encrypted for those who can read it, signed in clear for the others', async () => {
    const jean = 'jean.dupont@medecin.mssante.fr';
    const other = 'x@autre.mssante.fr';
    const sealed = await adapter.seal(outbound([jean, other])) as NationalSealedMessage;
    expect(sealed.recipients).toEqual([jean, other]);
    expect(sealed.copies?.map((c) => c.recipients)).toEqual([[jean], [other]]);
    expect(sealed.raw).toBe(sealed.copies![0].raw); // handed over whole, only the encrypted copy would travel
    expect(readSmimeEntity(sealed.copies![0].raw).kind).toBe('enveloped');
    expect(readSmimeEntity(sealed.copies![1].raw).kind).toBe('multipart-signed');
    expect(sealed.notes?.[0]).toMatch(/split in two copies: encrypted for the 1 recipient\(s\) with a certificate .* not encrypted for the 1 without/);
    // Both copies carry the same header section (every co-recipient visible to each).
    const head = (raw: Uint8Array) => new TextDecoder().decode(raw).split('\r\nContent-Type:')[0];
    expect(head(sealed.copies![0].raw)).toBe(head(sealed.copies![1].raw));
    sent.length = 0;
    const outcomes = await adapter.deliver(sealed);
    expect(sent.map((m) => m.recipients)).toEqual([[jean], [other]]);
    expect(outcomes.map((o) => [o.recipient, o.result])).toEqual([[jean, 'delivered'], [other, 'delivered']]);
  });

  it('a copy whose hand-over throws fails for its own recipients only', async () => {
    const jean = 'jean.dupont@medecin.mssante.fr';
    const other = 'x@autre.mssante.fr';
    const flaky = new MssanteAdapter({
      domain: 'passerelle.mssante.test', nil: 'Passerelle/test',
      transport: {
        async send(m) {
          if (m.recipients.includes(other)) throw new Error('connection reset');
          return m.recipients.map((r) => ({ recipient: r, result: 'delivered' as const, reply: '250 2.0.0 OK' }));
        },
        async close() {},
      },
      smime: { anchors: [], recipientCertificates: RecipientCertificateSet.build([file('jean.pem', exact)], new Date()).set },
    });
    const outcomes = await flaky.deliver(await flaky.seal(outbound([jean, other])));
    expect(outcomes.map((o) => [o.recipient, o.result])).toEqual([[jean, 'delivered'], [other, 'temporary']]);
    expect(outcomes[1].reply).toMatch(/^451 4\.4\.1 /);
  });

  it('with no certificate at all, signed only, as before', async () => {
    const sealed = await adapter.seal(outbound(['x@autre.mssante.fr']));
    expect(readSmimeEntity(sealed.raw).kind).toBe('multipart-signed');
    expect((sealed as NationalSealedMessage).copies).toBeUndefined();
    expect(sealed.notes).toEqual(['S/MIME: signed, not encrypted (no recipient certificate)']);
  });
});
