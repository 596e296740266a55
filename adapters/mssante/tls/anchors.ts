/**
 * Trust anchors: the IGC-Santé chain as a PEM bundle or as a PKCS#7 certs-only `.p7b`
 * (DER or PEM), as IGC-Santé publishes it. Web-standard code (no `node:` imports).
 */
import * as pkijs from 'pkijs';
import { DerError, DerReader, TagClass, UniversalTag } from '../../../lib/der/index.js';
import { derToPem, looksLikePem, pemBlocks, toArrayBuffer } from './pem.js';

/** A set of trusted certificates, parsed and as PEM (the form Node's `tls` wants). */
export interface Anchors {
  certificates: pkijs.Certificate[];
  /** One PEM block per certificate, same order. */
  pem: string[];
}

/** The anchors file could not be read as certificates. */
export class AnchorsFormatError extends Error {
  constructor(where: string, why: string) {
    super(`Trust anchors in ${where}: ${why}`);
    this.name = 'AnchorsFormatError';
  }
}

function parseCertificateDer(der: Uint8Array, where: string): pkijs.Certificate {
  try {
    return pkijs.Certificate.fromBER(toArrayBuffer(der));
  } catch (err) {
    throw new AnchorsFormatError(where, `not an X.509 certificate (${(err as Error).message})`);
  }
}

function certificatesOfPkcs7(der: Uint8Array, where: string): pkijs.Certificate[] {
  let signed: pkijs.SignedData;
  try {
    const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
    if (ci.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw new Error(`content type ${ci.contentType} is not signed-data`);
    signed = new pkijs.SignedData({ schema: ci.content });
  } catch (err) {
    throw new AnchorsFormatError(where, `not a PKCS#7 certificate bundle (${(err as Error).message})`);
  }
  return (signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
}

/** Is this DER a ContentInfo (PKCS#7) rather than a bare certificate? */
function isContentInfo(der: Uint8Array): boolean {
  try {
    const r = new DerReader(der);
    const outer = r.read(0);
    return outer.constructed && r.is(r.children(outer)[0], TagClass.universal, UniversalTag.oid);
  } catch (err) {
    if (err instanceof DerError) return false; // not DER at all: not a ContentInfo either
    throw err;
  }
}

/**
 * Reads trust anchors from a file's bytes: PEM certificates (any number), PEM `PKCS7`
 * blocks, a DER `.p7b`, or one DER certificate. `where` names the source in error texts.
 *
 * @example
 * const anchors = parseAnchors(await readFile('igc-sante.p7b'), 'igc-sante.p7b');
 * tls.connect({ ca: anchors.pem, ... });
 */
export function parseAnchors(bytes: Uint8Array, where = 'anchors'): Anchors {
  const certificates: pkijs.Certificate[] = [];
  if (looksLikePem(bytes)) {
    const blocks = pemBlocks(new TextDecoder().decode(bytes));
    for (const b of blocks) {
      if (b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE') certificates.push(parseCertificateDer(b.der, where));
      else if (b.label === 'PKCS7' || b.label === 'CMS') certificates.push(...certificatesOfPkcs7(b.der, where));
    }
  } else if (bytes.length > 0) {
    if (isContentInfo(bytes)) certificates.push(...certificatesOfPkcs7(bytes, where));
    else certificates.push(parseCertificateDer(bytes, where));
  }
  if (certificates.length === 0) throw new AnchorsFormatError(where, 'no certificate found');
  return {
    certificates,
    pem: certificates.map((c) => derToPem(c.toSchema().toBER(false), 'CERTIFICATE')),
  };
}

/**
 * Parses every certificate of a PEM text (a chain file), in order.
 *
 * @example
 * const [leaf, ...intermediates] = parseCertificates(chainPem);
 */
export function parseCertificates(pem: string, where = 'certificate chain'): pkijs.Certificate[] {
  return pemBlocks(pem).filter((b) => b.label === 'CERTIFICATE').map((b) => parseCertificateDer(b.der, where));
}
