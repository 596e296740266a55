/**
 * CMS SignedData (S/MIME signatures) over WebCrypto: SHA-256 with RSA PKCS#1 v1.5 or
 * RSASSA-PSS (salt 32, MGF1-SHA-256), signed attributes contentType, signingTime and
 * messageDigest, the signer's chain included. The fixed parts (certificates, signer id,
 * algorithm identifiers) are encoded once with pkijs when the signer is made; each message
 * costs one digest, one RSA operation and a few concatenations (see `lib/der/`).
 * No `node:` imports.
 */
import type * as pkijs from 'pkijs';
import { toArrayBuffer } from '../tls/pem.js';
import { concat, ctx, der, int, nul, octets, oid, seq, setOf, time, type Bytes } from '../../../lib/der/index.js';
import { cannotSeal } from './errors.js';
import { webCryptoSha256, type Sha256 } from '../../../lib/sha256.js';
import { OID } from './oids.js';

export type SignatureScheme = 'rsa-pkcs1v15' | 'rsa-pss';

export interface SignerInput {
  /** PKCS#8 DER of the signer's RSA key. */
  pkcs8: Uint8Array;
  /** Signer's certificate first, then intermediates (all go into the SignedData). */
  chain: pkijs.Certificate[];
  /** Default `rsa-pkcs1v15`. */
  scheme?: SignatureScheme;
  /**
   * The content digest (default WebCrypto). The Node runtime hands in `node:crypto`'s
   * synchronous one (`app/node/native-hash.ts`): WebCrypto's job dispatch costs more than
   * hashing 10 KB.
   */
  sha256?: Sha256;
}

function signatureAlgorithm(scheme: SignatureScheme): Bytes {
  if (scheme === 'rsa-pkcs1v15') return der(seq(oid(OID.sha256WithRsa), nul()));
  const sha256 = seq(oid(OID.sha256), nul());
  // RSASSA-PSS-params: hashAlgorithm [0], maskGenAlgorithm [1], saltLength [2] (RFC 4055)
  return der(seq(oid(OID.rsassaPss), seq(ctx(0, sha256), ctx(1, seq(oid(OID.mgf1), sha256)), ctx(2, int(32)))));
}

/**
 * A signer holding its imported key and pre-encoded certificates, for many messages.
 *
 * @example
 * const signer = await SmimeSigner.create({ pkcs8: id.pkcs8, chain: id.chain, scheme: 'rsa-pss' });
 * const der = await signer.sign(mimeEntityBytes, { detached: true });
 */
export class SmimeSigner {
  private constructor(
    private readonly key: CryptoKey,
    readonly scheme: SignatureScheme,
    private readonly certsDer: Bytes,
    private readonly sidDer: Bytes,
    private readonly sigAlgDer: Bytes,
    private readonly sha256: Sha256,
  ) {}

  static async create(input: SignerInput): Promise<SmimeSigner> {
    const scheme = input.scheme ?? 'rsa-pkcs1v15';
    const alg = scheme === 'rsa-pss' ? { name: 'RSA-PSS', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    if (input.chain.length === 0) throw cannotSeal('signer has no certificate');
    let key: CryptoKey;
    try {
      key = await crypto.subtle.importKey('pkcs8', toArrayBuffer(input.pkcs8), alg, false, ['sign']);
    } catch (err) {
      throw cannotSeal(`signing key could not be imported (${(err as Error).name})`, err);
    }
    const cert = input.chain[0];
    const certsDer = concat(...input.chain.map((c) => new Uint8Array(c.toSchema().toBER(false))));
    const sidDer = der(seq(new Uint8Array(cert.issuer.toSchema().toBER(false)), new Uint8Array(cert.serialNumber.toBER(false))));
    return new SmimeSigner(key, scheme, certsDer, sidDer, signatureAlgorithm(scheme), input.sha256 ?? webCryptoSha256);
  }

  /** The `micalg` parameter for multipart/signed. */
  get micalg(): string {
    return 'sha-256';
  }

  /**
   * Signs `content`. `detached: true` leaves the content out (for multipart/signed);
   * otherwise it is encapsulated (for application/pkcs7-mime; smime-type=signed-data).
   * Returns the DER ContentInfo.
   */
  async sign(content: Uint8Array, opts: { detached?: boolean; signingTime?: Date } = {}): Promise<Uint8Array> {
    const digest = await this.sha256(content);
    const attrs = [
      seq(oid(OID.contentType), setOf(oid(OID.data))),
      seq(oid(OID.signingTime), setOf(time(opts.signingTime ?? new Date()))),
      seq(oid(OID.messageDigest), setOf(octets(digest))),
    ];
    const signedAttrs = der(setOf(...attrs)); // signed as SET OF (tag 0x31)
    let signature: Uint8Array;
    try {
      const params = this.scheme === 'rsa-pss' ? { name: 'RSA-PSS', saltLength: 32 } : { name: 'RSASSA-PKCS1-v1_5' };
      signature = new Uint8Array(await crypto.subtle.sign(params, this.key, toArrayBuffer(signedAttrs)));
    } catch (err) {
      throw cannotSeal(`signature failed (${(err as Error).name})`, err);
    }
    const signedAttrsImplicit = signedAttrs.slice();
    signedAttrsImplicit[0] = 0xa0; // [0] IMPLICIT in SignerInfo
    const digestAlg = seq(oid(OID.sha256), nul());
    const signerInfo = seq(int(1), this.sidDer, digestAlg, signedAttrsImplicit, this.sigAlgDer, octets(signature));
    const encap = opts.detached ? seq(oid(OID.data)) : seq(oid(OID.data), ctx(0, octets(content)));
    const signedData = seq(int(1), setOf(digestAlg), encap, ctx(0, this.certsDer), setOf(signerInfo));
    return der(seq(oid(OID.signedData), ctx(0, signedData)));
  }
}
