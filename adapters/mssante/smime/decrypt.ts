/**
 * Decryption of inbound CMS EnvelopedData and AuthEnvelopedData (RFC 5083) addressed to
 * the gateway's certificate. Key transport: RSAES-OAEP (any SHA-2 or SHA-1 hash, MGF1 with
 * the same hash) through WebCrypto, and RSAES-PKCS1-v1_5 through implicit rejection (see
 * `rsa-pkcs1v15.ts` and docs/smime.md). Content: AES-128/192/256 in CBC or GCM.
 * Every failure is one `GatewayError('DECRYPT_FAILED')`; the cause is only in `detail`.
 * No `node:` imports.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../tls/pem.js';
import { decryptFailed } from './errors.js';
import { CONTENT_CIPHERS, DIGESTS, OID } from './oids.js';
import { rsaKeyParts, rsaPkcs1v15DecryptImplicit, type RsaPrivateKeyParts } from './rsa-pkcs1v15.js';

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
}

export interface Decrypted {
  content: Uint8Array;
  /** `EnvelopedData` or `AuthEnvelopedData`. */
  structure: 'EnvelopedData' | 'AuthEnvelopedData';
  /** Content cipher OID name, e.g. `AES-CBC-256`. */
  cipher: string;
  /** `RSAES-OAEP-SHA-256`, `RSAES-PKCS1-v1_5`, … */
  keyTransport: string;
}

interface Parsed {
  structure: Decrypted['structure'];
  recipientInfos: pkijs.RecipientInfo[];
  eci: pkijs.EncryptedContentInfo;
  mac?: Uint8Array;
  aad?: Uint8Array;
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function der(x: { toSchema(): asn1js.BaseBlock }): Uint8Array {
  return new Uint8Array(x.toSchema().toBER(false));
}

function subjectKeyId(cert: pkijs.Certificate): Uint8Array | null {
  const ext = cert.extensions?.find((e) => e.extnID === '2.5.29.14');
  const v = ext?.parsedValue as asn1js.OctetString | undefined;
  return v ? new Uint8Array(v.valueBlock.valueHexView) : null;
}

function parse(bytes: Uint8Array): Parsed {
  const asn = asn1js.fromBER(toArrayBuffer(bytes));
  if (asn.offset === -1) throw new Error('not DER');
  const ci = new pkijs.ContentInfo({ schema: asn.result });
  if (ci.contentType === OID.envelopedData) {
    const env = new pkijs.EnvelopedData({ schema: ci.content });
    return { structure: 'EnvelopedData', recipientInfos: env.recipientInfos, eci: env.encryptedContentInfo };
  }
  if (ci.contentType === OID.authEnvelopedData) {
    const seq = ci.content as asn1js.Sequence;
    const items = seq.valueBlock.value;
    let i = 1; // skip version
    if (items[i]?.idBlock.tagClass === 3 && items[i]?.idBlock.tagNumber === 0) i++; // originatorInfo
    const set = items[i++] as asn1js.Set;
    const recipientInfos = set.valueBlock.value.map((v) => new pkijs.RecipientInfo({ schema: v }));
    const eci = new pkijs.EncryptedContentInfo({ schema: items[i++] });
    let aad: Uint8Array | undefined;
    if (items[i]?.idBlock.tagClass === 3 && items[i]?.idBlock.tagNumber === 1) {
      // authAttrs are authenticated as their DER SET OF encoding (RFC 5083 §2.2)
      aad = new Uint8Array(items[i].toBER(false));
      aad[0] = 0x31;
      i++;
    }
    const mac = new Uint8Array((items[i] as asn1js.OctetString).valueBlock.valueHexView);
    return { structure: 'AuthEnvelopedData', recipientInfos, eci, mac, aad };
  }
  throw new Error(`content type ${ci.contentType} is not enveloped`);
}

/**
 * Holds the gateway's decryption key (imported once per hash) for many messages.
 *
 * @example
 * const dec = await SmimeDecryptor.create({ certificate: id.certificate, pkcs8: id.pkcs8 });
 * const { content } = await dec.decrypt(p7mBytes); // throws GatewayError DECRYPT_FAILED
 */
export class SmimeDecryptor {
  private readonly oaepKeys = new Map<string, Promise<CryptoKey>>();
  private rsaParts: Promise<RsaPrivateKeyParts> | null = null;
  private readonly issuerDer: Uint8Array;
  private readonly serial: Uint8Array;
  private readonly ski: Uint8Array | null;

  private constructor(private readonly input: DecryptorInput) {
    this.issuerDer = der(input.certificate.issuer);
    this.serial = new Uint8Array(input.certificate.serialNumber.valueBlock.valueHexView);
    this.ski = subjectKeyId(input.certificate);
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

  private isMine(ktri: pkijs.KeyTransRecipientInfo): boolean {
    const rid = ktri.rid;
    if (rid instanceof pkijs.IssuerAndSerialNumber) {
      return eq(der(rid.issuer), this.issuerDer) && eq(new Uint8Array(rid.serialNumber.valueBlock.valueHexView), this.serial);
    }
    const ski = rid as asn1js.OctetString;
    return !!this.ski && eq(new Uint8Array(ski.valueBlock.valueHexView), this.ski);
  }

  private async unwrap(ktri: pkijs.KeyTransRecipientInfo, keyBytes: number): Promise<{ cek: Uint8Array; transport: string }> {
    const alg = ktri.keyEncryptionAlgorithm;
    const encrypted = new Uint8Array(ktri.encryptedKey.valueBlock.valueHexView);
    if (alg.algorithmId === OID.rsaesOaep) {
      let hash = 'SHA-1';
      let mgfHash = 'SHA-1';
      const p = alg.algorithmParams as asn1js.BaseBlock | undefined;
      if (p && !(p instanceof asn1js.Null) && p.idBlock?.tagNumber === 16) {
        const params = new pkijs.RSAESOAEPParams({ schema: p });
        hash = DIGESTS[params.hashAlgorithm.algorithmId] ?? 'unknown';
        const mgfParams = params.maskGenAlgorithm.algorithmParams as asn1js.BaseBlock | undefined;
        mgfHash = mgfParams && !(mgfParams instanceof asn1js.Null) ? DIGESTS[new pkijs.AlgorithmIdentifier({ schema: mgfParams }).algorithmId] ?? 'unknown' : 'SHA-1';
      }
      if (hash === 'unknown' || hash !== mgfHash) throw new Error(`unsupported RSAES-OAEP parameters (hash ${hash}, MGF1 ${mgfHash})`);
      const key = await this.oaepKey(hash);
      const cek = new Uint8Array(await crypto.subtle.decrypt({ name: 'RSA-OAEP' }, key, toArrayBuffer(encrypted)));
      return { cek, transport: `RSAES-OAEP-${hash}` };
    }
    if (alg.algorithmId === OID.rsaEncryption) {
      if (this.input.pkcs1v15 === 'refuse') throw new Error('RSAES-PKCS1-v1_5 key transport is refused by configuration');
      this.rsaParts ??= rsaKeyParts(this.input.pkcs8);
      const cek = await rsaPkcs1v15DecryptImplicit(await this.rsaParts, encrypted, keyBytes);
      return { cek, transport: 'RSAES-PKCS1-v1_5' };
    }
    throw new Error(`unsupported key transport ${alg.algorithmId}`);
  }

  /** Decrypts; throws `GatewayError('DECRYPT_FAILED')` with the cause in `detail`. */
  async decrypt(bytes: Uint8Array): Promise<Decrypted> {
    let parsed: Parsed;
    try {
      parsed = parse(bytes);
    } catch (err) {
      throw decryptFailed(`not a CMS enveloped object (${(err as Error).message})`, err);
    }
    const cipherOid = parsed.eci.contentEncryptionAlgorithm.algorithmId;
    const cipher = CONTENT_CIPHERS[cipherOid];
    if (!cipher) throw decryptFailed(`unsupported content cipher ${cipherOid}`);
    if ((cipher.name === 'AES-GCM') !== (parsed.structure === 'AuthEnvelopedData')) throw decryptFailed(`${cipher.name} inside ${parsed.structure}`);
    const ktris = parsed.recipientInfos.filter((r) => r.variant === 1).map((r) => r.value as pkijs.KeyTransRecipientInfo);
    const mine = ktris.find((k) => this.isMine(k));
    if (!mine) throw decryptFailed(`no recipient info for the gateway certificate (${parsed.recipientInfos.length} recipient(s))`);
    let cek: Uint8Array;
    let transport: string;
    try {
      ({ cek, transport } = await this.unwrap(mine, cipher.keyBytes));
    } catch (err) {
      throw decryptFailed(`content key could not be recovered (${(err as Error).message || (err as Error).name})`, err);
    }
    try {
      if (cek.length !== cipher.keyBytes) throw new Error('content key has the wrong length');
      const key = await crypto.subtle.importKey('raw', toArrayBuffer(cek), cipher.name, false, ['decrypt']);
      const ct = new Uint8Array(parsed.eci.getEncryptedContent());
      let plain: ArrayBuffer;
      const params = parsed.eci.contentEncryptionAlgorithm.algorithmParams as asn1js.BaseBlock;
      if (cipher.name === 'AES-CBC') {
        const iv = (params as asn1js.OctetString).valueBlock.valueHexView;
        plain = await crypto.subtle.decrypt({ name: 'AES-CBC', iv: toArrayBuffer(new Uint8Array(iv)) }, key, toArrayBuffer(ct));
      } else {
        const seq = (params as asn1js.Sequence).valueBlock.value;
        const nonce = new Uint8Array((seq[0] as asn1js.OctetString).valueBlock.valueHexView);
        const icvLen = seq[1] ? (seq[1] as asn1js.Integer).valueBlock.valueDec : 12;
        const mac = parsed.mac ?? new Uint8Array(0);
        if (mac.length !== icvLen) throw new Error('authentication tag length mismatch');
        const data = new Uint8Array(ct.length + mac.length);
        data.set(ct);
        data.set(mac, ct.length);
        plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: toArrayBuffer(nonce), tagLength: icvLen * 8, ...(parsed.aad ? { additionalData: toArrayBuffer(parsed.aad) } : {}) },
          key,
          toArrayBuffer(data),
        );
      }
      return { content: new Uint8Array(plain), structure: parsed.structure, cipher: `${cipher.name}-${cipher.keyBytes * 8}`, keyTransport: transport };
    } catch (err) {
      throw decryptFailed(`content could not be decrypted (${(err as Error).message || (err as Error).name})`, err);
    }
  }
}
