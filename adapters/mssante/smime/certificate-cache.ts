/**
 * What the inbound S/MIME path remembers about the certificates senders carry in their
 * SignedData, so that a signer seen before costs neither a pkijs parse, nor a public-key
 * import, nor a chain validation:
 *
 * - `CertificateCache`: each distinct certificate DER is read once (identifying fields with
 *   the lean reader, the pkijs object on first need), and its public key imported once per
 *   algorithm. Keyed by a hash of the DER bytes, a hit also compares the bytes, so a
 *   colliding certificate can never be taken for another.
 * - `SignerChainCache`: the verdict of `checkCertificate` for a signer, the other carried
 *   certificates, the anchors and the CRLs given. Only successes are kept, until the
 *   earliest of: the path's first notAfter, the CRLs' first nextUpdate, 10 minutes after
 *   the check. Anchors and CRLs enter the key by object identity, so installing new CRLs
 *   (a new list of CRL objects, as `CrlSource` returns after each refresh) misses the cache
 *   and the signer is checked against them; `invalidate()` drops everything at once.
 *
 * Both are bounded (least recently used entries go first). No `node:` imports.
 */
import * as pkijs from 'pkijs';
import { checkCertificate, type ChainCheckResult } from '../tls/chain-validator.js';
import { equalBytes } from '../../../lib/bytes.js';
import { DerReader, TagClass, UniversalTag, type BerElement } from '../../../lib/der/index.js';

const OID_SUBJECT_KEY_ID = '2.5.29.14';

/** A carried certificate, read once. */
export interface CachedCertificate {
  /** Unique for each distinct DER while cached (never reused). */
  readonly id: number;
  /** The DER bytes (a copy owned by the cache). */
  readonly der: Uint8Array<ArrayBuffer>;
  /** Issuer Name, as encoded in the certificate. */
  readonly issuer: Uint8Array;
  /** Content octets of the serialNumber INTEGER. */
  readonly serial: Uint8Array;
  /** Subject key identifier, when the certificate has one. */
  readonly ski: Uint8Array | null;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array<ArrayBuffer>;
  /** The pkijs certificate, parsed on first call only. */
  certificate(): pkijs.Certificate;
  /** Its public key for this WebCrypto algorithm, imported on first call only. */
  publicKey(alg: RsaHashedImportParams): Promise<CryptoKey>;
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** A CMS SignerIdentifier or RecipientIdentifier: IssuerAndSerialNumber, or [0] SubjectKeyIdentifier. */
export type CmsCertificateId = { issuer: Uint8Array; serial: Uint8Array } | { ski: Uint8Array };

/** Reads a SignerIdentifier / RecipientIdentifier (RFC 5652 §5.3, §6.2.1); `what` names it in errors. */
export function readCertificateId(r: DerReader, el: BerElement | undefined, what: string): CmsCertificateId {
  if (r.is(el, TagClass.context, 0)) return { ski: r.octets(el) };
  const [issuer, serial] = r.sequence(el, what);
  return { issuer: r.raw(r.expect(issuer, TagClass.universal, UniversalTag.sequence, 'issuer')), serial: r.content(r.expect(serial, TagClass.universal, UniversalTag.integer, 'serialNumber')) };
}

/** Does the identifier name this certificate (by issuer and serial, or by subject key identifier)? */
export function identifies(id: CmsCertificateId, c: { issuer: Uint8Array; serial: Uint8Array; ski: Uint8Array | null }): boolean {
  if ('ski' in id) return !!c.ski && equalBytes(c.ski, id.ski);
  return equalBytes(c.serial, id.serial) && equalBytes(c.issuer, id.issuer);
}

let nextId = 1;

/**
 * Reads the identifying fields of a certificate (not cached: see `CertificateCache`);
 * throws `DerError` when the bytes are not a certificate.
 *
 * @example
 * const { issuer, serial, ski } = readCertificate(new Uint8Array(cert.toSchema().toBER(false)));
 */
export function readCertificate(der: Uint8Array<ArrayBuffer>): CachedCertificate {
  const r = new DerReader(der);
  const [tbs] = r.sequence(r.root(), 'Certificate');
  const f = r.sequence(tbs, 'TBSCertificate');
  let i = r.is(f[0], TagClass.context, 0) ? 1 : 0; // version [0] EXPLICIT
  const serial = r.content(r.expect(f[i++], TagClass.universal, UniversalTag.integer, 'serialNumber'));
  i++; // signature AlgorithmIdentifier
  const issuer = r.raw(r.expect(f[i++], TagClass.universal, UniversalTag.sequence, 'issuer'));
  i += 2; // validity, subject
  const spki = r.raw(r.expect(f[i++], TagClass.universal, UniversalTag.sequence, 'subjectPublicKeyInfo')).slice();
  let ski: Uint8Array | null = null;
  const exts = f.slice(i).find((e) => r.is(e, TagClass.context, 3));
  if (exts) {
    for (const ext of r.sequence(r.children(exts)[0], 'extensions')) {
      const parts = r.sequence(ext, 'Extension');
      if (r.oid(parts[0]) !== OID_SUBJECT_KEY_ID) continue;
      const value = r.expect(parts.at(-1), TagClass.universal, UniversalTag.octetString, 'extnValue');
      const inner = new DerReader(r.content(value));
      ski = inner.content(inner.expect(inner.root(), TagClass.universal, UniversalTag.octetString, 'keyIdentifier'));
    }
  }
  let parsed: pkijs.Certificate | null = null;
  const keys = new Map<string, Promise<CryptoKey>>();
  return {
    id: nextId++,
    der,
    issuer,
    serial,
    ski,
    spki,
    certificate() {
      parsed ??= pkijs.Certificate.fromBER(der);
      return parsed;
    },
    publicKey(alg) {
      const name = `${alg.name}/${typeof alg.hash === 'string' ? alg.hash : alg.hash.name}`;
      let k = keys.get(name);
      if (!k) {
        k = crypto.subtle.importKey('spki', spki, alg, false, ['verify']);
        k.catch(() => keys.delete(name));
        keys.set(name, k);
      }
      return k;
    },
  };
}

/**
 * Certificates read once each, bounded.
 *
 * @example
 * const certs = new CertificateCache();
 * const c = certs.get(certDerFromSignedData);    // same object next time for the same bytes
 * const key = await c.publicKey({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' });
 */
export class CertificateCache {
  private readonly entries = new Map<string, CachedCertificate>();

  constructor(private readonly max = 512) {}

  /** The certificate of these DER bytes; throws `DerError` when they are not one. */
  get(der: Uint8Array): CachedCertificate {
    const key = `${fnv1a(der)}:${der.length}`;
    const hit = this.entries.get(key);
    if (hit && equalBytes(hit.der, der)) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const entry = readCertificate(der.slice());
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return entry;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** What a signer's chain is checked against. */
export interface SignerChainInput {
  anchors: pkijs.Certificate[];
  crls?: pkijs.CertificateRevocationList[];
  at?: Date;
}

interface Verdict {
  result: ChainCheckResult;
  checkedAt: number;
  until: number;
}

/** How long a verified signer chain is trusted without checking it again, at most. */
export const SIGNER_CHAIN_TTL_MS = 10 * 60_000;

/**
 * Verdicts of `checkCertificate(signer, { purpose: 'smime-sign', … })`, bounded in number
 * and in time (see the file comment).
 *
 * @example
 * const chains = new SignerChainCache();
 * const r = await chains.check(signer, carried, { anchors, crls }); // r.ok, r.reason
 * chains.invalidate();                                             // e.g. after new anchors
 */
export class SignerChainCache {
  private readonly verdicts = new Map<string, Verdict>();
  private readonly objectIds = new WeakMap<object, number>();
  private nextObjectId = 1;
  private generation = 0;

  constructor(
    private readonly max = 1024,
    private readonly ttlMs = SIGNER_CHAIN_TTL_MS,
  ) {}

  private idOf(o: object): number {
    let id = this.objectIds.get(o);
    if (id === undefined) {
      id = this.nextObjectId++;
      this.objectIds.set(o, id);
    }
    return id;
  }

  private key(signer: CachedCertificate, carried: CachedCertificate[], input: SignerChainInput): string {
    const others = carried.map((c) => c.id).sort((a, b) => a - b).join(',');
    const anchors = input.anchors.map((a) => this.idOf(a)).join(',');
    const crls = (input.crls ?? []).map((c) => this.idOf(c)).join(',');
    return `${this.generation}|${signer.id}|${others}|${anchors}|${crls}`;
  }

  /** Checks the signer's chain, or returns the success found for the same inputs. */
  async check(signer: CachedCertificate, carried: CachedCertificate[], input: SignerChainInput): Promise<ChainCheckResult> {
    const at = (input.at ?? new Date()).getTime();
    const key = this.key(signer, carried, input);
    const hit = this.verdicts.get(key);
    if (hit && at >= hit.checkedAt && at < hit.until) return hit.result;
    if (hit) this.verdicts.delete(key);
    const generation = this.generation;
    const result = await checkCertificate(signer.certificate(), {
      anchors: input.anchors,
      intermediates: carried.map((c) => c.certificate()),
      crls: input.crls,
      at: new Date(at),
      purpose: 'smime-sign',
    });
    if (result.ok && generation === this.generation) {
      let until = at + this.ttlMs;
      for (const c of result.path ?? [signer.certificate()]) until = Math.min(until, c.notAfter.value.getTime());
      for (const crl of input.crls ?? []) {
        const next = crl.nextUpdate?.value.getTime();
        if (next !== undefined) until = Math.min(until, next);
      }
      if (until > at) {
        this.verdicts.set(key, { result, checkedAt: at, until });
        if (this.verdicts.size > this.max) this.verdicts.delete(this.verdicts.keys().next().value!);
      }
    }
    return result;
  }

  /** Forgets every verdict (new anchors or CRLs installed in place, key compromise…). */
  invalidate(): void {
    this.generation++;
    this.verdicts.clear();
  }

  get size(): number {
    return this.verdicts.size;
  }
}
