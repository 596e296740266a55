/**
 * Verification of inbound CMS SignedData (opaque or detached): the signature, the
 * messageDigest attribute, and the signer's certificate (dates, S/MIME signing usage, chain
 * to the anchors, CRLs). No `node:` imports.
 */
import * as pkijs from 'pkijs';
import { checkCertificate } from '../tls/chain-validator.js';
import { toArrayBuffer } from '../tls/pem.js';
import { signatureInvalid } from './errors.js';
import { OID } from './oids.js';

export interface VerifyOptions {
  anchors: pkijs.Certificate[];
  crls?: pkijs.CertificateRevocationList[];
  /** The signed bytes when the signature is detached (multipart/signed first part). */
  detachedContent?: Uint8Array;
  at?: Date;
}

export interface VerifiedSignature {
  /** The signed content (encapsulated or the detached bytes given). */
  content: Uint8Array;
  signer: pkijs.Certificate;
  /** `RSASSA-PKCS1-v1_5` or `RSA-PSS`. */
  scheme: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS' | string;
  signingTime?: Date;
}

/**
 * Throws `GatewayError('SIGNATURE_INVALID')` when the signature or its signer does not pass.
 *
 * @example
 * const { content, signer } = await verifySignedData(der, { anchors: anchors.certificates, crls });
 */
export async function verifySignedData(der: Uint8Array, opts: VerifyOptions): Promise<VerifiedSignature> {
  let sd: pkijs.SignedData;
  try {
    const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
    if (ci.contentType !== OID.signedData) throw new Error(`content type ${ci.contentType}`);
    sd = new pkijs.SignedData({ schema: ci.content });
  } catch (err) {
    throw signatureInvalid(`not a CMS SignedData (${(err as Error).message})`, err);
  }
  if (sd.signerInfos.length !== 1) throw signatureInvalid(`expected one signer, found ${sd.signerInfos.length}`);
  const encap = sd.encapContentInfo.eContent;
  let content: Uint8Array;
  if (encap) content = new Uint8Array(encap.getValue());
  else if (opts.detachedContent) content = opts.detachedContent;
  else throw signatureInvalid('detached signature without the signed content');

  let res: pkijs.SignedDataVerifyResult;
  try {
    res = await sd.verify({
      signer: 0,
      data: encap ? undefined : toArrayBuffer(content),
      extendedMode: true,
      checkChain: false,
      checkDate: opts.at ?? new Date(),
    });
  } catch (err) {
    const e = err as { message?: string; code?: number };
    throw signatureInvalid(`signature does not verify (${e.message ?? e.code ?? 'unknown'})`, err);
  }
  if (!res.signatureVerified || !res.signerCertificate) throw signatureInvalid('signature does not verify');
  const signer = res.signerCertificate;
  const intermediates = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const chk = await checkCertificate(signer, { anchors: opts.anchors, intermediates, crls: opts.crls, at: opts.at, purpose: 'smime-sign' });
  if (!chk.ok) throw signatureInvalid(`signer certificate not accepted: ${chk.reason}`);
  const si = sd.signerInfos[0];
  const st = si.signedAttrs?.attributes.find((a) => a.type === OID.signingTime)?.values[0] as { toDate?: () => Date } | undefined;
  const algOid = si.signatureAlgorithm.algorithmId;
  return {
    content,
    signer,
    scheme: algOid === '1.2.840.113549.1.1.10' ? 'RSA-PSS' : algOid === '1.2.840.113549.1.1.11' || algOid === OID.rsaEncryption ? 'RSASSA-PKCS1-v1_5' : algOid,
    signingTime: st?.toDate?.(),
  };
}
