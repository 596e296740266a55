/**
 * Optional check of a detached signature over the trust list, where a signing certificate
 * is configured. The format chosen (the public material names none): a CMS/PKCS#7 detached
 * SignedData (`.p7s`, DER or PEM) over the exact bytes of the XML file, made by the
 * configured certificate. No `node:` imports.
 */
import * as pkijs from 'pkijs';
import { equalBytes } from '../../../lib/bytes.js';
import { looksLikePem, pemBlocks, toArrayBuffer } from '../tls/pem.js';

export class TrustListSignatureError extends Error {
  constructor(why: string) {
    super(`Trust list signature: ${why}`);
    this.name = 'TrustListSignatureError';
  }
}

function sameCert(a: pkijs.Certificate, b: pkijs.Certificate): boolean {
  return equalBytes(new Uint8Array(a.toSchema().toBER(false)), new Uint8Array(b.toSchema().toBER(false)));
}

/**
 * Throws `TrustListSignatureError` unless `signature` is a valid detached CMS signature of
 * `data` by `signer`.
 *
 * @example
 * await verifyTrustListSignature(xmlBytes, p7sBytes, signerCert);
 */
export async function verifyTrustListSignature(data: Uint8Array, signature: Uint8Array, signer: pkijs.Certificate): Promise<void> {
  let der = signature;
  if (looksLikePem(signature)) {
    const b = pemBlocks(new TextDecoder().decode(signature)).find((x) => x.label === 'PKCS7' || x.label === 'CMS');
    if (!b) throw new TrustListSignatureError('no PKCS7 block in the signature file');
    der = b.der;
  }
  let sd: pkijs.SignedData;
  try {
    const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
    if (ci.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw new Error('not signed-data');
    sd = new pkijs.SignedData({ schema: ci.content });
  } catch (err) {
    throw new TrustListSignatureError(`unreadable signature (${(err as Error).message})`);
  }
  if (sd.signerInfos.length === 0) throw new TrustListSignatureError('no signer');
  sd.certificates = [signer];
  let res: pkijs.SignedDataVerifyResult;
  try {
    res = await sd.verify({ signer: 0, data: toArrayBuffer(data), extendedMode: true, checkChain: false });
  } catch (err) {
    const e = err as { message?: string; signatureVerified?: boolean };
    throw new TrustListSignatureError(`does not verify (${e.message ?? 'signer not found or bad signature'})`);
  }
  if (!res.signatureVerified) throw new TrustListSignatureError('does not verify');
  if (!res.signerCertificate || !sameCert(res.signerCertificate, signer)) throw new TrustListSignatureError('not made by the configured signing certificate');
}
