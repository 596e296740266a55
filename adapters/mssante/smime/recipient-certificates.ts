/**
 * Recipients' encryption certificates for outbound S/MIME: which certificate, if any, the
 * gateway encrypts a message for a national address with. Web-standard (no `node:` import):
 * the files are read elsewhere (`recipient-certificate-folder.ts` on Node) and handed in as
 * `{ name, bytes }`.
 *
 * A file holds one certificate (PEM `CERTIFICATE`, or DER; the first certificate of a PEM
 * chain is the recipient's, the rest are ignored). It answers for:
 * - addresses: its file name when that is an address (`jean.dupont@medecin.mssante.fr.pem`),
 *   the certificate's subjectAltName rfc822Name entries and its subject `emailAddress`;
 * - domains: its file name when that is not an address (`medecin.mssante.fr.pem`), the
 *   certificate's subjectAltName dNSName entries and a subject CN that is a domain name. A
 *   domain certificate is used for every address of exactly that domain (e.g. an
 *   operator-wide encryption certificate).
 * When several files claim one name, a file-name claim wins over a claim from the
 * certificate's content, then the most recently issued certificate (latest notBefore), then
 * the first file name in sort order.
 *
 * A certificate is refused (skipped, with a reason naming the rule) when it is outside its
 * validity period, has no RSA encryption key (rsaEncryption; RSA-PSS-only and EC keys
 * cannot do RSAES-OAEP), a key shorter than the limit, or a KeyUsage without
 * keyEncipherment / an extended key usage without emailProtection (`allowsPurpose(…,
 * 'smime-encrypt')`). No chain check: the folder is configuration the operator vouches for.
 */
import * as pkijs from 'pkijs';
import { equalBytes } from '../../../lib/bytes.js';
import { DerError, DerReader, TagClass } from '../../../lib/der/index.js';
import { allowsPurpose } from '../tls/chain-validator.js';
import { derToPem, looksLikePem, pemBlocks, toArrayBuffer } from '../tls/pem.js';

/** Limits and accepted forms of recipient certificates: policy as data. */
export const RECIPIENT_CERTIFICATE_RULES = {
  /** File name endings read from the folder; anything else is ignored. */
  extensions: ['.pem', '.crt', '.cer'] as readonly string[],
  /** A larger file is skipped unread (`too-large`). */
  maxFileBytes: 64 * 1024,
  /** RSA keys shorter than this are refused (`weak-key`). */
  minRsaBits: 2048,
} as const;

/** Why a certificate (file) was not taken. Names the rule, never the content. */
export type SkipReason =
  | 'unreadable' // the file could not be read
  | 'too-large'
  | 'not-a-certificate' // no certificate in it, or one that does not parse
  | 'expired'
  | 'not-yet-valid'
  | 'not-rsa' // no rsaEncryption key
  | 'weak-key'
  | 'key-usage' // KeyUsage without keyEncipherment, or EKU without emailProtection
  | 'no-name'; // neither its file name nor its content names an address or a domain

/** Words for each reason, safe to log. */
export const SKIP_REASON_TEXT: Record<SkipReason, string> = {
  unreadable: 'file could not be read',
  'too-large': `file larger than ${RECIPIENT_CERTIFICATE_RULES.maxFileBytes} bytes`,
  'not-a-certificate': 'no X.509 certificate could be read from it',
  expired: 'certificate expired',
  'not-yet-valid': 'certificate not yet valid',
  'not-rsa': 'key is not an RSA encryption key',
  'weak-key': `RSA key shorter than ${RECIPIENT_CERTIFICATE_RULES.minRsaBits} bits`,
  'key-usage': 'key usage does not allow key encipherment for e-mail',
  'no-name': 'neither file name nor certificate names an address or a domain',
};

/** A usable recipient certificate. */
export interface RecipientCertificate {
  /** The certificate as PEM (one block). */
  pem: string;
  certificate: pkijs.Certificate;
  notBefore: Date;
  notAfter: Date;
  /** Where it came from: a file name, or `directory`. For traces and logs. */
  origin: string;
}

/** Where outbound encryption looks for certificates (the folder of PEM files in production). */
export interface RecipientCertificateSource {
  /** The certificate published for exactly this address, valid at `at`. */
  forAddress(address: string, at: Date): RecipientCertificate | undefined;
  /** The certificate for every address of this domain, valid at `at`. */
  forDomain(domain: string, at: Date): RecipientCertificate | undefined;
}

const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const OID_SAN = '2.5.29.17';
const OID_EMAIL = '1.2.840.113549.1.9.1';
const OID_CN = '2.5.4.3';
const ADDRESS = /^[^\s@<>()",;:]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i;

/**
 * Why this certificate cannot be used to encrypt for its holder at `at`, or null when it can.
 *
 * @example
 * recipientCertificateProblem(cert, new Date()); // null, 'expired', 'key-usage', …
 */
export function recipientCertificateProblem(cert: pkijs.Certificate, at: Date): SkipReason | null {
  if (at < cert.notBefore.value) return 'not-yet-valid';
  if (at > cert.notAfter.value) return 'expired';
  if (cert.subjectPublicKeyInfo.algorithm.algorithmId !== OID_RSA_ENCRYPTION) return 'not-rsa';
  if (rsaBits(cert) < RECIPIENT_CERTIFICATE_RULES.minRsaBits) return 'weak-key';
  if (!allowsPurpose(cert, 'smime-encrypt')) return 'key-usage';
  return null;
}

function rsaBits(cert: pkijs.Certificate): number {
  try {
    const key = cert.subjectPublicKeyInfo.parsedKey as pkijs.RSAPublicKey | undefined;
    const n = key?.modulus.valueBlock.valueHexView;
    if (!n) return 0;
    let i = 0;
    while (i < n.length && n[i] === 0) i++;
    if (i === n.length) return 0;
    return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]));
  } catch {
    return 0;
  }
}

/**
 * The first certificate of a file's bytes (PEM or DER), or null.
 *
 * @example
 * readCertificateFile(bytes)?.pem;
 */
export function readCertificateFile(bytes: Uint8Array): { certificate: pkijs.Certificate; pem: string } | null {
  let der: Uint8Array | undefined;
  if (looksLikePem(bytes)) der = pemBlocks(new TextDecoder().decode(bytes)).find((b) => b.label === 'CERTIFICATE')?.der;
  else if (bytes.length > 0) der = bytes;
  if (!der) return null;
  try {
    const certificate = pkijs.Certificate.fromBER(toArrayBuffer(der));
    return { certificate, pem: derToPem(der, 'CERTIFICATE') };
  } catch {
    return null;
  }
}

/**
 * The rfc822Name ([1]) and dNSName ([2]) entries of a SubjectAltName extension value
 * (GeneralNames, RFC 5280 §4.2.1.6), as text; other kinds are skipped. An unreadable value
 * yields no name.
 */
function subjectAltNames(extnValue: Uint8Array): { type: 1 | 2; value: string }[] {
  const out: { type: 1 | 2; value: string }[] = [];
  try {
    const r = new DerReader(extnValue);
    for (const g of r.sequence(r.read(0), 'GeneralNames')) {
      if (g.cls === TagClass.context && !g.constructed && (g.tag === 1 || g.tag === 2)) out.push({ type: g.tag, value: new TextDecoder('latin1').decode(r.content(g)) });
    }
  } catch (err) {
    if (!(err instanceof DerError)) throw err;
    return [];
  }
  return out;
}

/**
 * The names a certificate (file) answers for, lower-cased.
 *
 * @example
 * certificateNames(cert, 'medecin.mssante.fr.pem'); // { fileAddress: null, fileDomain: 'medecin.mssante.fr', addresses: [...], domains: [...] }
 */
export function certificateNames(cert: pkijs.Certificate, fileName: string): { fileAddress: string | null; fileDomain: string | null; addresses: string[]; domains: string[] } {
  const stem = stemOf(fileName).toLowerCase();
  const addresses = new Set<string>();
  const domains = new Set<string>();
  const san = cert.extensions?.find((e) => e.extnID === OID_SAN);
  for (const g of san ? subjectAltNames(san.extnValue.valueBlock.valueHexView) : []) {
    const v = g.value.trim().toLowerCase();
    if (g.type === 1 && ADDRESS.test(v)) addresses.add(v);
    if (g.type === 2 && DOMAIN.test(v)) domains.add(v);
  }
  for (const tv of cert.subject.typesAndValues) {
    const v = String(tv.value.valueBlock.value ?? '').trim().toLowerCase();
    if (tv.type === OID_EMAIL && ADDRESS.test(v)) addresses.add(v);
    if (tv.type === OID_CN && !v.includes('@') && DOMAIN.test(v)) domains.add(v);
  }
  return {
    fileAddress: ADDRESS.test(stem) ? stem : null,
    fileDomain: !stem.includes('@') && DOMAIN.test(stem) ? stem : null,
    addresses: [...addresses],
    domains: [...domains],
  };
}

/** The file name without its (accepted) extension. */
export function stemOf(fileName: string): string {
  const lower = fileName.toLowerCase();
  const ext = RECIPIENT_CERTIFICATE_RULES.extensions.find((e) => lower.endsWith(e));
  return ext ? fileName.slice(0, -ext.length) : fileName;
}

/** One file as read: what it holds, or why it is not used. */
export interface ReadFile {
  name: string;
  bytes?: Uint8Array;
  /** Set when the file could not be read (`unreadable`, `too-large`). */
  problem?: SkipReason;
}

/** What a build made of the files. */
export interface BuildReport {
  /** Files whose certificate is in use. */
  used: string[];
  /** Files not used, with why. */
  skipped: Array<{ file: string; reason: SkipReason }>;
  /** Files that failed to read or parse this time whose previous certificate was kept. */
  kept: string[];
}

interface Claim {
  entry: RecipientCertificate;
  /** 0: the file name names it; 1: the certificate's content does. */
  rank: 0 | 1;
}

/**
 * An immutable set of recipient certificates built from files. `previous` lets a rebuild
 * keep the certificate of a file that is now unreadable or unparsable (a file being
 * rewritten), and reuse the parse of files whose bytes did not change.
 *
 * @example
 * const { set, report } = RecipientCertificateSet.build([{ name: 'medecin.mssante.fr.pem', bytes }], new Date());
 * set.forDomain('medecin.mssante.fr', new Date())?.pem;
 */
export class RecipientCertificateSet implements RecipientCertificateSource {
  static readonly EMPTY = new RecipientCertificateSet(new Map(), new Map(), new Map());

  private constructor(
    private readonly byAddress: Map<string, RecipientCertificate>,
    private readonly byDomain: Map<string, RecipientCertificate>,
    /** Per file: its bytes and the certificate taken from it (for the next build). */
    private readonly files: Map<string, { bytes: Uint8Array; entry: RecipientCertificate }>,
  ) {}

  get size(): { files: number; addresses: number; domains: number } {
    return { files: this.files.size, addresses: this.byAddress.size, domains: this.byDomain.size };
  }

  forAddress(address: string, at: Date): RecipientCertificate | undefined {
    return validAt(this.byAddress.get(address.trim().toLowerCase()), at);
  }

  forDomain(domain: string, at: Date): RecipientCertificate | undefined {
    return validAt(this.byDomain.get(domain.trim().toLowerCase()), at);
  }

  static build(input: ReadFile[], at: Date, previous: RecipientCertificateSet = RecipientCertificateSet.EMPTY): { set: RecipientCertificateSet; report: BuildReport } {
    const report: BuildReport = { used: [], skipped: [], kept: [] };
    const files = new Map<string, { bytes: Uint8Array; entry: RecipientCertificate }>();
    const addressClaims = new Map<string, Claim[]>();
    const domainClaims = new Map<string, Claim[]>();
    const claim = (m: Map<string, Claim[]>, key: string, c: Claim) => {
      const list = m.get(key);
      if (list) list.push(c);
      else m.set(key, [c]);
    };
    for (const f of [...input].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const before = previous.files.get(f.name);
      let entry: RecipientCertificate | undefined;
      let bytes = f.bytes;
      if (!f.problem && bytes && before && equalBytes(before.bytes, bytes)) {
        entry = before.entry;
      } else if (!f.problem && bytes) {
        const read = readCertificateFile(bytes);
        if (read) entry = { pem: read.pem, certificate: read.certificate, notBefore: read.certificate.notBefore.value, notAfter: read.certificate.notAfter.value, origin: f.name };
      }
      if (!entry) {
        const reason = f.problem ?? 'not-a-certificate';
        if (before && (reason === 'unreadable' || reason === 'not-a-certificate')) {
          entry = before.entry;
          bytes = before.bytes;
          report.kept.push(f.name);
        } else {
          report.skipped.push({ file: f.name, reason });
          continue;
        }
      }
      const problem = recipientCertificateProblem(entry.certificate, at);
      if (problem) {
        report.skipped.push({ file: f.name, reason: problem });
        continue;
      }
      const names = certificateNames(entry.certificate, f.name);
      if (!names.fileAddress && !names.fileDomain && names.addresses.length === 0 && names.domains.length === 0) {
        report.skipped.push({ file: f.name, reason: 'no-name' });
        continue;
      }
      files.set(f.name, { bytes: bytes!, entry });
      report.used.push(f.name);
      if (names.fileAddress) claim(addressClaims, names.fileAddress, { entry, rank: 0 });
      if (names.fileDomain) claim(domainClaims, names.fileDomain, { entry, rank: 0 });
      for (const a of names.addresses) if (a !== names.fileAddress) claim(addressClaims, a, { entry, rank: 1 });
      for (const d of names.domains) if (d !== names.fileDomain) claim(domainClaims, d, { entry, rank: 1 });
    }
    return { set: new RecipientCertificateSet(pick(addressClaims), pick(domainClaims), files), report };
  }
}

/** For each name, the best claim: file name first, then the latest notBefore; files were visited in name order. */
function pick(claims: Map<string, Claim[]>): Map<string, RecipientCertificate> {
  const out = new Map<string, RecipientCertificate>();
  for (const [name, list] of claims) {
    let best = list[0];
    for (const c of list.slice(1)) {
      if (c.rank < best.rank || (c.rank === best.rank && c.entry.notBefore > best.entry.notBefore)) best = c;
    }
    out.set(name, best.entry);
  }
  return out;
}

function validAt(e: RecipientCertificate | undefined, at: Date): RecipientCertificate | undefined {
  return e && at >= e.notBefore && at <= e.notAfter ? e : undefined;
}

