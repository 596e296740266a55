/**
 * Verification of inbound CMS SignedData (opaque or detached): the signature, the
 * messageDigest attribute, and the signer's certificate (dates, S/MIME signing usage, chain
 * to the anchors, CRLs).
 *
 * The SignedData is read with the lean BER reader (`lib/der/`, indefinite lengths
 * included) and verified directly with a `SignatureEngine` (WebCrypto's by default): the
 * digest of the content (encapsulated or detached) must equal the messageDigest attribute,
 * and the signature must verify over the signed attributes re-tagged as a SET (0x31), or
 * over the content when there are none, with RSASSA-PKCS1-v1_5 or RSA-PSS (its parameters). The signer is found among the
 * carried certificates by issuer and serial number or by subject key identifier.
 * Certificates, their public keys and the verdicts on signer chains are cached
 * (`certificate-cache.ts`). No `node:` imports.
 */
import type * as pkijs from 'pkijs';
import { equalBytes } from '../../../lib/bytes.js';
import { CertificateCache, SignerChainCache, identifies, readCertificateId, type CachedCertificate, type CmsCertificateId } from './certificate-cache.js';
import { DerReader, TagClass, UniversalTag, type BerElement } from '../../../lib/der/index.js';
import { signatureInvalid } from './errors.js';
import { DIGESTS, OID } from './oids.js';

/**
 * The digest and the RSA verification. WebCrypto's by default (`webCryptoSignatures`); each
 * of its calls is a job dispatched to a thread pool, and on these sizes (a 20 KB digest, one
 * RSA public operation) the dispatch costs the calling thread more than the work: the Node
 * runtime hands in OpenSSL's through `node:crypto`, synchronous (`app/node/native-signature.ts`).
 */
export interface SignatureEngine {
  /** The digest of `data` (`'SHA-1'`, `'SHA-256'`, `'SHA-384'`, `'SHA-512'`). */
  digest(algorithm: string, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Whether `signature` is `key`'s over `data` (RSASSA-PKCS1-v1_5, or RSA-PSS with `saltLength`). */
  verify(params: SignatureParams, key: CryptoKey, signature: Uint8Array, data: Uint8Array): boolean | Promise<boolean>;
}

const webCryptoSignatures: SignatureEngine = {
  digest: async (algorithm, data) => new Uint8Array(await crypto.subtle.digest(algorithm, buf(data))),
  verify: (params, key, signature, data) => crypto.subtle.verify(
    params.name === 'RSA-PSS' ? { name: 'RSA-PSS', saltLength: params.saltLength! } : { name: 'RSASSA-PKCS1-v1_5' },
    key,
    buf(signature),
    buf(data),
  ),
};

/** An RSA signature scheme as WebCrypto names it. */
export interface SignatureParams { name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS'; hash: string; saltLength?: number }

export interface VerifyOptions {
  anchors: pkijs.Certificate[];
  crls?: pkijs.CertificateRevocationList[];
  /** The signed bytes when the signature is detached (multipart/signed first part). */
  detachedContent?: Uint8Array;
  at?: Date;
  /** Digest and signature by this engine (default WebCrypto's). */
  engine?: SignatureEngine;
}

export interface VerifiedSignature {
  /** The signed content (encapsulated or the detached bytes given). */
  content: Uint8Array;
  signer: pkijs.Certificate;
  /** `RSASSA-PKCS1-v1_5` or `RSA-PSS`. */
  scheme: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS' | string;
  signingTime?: Date;
}

/** Signature algorithms verified as RSASSA-PKCS1-v1_5 (the hash is the SignerInfo's digest algorithm). */
const PKCS1_SIGNATURES = new Set([OID.rsaEncryption, '1.2.840.113549.1.1.5', OID.sha256WithRsa, '1.2.840.113549.1.1.12', '1.2.840.113549.1.1.13']);

/** Certificates carried by senders, read once each (shared by every verification). */
export const carriedCertificates = new CertificateCache();
/** Verdicts on signer chains (shared by every verification). */
export const signerChains = new SignerChainCache();

/**
 * Forgets every cached verdict on signer chains: call it when anchors or CRLs are replaced
 * in place (new CRL objects, as a `CrlSource` refresh returns, miss the cache anyway).
 *
 * @example
 * crls = await crlSource.get();
 * invalidateSignerChains();
 */
export function invalidateSignerChains(): void {
  signerChains.invalidate();
}

/** A WebCrypto view of the bytes (no copy unless they live in a SharedArrayBuffer). */
function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b);
}

interface SignerInfo {
  sid: CmsCertificateId;
  digest: string;
  /** Raw `[0] IMPLICIT` signed attributes, absent when there are none. */
  signedAttrs?: BerElement;
  sigAlg: string;
  sigParams?: BerElement;
  signature: Uint8Array;
}

interface Parsed {
  r: DerReader;
  eContentType: string;
  eContent?: Uint8Array;
  certificates: Uint8Array[];
  signerInfos: BerElement[];
}

function parse(der: Uint8Array): Parsed {
  const r = new DerReader(der);
  const [type, wrapped] = r.sequence(r.root(), 'ContentInfo');
  const contentType = r.oid(type);
  if (contentType !== OID.signedData) throw new Error(`content type ${contentType}`);
  const sd = r.sequence(r.children(r.expect(wrapped, TagClass.context, 0, 'content [0]'))[0], 'SignedData');
  let i = 2; // version, digestAlgorithms
  const encap = r.sequence(sd[i++], 'EncapsulatedContentInfo');
  const eContentType = r.oid(encap[0]);
  let eContent: Uint8Array | undefined;
  if (encap[1]) {
    const [octets] = r.children(r.expect(encap[1], TagClass.context, 0, 'eContent [0]'));
    eContent = r.octets(r.expect(octets, TagClass.universal, UniversalTag.octetString, 'eContent'));
  }
  const certificates: Uint8Array[] = [];
  if (r.is(sd[i], TagClass.context, 0)) {
    for (const c of r.children(sd[i++])) if (r.is(c, TagClass.universal, UniversalTag.sequence)) certificates.push(r.raw(c));
  }
  if (r.is(sd[i], TagClass.context, 1)) i++; // crls
  const signerInfos = r.children(r.expect(sd[i], TagClass.universal, UniversalTag.set, 'signerInfos'));
  return { r, eContentType, eContent, certificates, signerInfos };
}

function signerInfo(r: DerReader, el: BerElement): SignerInfo {
  const f = r.sequence(el, 'SignerInfo');
  let i = 1; // version
  const sid = readCertificateId(r, f[i++], 'IssuerAndSerialNumber');
  const digestOid = r.algorithm(f[i++], 'digestAlgorithm').oid;
  const digest = DIGESTS[digestOid];
  if (!digest) throw new Error(`unsupported digest algorithm ${digestOid}`);
  let signedAttrs: BerElement | undefined;
  if (r.is(f[i], TagClass.context, 0)) signedAttrs = f[i++];
  const sigAlg = r.algorithm(f[i++], 'signatureAlgorithm');
  const signature = r.octets(r.expect(f[i], TagClass.universal, UniversalTag.octetString, 'signature'));
  return { sid, digest, signedAttrs, sigAlg: sigAlg.oid, sigParams: sigAlg.params, signature };
}

/** The signed attributes of interest. */
function attributes(r: DerReader, el: BerElement): { messageDigest?: Uint8Array; contentType?: string; signingTime?: Date } {
  const out: { messageDigest?: Uint8Array; contentType?: string; signingTime?: Date } = {};
  for (const a of r.children(el)) {
    const [type, values] = r.sequence(a, 'Attribute');
    const oid = r.oid(type);
    const first = r.children(r.expect(values, TagClass.universal, UniversalTag.set, 'attrValues'))[0];
    if (oid === OID.messageDigest) out.messageDigest = r.octets(r.expect(first, TagClass.universal, UniversalTag.octetString, 'messageDigest'));
    else if (oid === OID.contentType) out.contentType = r.oid(first);
    else if (oid === OID.signingTime) out.signingTime = r.time(first);
  }
  return out;
}

/** WebCrypto verification parameters for the signature algorithm. */
function scheme(r: DerReader, si: SignerInfo): SignatureParams {
  if (PKCS1_SIGNATURES.has(si.sigAlg)) return { name: 'RSASSA-PKCS1-v1_5', hash: si.digest };
  if (si.sigAlg !== OID.rsassaPss) throw new Error(`unsupported signature algorithm ${si.sigAlg}`);
  // RSASSA-PSS-params: hashAlgorithm [0] (SHA-1), maskGenAlgorithm [1] (MGF1 SHA-1), saltLength [2] (20)
  let hash = 'SHA-1';
  let mgfHash = 'SHA-1';
  let saltLength = 20;
  for (const p of si.sigParams ? r.sequence(si.sigParams, 'RSASSA-PSS-params') : []) {
    const inner = p.cls === TagClass.context && p.constructed ? r.children(p)[0] : undefined; // [n] EXPLICIT
    if (p.tag === 0 && inner) hash = DIGESTS[r.algorithm(inner, 'hashAlgorithm').oid] ?? 'unknown';
    else if (p.tag === 1 && inner) {
      const mgf = r.algorithm(inner, 'maskGenAlgorithm');
      mgfHash = mgf.oid === OID.mgf1 && mgf.params ? DIGESTS[r.algorithm(mgf.params, 'MGF1 hash').oid] ?? 'unknown' : 'unknown';
    } else if (p.tag === 2 && inner) saltLength = r.smallInt(inner);
  }
  if (hash === 'unknown' || hash !== mgfHash) throw new Error(`unsupported RSASSA-PSS parameters (hash ${hash}, MGF1 ${mgfHash})`);
  return { name: 'RSA-PSS', hash, saltLength };
}

function findSigner(certs: CachedCertificate[], sid: SignerInfo['sid']): CachedCertificate | undefined {
  return certs.find((c) => identifies(sid, c));
}

/**
 * Throws `GatewayError('SIGNATURE_INVALID')` when the signature or its signer does not pass.
 *
 * @example
 * const { content, signer } = await verifySignedData(der, { anchors: anchors.certificates, crls });
 */
export async function verifySignedData(der: Uint8Array, opts: VerifyOptions): Promise<VerifiedSignature> {
  let p: Parsed;
  try {
    p = parse(der);
  } catch (err) {
    throw signatureInvalid(`not a CMS SignedData (${(err as Error).message})`, err);
  }
  if (p.signerInfos.length !== 1) throw signatureInvalid(`expected one signer, found ${p.signerInfos.length}`);
  let content: Uint8Array;
  if (p.eContent) content = p.eContent;
  else if (opts.detachedContent) content = opts.detachedContent;
  else throw signatureInvalid('detached signature without the signed content');

  const r = p.r;
  let signer: CachedCertificate;
  let carried: CachedCertificate[];
  let signingTime: Date | undefined;
  let sigAlg: string;
  try {
    const si = signerInfo(r, p.signerInfos[0]);
    sigAlg = si.sigAlg;
    const params = scheme(r, si);
    carried = p.certificates.map((c) => carriedCertificates.get(c));
    const found = findSigner(carried, si.sid);
    if (!found) throw new Error('signer certificate not found among the certificates carried');
    signer = found;
    const engine = opts.engine ?? webCryptoSignatures;
    const verifyOver = async (signedBytes: Uint8Array) => engine.verify(params, await signer.publicKey({ name: params.name, hash: params.hash }), si.signature, signedBytes);
    // async: a synchronous engine's throw becomes a rejection, judged in its turn below
    const digestOf = async (data: Uint8Array) => engine.digest(si.digest, data);
    let ok: boolean;
    if (si.signedAttrs) {
      const attrs = attributes(r, si.signedAttrs);
      if (!attrs.messageDigest) throw new Error('signed attributes without messageDigest');
      if (attrs.contentType !== undefined && attrs.contentType !== p.eContentType) throw new Error('contentType attribute does not match the content');
      signingTime = attrs.signingTime;
      const signedBytes = r.raw(si.signedAttrs).slice(); // signed as SET OF (tag 0x31), not [0] IMPLICIT
      signedBytes[0] = 0x31;
      // the digest and the signature are independent: both at once, the digest judged first
      const [digest, verified] = await Promise.allSettled([digestOf(content), verifyOver(signedBytes)]);
      if (digest.status === 'rejected') throw digest.reason;
      if (!equalBytes(digest.value, attrs.messageDigest)) throw new Error('message digest does not match the content');
      if (verified.status === 'rejected') throw verified.reason;
      ok = verified.value;
    } else ok = await verifyOver(content);
    if (!ok) throw new Error('signature value does not match');
  } catch (err) {
    const e = err as { message?: string; name?: string };
    throw signatureInvalid(`signature does not verify (${e.message || e.name || 'unknown'})`, err);
  }
  let chk: { ok: boolean; reason?: string };
  try {
    chk = await signerChains.check(signer, carried, { anchors: opts.anchors, crls: opts.crls, at: opts.at });
  } catch (err) {
    chk = { ok: false, reason: `certificate could not be read (${(err as Error).message})` };
  }
  if (!chk.ok) throw signatureInvalid(`signer certificate not accepted: ${chk.reason}`);
  return {
    content,
    signer: signer.certificate(),
    scheme: sigAlg === OID.rsassaPss ? 'RSA-PSS' : sigAlg === OID.sha256WithRsa || sigAlg === OID.rsaEncryption ? 'RSASSA-PKCS1-v1_5' : sigAlg,
    signingTime,
  };
}
