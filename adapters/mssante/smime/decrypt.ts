/**
 * Decryption of inbound CMS EnvelopedData and AuthEnvelopedData (RFC 5083) addressed to
 * the gateway's certificate. Key transport: RSAES-OAEP (any SHA-2 or SHA-1 hash, MGF1 with
 * the same hash) through WebCrypto, and RSAES-PKCS1-v1_5 through the injected RSA private
 * operation (OpenSSL's, `rsa-openssl.ts`) and implicit rejection (see `rsa-pkcs1v15.ts` and
 * docs/smime.md). Content: AES-128/192/256 in CBC or GCM.
 * Every failure is one `GatewayError('DECRYPT_FAILED')`; the cause is only in `detail`.
 *
 * The structure is read with the lean BER reader (`lib/der/`): definite or indefinite
 * lengths, the encrypted content primitive or in segments; the ciphertext is handed to
 * WebCrypto without a copy when it is in one piece. No `node:` imports.
 */
import type * as pkijs from 'pkijs';
import { toArrayBuffer } from '../tls/pem.js';
import { identifies, readCertificate, readCertificateId, type CmsCertificateId } from './certificate-cache.js';
import { DerReader, TagClass, UniversalTag, type BerElement } from '../../../lib/der/index.js';
import { decryptFailed } from './errors.js';
import { CONTENT_CIPHERS, DIGESTS, OID } from './oids.js';
import { implicitRejectionKey, rsaPkcs1v15DecryptImplicit, type ImplicitRejectionKey, type RsaPrivateOperation } from './rsa-pkcs1v15.js';

export interface DecryptorInput {
  /** The gateway's S/MIME certificate (recipient identification). */
  certificate: pkijs.Certificate;
  /** Its private key, PKCS#8 DER. */
  pkcs8: Uint8Array;
  /**
   * Inbound RSAES-PKCS1-v1_5 key transport: `implicit-rejection` (default, safe: see
   * docs/smime.md) or `refuse` (such messages fail to decrypt).
   */
  pkcs1v15?: 'implicit-rejection' | 'refuse';
  /**
   * The RSA private operation of the same key for RSAES-PKCS1-v1_5, blinded and
   * constant-time: on Node `opensslRsaPrivate(pkcs8)` (`rsa-openssl.ts`). Without it,
   * RSAES-PKCS1-v1_5 key transport fails to decrypt, as with `pkcs1v15: 'refuse'`.
   */
  rsaPrivate?: RsaPrivateOperation;
  /**
   * AES-CBC decryption (PKCS#7 padding removed) by another engine than WebCrypto, whose
   * `importKey` and `decrypt` are two job dispatches per message, more than the work on a
   * message's size: on Node `nodeAesCbcDecrypt` (`app/node/native-cipher.ts`). Throws when
   * the padding is wrong.
   */
  aesCbc?: AesCbcDecrypt;
}

/** AES-CBC decryption with a raw 16-, 24- or 32-byte key; the padding checked and removed. */
export type AesCbcDecrypt = (key: Uint8Array, iv: Uint8Array, data: Uint8Array) => Uint8Array | Promise<Uint8Array>;

const webCryptoAesCbc: AesCbcDecrypt = async (key, iv, data) => {
  const k = await crypto.subtle.importKey('raw', buf(key), 'AES-CBC', false, ['decrypt']);
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: buf(iv) }, k, buf(data)));
};

export interface Decrypted {
  content: Uint8Array;
  /** `EnvelopedData` or `AuthEnvelopedData`. */
  structure: 'EnvelopedData' | 'AuthEnvelopedData';
  /** Content cipher OID name, e.g. `AES-CBC-256`. */
  cipher: string;
  /** `RSAES-OAEP-SHA-256`, `RSAES-PKCS1-v1_5`, … */
  keyTransport: string;
}

/** A KeyTransRecipientInfo, as offsets. */
interface KeyTrans {
  rid: CmsCertificateId;
  alg: BerElement;
  encryptedKey: Uint8Array;
}

interface Parsed {
  r: DerReader;
  structure: Decrypted['structure'];
  /** Number of recipient infos of any kind. */
  recipients: number;
  keyTrans: KeyTrans[];
  cipherOid: string;
  cipherParams?: BerElement;
  encryptedContent?: BerElement;
  mac?: Uint8Array;
  aad?: Uint8Array<ArrayBuffer>;
}

/** A WebCrypto view of the bytes (no copy unless they live in a SharedArrayBuffer). */
function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b);
}

function keyTrans(r: DerReader, el: BerElement): KeyTrans {
  const [, ridEl, alg, ek] = r.sequence(el, 'KeyTransRecipientInfo');
  return { rid: readCertificateId(r, ridEl, 'IssuerAndSerialNumber'), alg: r.expect(alg, TagClass.universal, UniversalTag.sequence, 'keyEncryptionAlgorithm'), encryptedKey: r.octets(r.expect(ek, TagClass.universal, UniversalTag.octetString, 'encryptedKey')) };
}

function parse(bytes: Uint8Array): Parsed {
  const r = new DerReader(bytes);
  const [type, wrapped] = r.sequence(r.root(), 'ContentInfo');
  const contentType = r.oid(type);
  let structure: Decrypted['structure'];
  if (contentType === OID.envelopedData) structure = 'EnvelopedData';
  else if (contentType === OID.authEnvelopedData) structure = 'AuthEnvelopedData';
  else throw new Error(`content type ${contentType} is not enveloped`);
  const items = r.sequence(r.children(r.expect(wrapped, TagClass.context, 0, 'content [0]'))[0], structure);
  let i = 1; // skip version
  if (r.is(items[i], TagClass.context, 0)) i++; // originatorInfo
  const infos = r.children(r.expect(items[i++], TagClass.universal, UniversalTag.set, 'recipientInfos'));
  // KeyTransRecipientInfo is the untagged SEQUENCE choice; the others are [1]…[4]
  const kt = infos.filter((e) => r.is(e, TagClass.universal, UniversalTag.sequence)).map((e) => keyTrans(r, e));
  const eci = r.sequence(items[i++], 'EncryptedContentInfo');
  const cipher = r.algorithm(eci[1], 'contentEncryptionAlgorithm');
  const encryptedContent = r.is(eci[2], TagClass.context, 0) ? eci[2] : undefined;
  const parsed: Parsed = { r, structure, recipients: infos.length, keyTrans: kt, cipherOid: cipher.oid, cipherParams: cipher.params, encryptedContent };
  if (structure === 'AuthEnvelopedData') {
    if (r.is(items[i], TagClass.context, 1)) {
      // authAttrs are authenticated as their DER SET OF encoding (RFC 5083 §2.2)
      parsed.aad = r.raw(items[i]).slice();
      parsed.aad[0] = 0x31;
      i++;
    }
    parsed.mac = r.octets(r.expect(items[i], TagClass.universal, UniversalTag.octetString, 'mac'));
  }
  return parsed;
}

/**
 * Holds the gateway's decryption key (imported once per hash) for many messages.
 *
 * @example
 * const dec = await SmimeDecryptor.create({ certificate: id.certificate, pkcs8: id.pkcs8, rsaPrivate: opensslRsaPrivate(id.pkcs8) });
 * const { content } = await dec.decrypt(p7mBytes); // throws GatewayError DECRYPT_FAILED
 */
export class SmimeDecryptor {
  private readonly oaepKeys = new Map<string, Promise<CryptoKey>>();
  private implicitKey: Promise<ImplicitRejectionKey> | null = null;
  private readonly issuerDer: Uint8Array;
  private readonly serial: Uint8Array;
  private readonly ski: Uint8Array | null;

  private constructor(private readonly input: DecryptorInput) {
    const own = readCertificate(new Uint8Array(input.certificate.toSchema().toBER(false)));
    this.issuerDer = own.issuer;
    this.serial = own.serial;
    this.ski = own.ski;
  }

  static async create(input: DecryptorInput): Promise<SmimeDecryptor> {
    return new SmimeDecryptor(input);
  }

  private oaepKey(hash: string): Promise<CryptoKey> {
    let k = this.oaepKeys.get(hash);
    if (!k) {
      k = crypto.subtle.importKey('pkcs8', toArrayBuffer(this.input.pkcs8), { name: 'RSA-OAEP', hash }, false, ['decrypt']);
      this.oaepKeys.set(hash, k);
    }
    return k;
  }

  private isMine(kt: KeyTrans): boolean {
    return identifies(kt.rid, { issuer: this.issuerDer, serial: this.serial, ski: this.ski });
  }

  private async unwrap(r: DerReader, kt: KeyTrans, keyBytes: number): Promise<{ cek: Uint8Array; transport: string }> {
    const alg = r.algorithm(kt.alg, 'keyEncryptionAlgorithm');
    if (alg.oid === OID.rsaesOaep) {
      // RSAES-OAEP-params: hashAlgorithm [0] (SHA-1), maskGenAlgorithm [1] (MGF1 SHA-1), pSourceAlgorithm [2]
      let hash = 'SHA-1';
      let mgfHash = 'SHA-1';
      if (alg.params && r.is(alg.params, TagClass.universal, UniversalTag.sequence)) {
        for (const p of r.children(alg.params)) {
          if (p.cls !== TagClass.context || !p.constructed) continue;
          const inner = r.children(p)[0];
          if (p.tag === 0) hash = DIGESTS[r.algorithm(inner, 'hashAlgorithm').oid] ?? 'unknown';
          else if (p.tag === 1) {
            const mgf = r.algorithm(inner, 'maskGenAlgorithm');
            mgfHash = mgf.params ? DIGESTS[r.algorithm(mgf.params, 'MGF1 hash').oid] ?? 'unknown' : 'SHA-1';
          }
        }
      }
      if (hash === 'unknown' || hash !== mgfHash) throw new Error(`unsupported RSAES-OAEP parameters (hash ${hash}, MGF1 ${mgfHash})`);
      const key = await this.oaepKey(hash);
      const cek = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, key, buf(kt.encryptedKey)));
      return { cek, transport: `RSAES-OAEP-${hash}` };
    }
    if (alg.oid === OID.rsaEncryption) {
      if (this.input.pkcs1v15 === 'refuse') throw new Error('RSAES-PKCS1-v1_5 key transport is refused by configuration');
      if (!this.input.rsaPrivate) throw new Error('RSAES-PKCS1-v1_5 key transport needs the RSA private operation (none given)');
      this.implicitKey ??= implicitRejectionKey(this.input.pkcs8);
      const cek = await rsaPkcs1v15DecryptImplicit(this.input.rsaPrivate, await this.implicitKey, kt.encryptedKey, keyBytes);
      return { cek, transport: 'RSAES-PKCS1-v1_5' };
    }
    throw new Error(`unsupported key transport ${alg.oid}`);
  }

  /** Decrypts; throws `GatewayError('DECRYPT_FAILED')` with the cause in `detail`. */
  async decrypt(bytes: Uint8Array): Promise<Decrypted> {
    let parsed: Parsed;
    try {
      parsed = parse(bytes);
    } catch (err) {
      throw decryptFailed(`not a CMS enveloped object (${(err as Error).message})`, err);
    }
    const r = parsed.r;
    const cipher = CONTENT_CIPHERS[parsed.cipherOid];
    if (!cipher) throw decryptFailed(`unsupported content cipher ${parsed.cipherOid}`);
    if ((cipher.name === 'AES-GCM') !== (parsed.structure === 'AuthEnvelopedData')) throw decryptFailed(`${cipher.name} inside ${parsed.structure}`);
    const mine = parsed.keyTrans.find((k) => this.isMine(k));
    if (!mine) throw decryptFailed(`no recipient info for the gateway certificate (${parsed.recipients} recipient(s))`);
    let cek: Uint8Array;
    let transport: string;
    try {
      ({ cek, transport } = await this.unwrap(r, mine, cipher.keyBytes));
    } catch (err) {
      throw decryptFailed(`content key could not be recovered (${(err as Error).message || (err as Error).name})`, err);
    }
    try {
      if (cek.length !== cipher.keyBytes) throw new Error('content key has the wrong length');
      if (!parsed.encryptedContent) throw new Error('no encrypted content');
      const ct = r.octets(parsed.encryptedContent);
      let plain: Uint8Array;
      if (cipher.name === 'AES-CBC') {
        const iv = r.octets(r.expect(parsed.cipherParams, TagClass.universal, UniversalTag.octetString, 'AES-CBC IV'));
        plain = await (this.input.aesCbc ?? webCryptoAesCbc)(cek, iv, ct);
      } else {
        const key = await crypto.subtle.importKey('raw', buf(cek), cipher.name, false, ['decrypt']);
        // GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen INTEGER DEFAULT 12 } (RFC 5084)
        const [nonceEl, icvEl] = r.sequence(parsed.cipherParams, 'GCMParameters');
        const nonce = r.octets(r.expect(nonceEl, TagClass.universal, UniversalTag.octetString, 'aes-nonce'));
        const icvLen = icvEl ? r.smallInt(icvEl) : 12;
        const mac = parsed.mac ?? new Uint8Array(0);
        if (mac.length !== icvLen) throw new Error('authentication tag length mismatch');
        const data = new Uint8Array(ct.length + mac.length);
        data.set(ct);
        data.set(mac, ct.length);
        plain = new Uint8Array(await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: buf(nonce), tagLength: icvLen * 8, ...(parsed.aad ? { additionalData: parsed.aad } : {}) },
          key,
          data,
        ));
      }
      return { content: plain, structure: parsed.structure, cipher: `${cipher.name}-${cipher.keyBytes * 8}`, keyTransport: transport };
    } catch (err) {
      throw decryptFailed(`content could not be decrypted (${(err as Error).message || (err as Error).name})`, err);
    }
  }
}
