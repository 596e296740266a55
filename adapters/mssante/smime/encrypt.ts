/**
 * CMS encryption for S/MIME recipients over WebCrypto (DER written by `lib/der/`):
 * - default: EnvelopedData, AES-256-CBC, content key wrapped with RSAES-OAEP SHA-256
 *   (MGF1-SHA-256) for each recipient;
 * - option `aes-256-gcm`: AuthEnvelopedData (RFC 5083) with AES-256-GCM (RFC 5084,
 *   12-byte nonce, 16-byte tag), same key transport.
 * No `node:` imports.
 */
import type * as pkijs from 'pkijs';
import { toArrayBuffer } from '../tls/pem.js';
import { cannotSeal } from './errors.js';
import { ctx, ctxPrim, der, int, octets, oid, seq, setOf, type DerNode } from '../../../lib/der/index.js';
import { OID } from './oids.js';

export type ContentCipher = 'aes-256-cbc' | 'aes-256-gcm';

/**
 * AES-256-CBC with PKCS#7 padding as an injected function (default WebCrypto, whose
 * `importKey` + `encrypt` are two job dispatches per message): the Node runtime hands in
 * `node:crypto`'s synchronous cipher (`app/node/native-cipher.ts`).
 */
export type AesCbcEncrypt = (key: Uint8Array, iv: Uint8Array, data: Uint8Array) => Uint8Array | Promise<Uint8Array>;

const webCryptoAesCbc: AesCbcEncrypt = async (key, iv, data) => {
  const k = await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, 'AES-CBC', false, ['encrypt']);
  return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: iv as Uint8Array<ArrayBuffer> }, k, toArrayBuffer(data)));
};

/**
 * RSAES-OAEP AlgorithmIdentifier (RFC 4055 §4.1): hashAlgorithm [0] SHA-256, maskGenAlgorithm
 * [1] MGF1 with SHA-256, pSourceAlgorithm (empty label) left at its default; SHA-256
 * identifiers without parameters (RFC 5754). The bytes pkijs wrote for the same parameters.
 */
function oaepSha256AlgorithmDer(): Uint8Array {
  const sha256 = seq(oid(OID.sha256));
  return der(seq(oid(OID.rsaesOaep), seq(ctx(0, sha256), ctx(1, seq(oid(OID.mgf1), sha256)))));
}

/** A recipient, with its RSA-OAEP public key imported and its identifier encoded once. */
export interface SmimeRecipient {
  certificate: pkijs.Certificate;
  key: CryptoKey;
  /** DER of IssuerAndSerialNumber. */
  ridDer: Uint8Array;
}

/**
 * Imports a recipient certificate's public key for RSA-OAEP SHA-256.
 *
 * @example
 * const r = await smimeRecipient(cert);
 */
export async function smimeRecipient(certificate: pkijs.Certificate): Promise<SmimeRecipient> {
  const spki = certificate.subjectPublicKeyInfo.toSchema().toBER(false);
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('spki', spki, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
  } catch (err) {
    throw cannotSeal(`recipient certificate key unusable for RSA-OAEP (${(err as Error).name})`, err);
  }
  const ridDer = der(seq(new Uint8Array(certificate.issuer.toSchema().toBER(false)), new Uint8Array(certificate.serialNumber.toBER(false))));
  return { certificate, key, ridDer };
}

/**
 * RSA-OAEP (SHA-256, MGF1 SHA-256) encryption of the content key with a recipient's public
 * key, by another engine than WebCrypto: a public-key operation takes some 20 µs, less than
 * dispatching it as a WebCrypto job. The Node runtime hands in `node:crypto`'s
 * (`nodeRsaOaepEncrypt`, `app/node/native-cipher.ts`).
 */
export type RsaOaepEncrypt = (key: CryptoKey, data: Uint8Array) => Uint8Array | Promise<Uint8Array>;

const webCryptoRsaOaep: RsaOaepEncrypt = async (key, data) => new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, key, toArrayBuffer(data)));

let oaepAlgDer: Uint8Array | null = null;

async function recipientInfos(cek: Uint8Array<ArrayBuffer>, recipients: SmimeRecipient[], rsaOaep: RsaOaepEncrypt): Promise<DerNode> {
  oaepAlgDer ??= oaepSha256AlgorithmDer();
  const alg = oaepAlgDer;
  const infos = await Promise.all(
    recipients.map(async (r) => {
      const wrapped = await rsaOaep(r.key, cek);
      // KeyTransRecipientInfo ::= SEQUENCE { version 0, rid, keyEncryptionAlgorithm, encryptedKey }
      return seq(int(0), r.ridDer, alg, octets(wrapped));
    }),
  );
  return setOf(...infos);
}

/**
 * Encrypts `content` (a MIME entity) for every recipient. Returns the DER ContentInfo.
 *
 * @example
 * const der = await encryptCms(entity, [await smimeRecipient(cert)]);                  // CBC
 * const der2 = await encryptCms(entity, [await smimeRecipient(cert)], { cipher: 'aes-256-gcm' });
 */
export async function encryptCms(content: Uint8Array, recipients: SmimeRecipient[], opts: { cipher?: ContentCipher; aesCbc?: AesCbcEncrypt; rsaOaep?: RsaOaepEncrypt } = {}): Promise<Uint8Array> {
  if (recipients.length === 0) throw cannotSeal('no S/MIME recipient');
  const cipher = opts.cipher ?? 'aes-256-cbc';
  // The content key and the IV (or nonce) from one call to the generator (each call has a fixed cost).
  const random = crypto.getRandomValues(new Uint8Array(48));
  const cek = random.subarray(0, 32);
  if (cipher === 'aes-256-cbc') {
    const iv = random.subarray(32, 48);
    const [ris, ct] = await Promise.all([
      recipientInfos(cek, recipients, opts.rsaOaep ?? webCryptoRsaOaep),
      (opts.aesCbc ?? webCryptoAesCbc)(cek, iv, content),
    ]);
    // EnvelopedData ::= SEQUENCE { version 0, recipientInfos, encryptedContentInfo }
    const eci = seq(oid(OID.data), seq(oid(OID.aes256Cbc), octets(iv)), ctxPrim(0, ct));
    return der(seq(oid(OID.envelopedData), ctx(0, seq(int(0), ris, eci))));
  }
  // AuthEnvelopedData ::= SEQUENCE { version 0, recipientInfos, authEncryptedContentInfo, mac } (RFC 5083)
  const nonce = random.subarray(32, 44);
  const [ris, sealed] = await Promise.all([
    recipientInfos(cek, recipients, opts.rsaOaep ?? webCryptoRsaOaep),
    crypto.subtle.importKey('raw', cek, 'AES-GCM', false, ['encrypt'])
      .then((key) => crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, tagLength: 128 }, key, toArrayBuffer(content)))
      .then((b) => new Uint8Array(b)),
  ]);
  const ct = sealed.subarray(0, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);
  // GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING (12), aes-ICVlen INTEGER 16 } (RFC 5084)
  const eci = seq(oid(OID.data), seq(oid(OID.aes256Gcm), seq(octets(nonce), int(16))), ctxPrim(0, ct));
  return der(seq(oid(OID.authEnvelopedData), ctx(0, seq(int(0), ris, eci, octets(tag)))));
}
