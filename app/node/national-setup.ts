/**
 * Reads (or, on embedded defaults, generates) what the national side needs: anchors, the
 * gateway's identity, the trust list, and from them the TLS options, the S/MIME signer and
 * decryptor. Node edge.
 *
 * @example
 * const n = await prepareNational(config, log);
 * n.tls; n.trustList(); n.signer; await n.close();
 */
import { join } from 'node:path';
import type { SecureContextOptions } from 'node:tls';
import type { GatewayConfig } from '../config/defaults.js';
import type { Logger } from '../../core/log/logger.js';
import { parseDuration } from '../../core/queue/duration.js';
import { ensureNationalTestPki } from '../test-material/test-pki.js';
import { loadAnchorsFile, loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { mssanteTlsOptions } from '../../adapters/mssante/tls/tls-options.js';
import type { Anchors } from '../../adapters/mssante/tls/anchors.js';
import type { Identity } from '../../adapters/mssante/tls/identity.js';
import type * as pkijs from 'pkijs';
import { TrustListLoader } from '../../adapters/mssante/trust-list/loader.js';
import type { TrustList } from '../../adapters/mssante/trust-list/trust-list.js';
import { SmimeSigner } from '../../adapters/mssante/smime/sign.js';
import { nodeSha256 } from './native-hash.js';
import { SmimeDecryptor } from '../../adapters/mssante/smime/decrypt.js';
import { opensslRsaPrivate } from '../../adapters/mssante/smime/rsa-openssl.js';
import { invalidateSignerChains } from '../../adapters/mssante/smime/verify.js';
import { CrlSource } from '../../adapters/mssante/tls/crl-source.js';
import { derToPem } from '../../adapters/mssante/tls/pem.js';
import { RecipientCertificateFolder } from '../../adapters/mssante/recipient-certificate-folder.js';
import { SKIP_REASON_TEXT } from '../../adapters/mssante/smime/recipient-certificates.js';
import { nodeAesCbcDecrypt } from './native-cipher.js';

export interface NationalSetup {
  identity: Identity;
  anchors: Anchors;
  /** TLS options with the CRLs as last loaded; `onTlsChange` hears of each refresh. */
  tls: SecureContextOptions;
  onTlsChange(fn: (tls: SecureContextOptions) => void): void;
  /** The CRLs as last loaded (inbound S/MIME signers are checked against them). */
  crls(): pkijs.CertificateRevocationList[];
  trustList: () => TrustList;
  loader: TrustListLoader;
  signer?: SmimeSigner;
  decryptor: SmimeDecryptor;
  /** Recipients' encryption certificates from `mssante.recipientCertificates.dir`, when configured. */
  recipientCertificates?: RecipientCertificateFolder;
  close(): void;
}

export async function prepareNational(config: GatewayConfig, log: Logger): Promise<NationalSetup> {
  const m = config.mssante;
  let anchorsFile = m.anchors;
  let idSource: Parameters<typeof loadIdentityFiles>[0] | null = m.identity.pkcs12
    ? { pkcs12: m.identity.pkcs12, password: m.identity.password }
    : m.identity.key ? { key: m.identity.key, cert: m.identity.cert } : null;
  let trustSource = m.trustList;
  if ((!anchorsFile || !idSource || !trustSource) && config.testMaterial) {
    const pki = ensureNationalTestPki(join(config.dataDir, 'national'), m.domain);
    if (pki.created) log.warn('generated a TEST national PKI and trust list: not for production', { dir: join(config.dataDir, 'national') });
    anchorsFile ||= pki.anchorsFile;
    idSource ??= { key: pki.keyFile, cert: pki.certFile };
    trustSource ||= pki.trustListFile;
  }
  if (!anchorsFile || !idSource || !trustSource) throw new Error('national side: anchors, identity and trust list are required');
  const anchors = loadAnchorsFile(anchorsFile);
  const identity = loadIdentityFiles(idSource);
  const loader = new TrustListLoader({
    source: trustSource,
    refreshMs: parseDuration(m.trustListRefresh),
    onRefresh: (s) => (s.lastError ? log.warn('trust list refresh failed: keeping the last good copy', { error: s.lastError, ageMs: s.ageMs }) : log.debug('trust list loaded', { domains: s.domains })),
  });
  await loader.start();
  // CRLs: loaded before the listeners start (a start fails without a usable copy), then refreshed.
  const crlSource = m.crls.length ? new CrlSource({ locations: m.crls, maxAgeMs: parseDuration(m.crlRefresh) }) : null;
  let crlList: pkijs.CertificateRevocationList[] = [];
  const crlPem = async () => {
    if (!crlSource) return [];
    const list = await crlSource.get();
    if (list.length !== crlList.length || list.some((c, i) => c !== crlList[i])) {
      crlList = list;
      invalidateSignerChains(); // new CRLs: no signer chain verified before them is trusted any more
    }
    return list.map((c) => derToPem(c.toSchema().toBER(false), 'X509 CRL'));
  };
  // The four TLS 1.2 suites of the rules and TLS 1.3; a widened list is a deliberate departure from the rules: say so.
  const extraCiphers = m.tls.extraCiphers;
  let tls = mssanteTlsOptions({ identity, anchors, crlPem: await crlPem(), extraCiphers });
  if (extraCiphers.length > 0) {
    log.warn('national TLS widened beyond the rules: extra TLS 1.2 suites accepted and offered', { setting: 'mssante.tls.extraCiphers', suites: extraCiphers.join(':') });
  }
  const listeners: ((tls: SecureContextOptions) => void)[] = [];
  const crlTimer = crlSource
    ? setInterval(() => {
      crlPem().then((pem) => {
        tls = mssanteTlsOptions({ identity, anchors, crlPem: pem, extraCiphers });
        for (const l of listeners) l(tls);
      }, (err: Error) => log.warn('CRL refresh failed: keeping the last good copy', { error: err.message }));
    }, parseDuration(m.crlRefresh))
    : null;
  crlTimer?.unref();
  const signer = m.smime.sign ? await SmimeSigner.create({ pkcs8: identity.pkcs8, chain: identity.chain, scheme: m.smime.signature, sha256: nodeSha256 }) : undefined;
  const decryptor = await SmimeDecryptor.create({
    certificate: identity.certificate, pkcs8: identity.pkcs8, pkcs1v15: m.smime.pkcs1v15, rsaPrivate: opensslRsaPrivate(identity.pkcs8), aesCbc: nodeAesCbcDecrypt,
  });
  let recipientCertificates: RecipientCertificateFolder | undefined;
  try {
    recipientCertificates = await startRecipientCertificates(config, log);
  } catch (err) {
    loader.stop();
    if (crlTimer) clearInterval(crlTimer);
    throw err;
  }
  return {
    identity, anchors, loader, signer, decryptor, recipientCertificates,
    get tls() {
      return tls;
    },
    onTlsChange: (fn) => listeners.push(fn),
    crls: () => crlList,
    trustList: () => loader.current(),
    close: () => {
      loader.stop();
      if (crlTimer) clearInterval(crlTimer);
      recipientCertificates?.stop();
    },
  };
}

/**
 * The folder of recipients' certificates, loaded (a folder that cannot be read fails the
 * start) and reloaded every `reloadEvery`. Each skipped file is logged once per reason
 * (file name and rule, never content); a reload that fails is logged and keeps the set.
 */
async function startRecipientCertificates(config: GatewayConfig, log: Logger): Promise<RecipientCertificateFolder | undefined> {
  const { dir, reloadEvery } = config.mssante.recipientCertificates;
  if (!dir) return undefined;
  const told = new Map<string, string>();
  let last = '';
  const folder = new RecipientCertificateFolder({
    dir,
    reloadMs: parseDuration(reloadEvery),
    onReload: (st, report) => {
      if (!report) {
        log.warn('recipient certificates: reload failed, keeping the previous set', { error: st.lastError });
        return;
      }
      const skipped = new Map(report.skipped.map((s) => [s.file, SKIP_REASON_TEXT[s.reason]]));
      for (const [file, why] of skipped) if (told.get(file) !== why) log.warn('recipient certificate skipped', { file, reason: why });
      for (const file of report.kept) log.warn('recipient certificate file unreadable: keeping its previous certificate', { file });
      told.clear();
      for (const [file, why] of skipped) told.set(file, why);
      const summary = `${st.files}/${st.addresses}/${st.domains}`;
      if (summary !== last) log.info('recipient certificates loaded', { dir, files: st.files, addresses: st.addresses, domains: st.domains });
      last = summary;
    },
  });
  await folder.start();
  return folder;
}
