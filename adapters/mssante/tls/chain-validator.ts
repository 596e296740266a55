/**
 * Certificate checks with pkijs over WebCrypto: validity dates, key usage / extended key
 * usage for a purpose, chain to the trust anchors, revocation by CRL. No `node:` imports.
 */
import * as pkijs from 'pkijs';
import { DerError, DerReader } from '../../../lib/der/index.js';
import { toArrayBuffer } from './pem.js';

/** What a certificate is about to be used for; decides the key usages required. */
export type CertificatePurpose = 'tls-server' | 'tls-client' | 'smime-sign' | 'smime-encrypt' | 'any';

export interface ChainCheckOptions {
  /** Trusted certificates (roots and, optionally, intermediates). */
  anchors: pkijs.Certificate[];
  /** Extra certificates that may complete the path (e.g. sent by the peer). */
  intermediates?: pkijs.Certificate[];
  /** CRLs to check every certificate of the path against. */
  crls?: pkijs.CertificateRevocationList[];
  /**
   * When CRLs are given: must every non-root certificate of the path be covered by one?
   * Default false (a certificate whose issuer published no CRL here passes).
   */
  requireCrl?: boolean;
  /** Check time; default now. */
  at?: Date;
  purpose?: CertificatePurpose;
}

export interface ChainCheckResult {
  ok: boolean;
  /** Why it failed, in words safe to log (no key material). */
  reason?: string;
  /** Short machine code: `expired`, `not-yet-valid`, `revoked`, `untrusted`, `key-usage`, … */
  code?: 'expired' | 'not-yet-valid' | 'revoked' | 'untrusted' | 'key-usage' | 'no-crl' | 'invalid';
  path?: pkijs.Certificate[];
}

const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_ANY_EKU = '2.5.29.37.0';
export const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
} as const;

/** Key usage bit numbers (RFC 5280 §4.2.1.3). */
export const KEY_USAGE_BITS = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;
type KeyUsageName = keyof typeof KEY_USAGE_BITS;

/** Policy as data: key usages and EKUs each purpose needs (any one EKU of the list). */
const PURPOSE_RULES: Record<CertificatePurpose, { keyUsage: KeyUsageName[]; eku: string[] }> = {
  'tls-server': { keyUsage: ['digitalSignature'], eku: [EKU.serverAuth] },
  'tls-client': { keyUsage: ['digitalSignature'], eku: [EKU.clientAuth] },
  'smime-sign': { keyUsage: ['digitalSignature'], eku: [EKU.emailProtection] },
  'smime-encrypt': { keyUsage: ['keyEncipherment'], eku: [EKU.emailProtection] },
  any: { keyUsage: [], eku: [] },
};

/**
 * The key usages a certificate declares, or null when it has no KeyUsage extension
 * (meaning: unrestricted).
 *
 * @example
 * keyUsages(cert); // ['digitalSignature', 'keyEncipherment']
 */
export function keyUsages(cert: pkijs.Certificate): KeyUsageName[] | null {
  const ext = cert.extensions?.find((e) => e.extnID === OID_KEY_USAGE);
  if (!ext) return null;
  let view: Uint8Array;
  try {
    const r = new DerReader(ext.extnValue.valueBlock.valueHexView);
    view = r.bits(r.read(0)).bytes;
  } catch (err) {
    // An unreadable KeyUsage allows nothing (RFC 5280 §4.2: it is critical in practice).
    if (err instanceof DerError) return [];
    throw err;
  }
  const out: KeyUsageName[] = [];
  for (const [name, bit] of Object.entries(KEY_USAGE_BITS) as [KeyUsageName, number][]) {
    const byte = view[bit >> 3] ?? 0;
    if (byte & (0x80 >> (bit & 7))) out.push(name);
  }
  return out;
}

/** The EKU OIDs a certificate declares, or null when it has no EKU extension (unrestricted). */
export function extendedKeyUsages(cert: pkijs.Certificate): string[] | null {
  const ext = cert.extensions?.find((e) => e.extnID === OID_EXT_KEY_USAGE);
  if (!ext) return null;
  const parsed = ext.parsedValue as pkijs.ExtKeyUsage | undefined;
  return parsed?.keyPurposes ?? [];
}

/**
 * Does the certificate allow this purpose? A missing extension allows everything
 * (RFC 5280); `anyExtendedKeyUsage` satisfies any EKU.
 *
 * @example
 * allowsPurpose(cert, 'smime-encrypt'); // false for a signature-only certificate
 */
export function allowsPurpose(cert: pkijs.Certificate, purpose: CertificatePurpose): boolean {
  const rule = PURPOSE_RULES[purpose];
  const ku = keyUsages(cert);
  if (ku && !rule.keyUsage.every((u) => ku.includes(u))) return false;
  const eku = extendedKeyUsages(cert);
  if (eku && rule.eku.length > 0 && !eku.includes(OID_ANY_EKU) && !rule.eku.some((o) => eku.includes(o))) return false;
  return true;
}

/**
 * Validates a certificate: dates, purpose, chain to the anchors, CRLs.
 *
 * @example
 * const r = await checkCertificate(leaf, { anchors: anchors.certificates, crls, purpose: 'tls-client' });
 * if (!r.ok) throw new GatewayError('CERT_REQUIRED', { detail: r.reason });
 */
export async function checkCertificate(cert: pkijs.Certificate, opts: ChainCheckOptions): Promise<ChainCheckResult> {
  try {
    return await checkReadable(cert, opts);
  } catch (err) {
    // a certificate pkijs parsed but cannot walk (a malformed extension, time, key)
    return { ok: false, code: 'invalid', reason: `certificate could not be read (${(err as Error).message ?? String(err)})` };
  }
}

async function checkReadable(cert: pkijs.Certificate, opts: ChainCheckOptions): Promise<ChainCheckResult> {
  const at = opts.at ?? new Date();
  if (at < cert.notBefore.value) return { ok: false, code: 'not-yet-valid', reason: `certificate not valid before ${cert.notBefore.value.toISOString()}` };
  if (at > cert.notAfter.value) return { ok: false, code: 'expired', reason: `certificate expired on ${cert.notAfter.value.toISOString()}` };
  if (opts.purpose && !allowsPurpose(cert, opts.purpose)) {
    return { ok: false, code: 'key-usage', reason: `certificate key usage does not allow ${opts.purpose}` };
  }
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: opts.anchors,
    certs: [...(opts.intermediates ?? []), cert],
    crls: opts.crls ?? [],
    checkDate: at,
  });
  let res: pkijs.CertificateChainValidationEngineVerifyResult;
  try {
    res = await engine.verify({ passedWhenNotRevValues: !opts.requireCrl });
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    return { ok: false, code: /revocation/i.test(msg) ? 'no-crl' : 'invalid', reason: msg };
  }
  if (res.result) return { ok: true, path: res.certificatePath };
  const msg = res.resultMessage ?? 'chain validation failed';
  const code: ChainCheckResult['code'] = /revoked/i.test(msg)
    ? 'revoked'
    : /expired|validity/i.test(msg)
      ? 'expired'
      : /revocation/i.test(msg)
        ? 'no-crl'
        : /issuer|trusted|chain|path/i.test(msg)
          ? 'untrusted'
          : 'invalid';
  return { ok: false, code, reason: msg };
}

/**
 * Parses a CRL from DER.
 *
 * @example
 * const crl = parseCrl(derBytes);
 */
export function parseCrl(der: Uint8Array): pkijs.CertificateRevocationList {
  return pkijs.CertificateRevocationList.fromBER(toArrayBuffer(der));
}
