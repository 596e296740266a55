/**
 * End-to-end protection of a MIME entity, both ways, composed from the S/MIME blocks:
 * outbound sign then encrypt; inbound decrypt (when enveloped) then verify (when signed),
 * layer by layer. No `node:` imports.
 */
import type * as pkijs from 'pkijs';
import type { SmimeDecryptor } from './decrypt.js';
import { encryptCms, type AesCbcEncrypt, type ContentCipher, type RsaOaepEncrypt, type SmimeRecipient } from './encrypt.js';
import { decryptFailed } from './errors.js';
import { multipartSignedEntity, pkcs7MimeEntity, readSmimeEntity, type SmimeEntity } from './mime.js';
import type { SmimeSigner } from './sign.js';
import { verifySignedData, type SignatureEngine } from './verify.js';

export interface ProtectOptions {
  /** Sign with this signer (omit: no signature). */
  signer?: SmimeSigner;
  /** `opaque` (application/pkcs7-mime signed-data, default) or `detached` (multipart/signed). */
  signature?: 'opaque' | 'detached';
  /** Encrypt for these recipients (omit or empty: no encryption). */
  recipients?: SmimeRecipient[];
  cipher?: ContentCipher;
  /** AES-256-CBC by another engine than WebCrypto (see `AesCbcEncrypt`). */
  aesCbc?: AesCbcEncrypt;
  /** The content key's RSA-OAEP encryption by another engine than WebCrypto (see `RsaOaepEncrypt`). */
  rsaOaep?: RsaOaepEncrypt;
}

/**
 * Signs then encrypts a MIME entity (headers + body, CRLF). Returns the new entity; put the
 * message's own header fields in front of it with `withHeaders`.
 *
 * @example
 * const entity = await protectEntity(inner, { signer, recipients: [await smimeRecipient(cert)] });
 * const raw = withHeaders({ From, To, Subject, 'Message-ID': id, ...mssHeaders(...) }, entity);
 */
export async function protectEntity(entity: Uint8Array, opts: ProtectOptions): Promise<Uint8Array> {
  let out = entity;
  if (opts.signer) {
    out = opts.signature === 'detached'
      ? multipartSignedEntity(out, await opts.signer.sign(out, { detached: true }), opts.signer.micalg)
      : pkcs7MimeEntity(await opts.signer.sign(out), 'signed-data');
  }
  if (opts.recipients && opts.recipients.length > 0) {
    const cipher = opts.cipher ?? 'aes-256-cbc';
    out = pkcs7MimeEntity(await encryptCms(out, opts.recipients, { cipher, aesCbc: opts.aesCbc, rsaOaep: opts.rsaOaep }), cipher === 'aes-256-gcm' ? 'authEnveloped-data' : 'enveloped-data');
  }
  return out;
}

export interface UnprotectOptions {
  /** Needed when the message is encrypted; without it an encrypted message fails. */
  decryptor?: SmimeDecryptor;
  anchors: pkijs.Certificate[];
  crls?: pkijs.CertificateRevocationList[];
  at?: Date;
  /** Layers to peel at most (default 4): guards against nesting bombs. */
  maxLayers?: number;
  /** The outer layer as the caller already read it (`readSmimeEntity(raw)`), so that it is not read twice. */
  outer?: SmimeEntity;
  /** Signatures' digests and RSA verification by this engine (default WebCrypto's; `verify.ts`). */
  signatures?: SignatureEngine;
}

export interface Unprotected {
  /** The innermost entity. */
  entity: Uint8Array;
  encrypted: boolean;
  /** The verified signer, when the message was signed. */
  signer?: pkijs.Certificate;
}

/**
 * Peels S/MIME layers off a received entity (a whole message works: its top-level header
 * fields are read as the entity's). Throws `GatewayError` DECRYPT_FAILED or
 * SIGNATURE_INVALID; run it after the message was accepted, never to decide an SMTP reply.
 *
 * @example
 * const { entity, signer } = await unprotectEntity(raw, { decryptor, anchors: anchors.certificates, crls });
 */
export async function unprotectEntity(raw: Uint8Array, opts: UnprotectOptions): Promise<Unprotected> {
  let entity = raw;
  let encrypted = false;
  let signer: pkijs.Certificate | undefined;
  for (let layer = 0; layer < (opts.maxLayers ?? 4); layer++) {
    const s = layer === 0 && opts.outer ? opts.outer : readSmimeEntity(entity);
    if (s.kind === 'plain') return { entity, encrypted, signer };
    if (s.kind === 'enveloped') {
      if (!opts.decryptor) throw decryptFailed('message is encrypted and no decryption key is configured');
      entity = (await opts.decryptor.decrypt(s.der)).content;
      encrypted = true;
    } else if (s.kind === 'signed-opaque') {
      const v = await verifySignedData(s.der, { anchors: opts.anchors, crls: opts.crls, at: opts.at, engine: opts.signatures });
      entity = v.content;
      signer ??= v.signer;
    } else {
      const v = await verifySignedData(s.signature, { anchors: opts.anchors, crls: opts.crls, at: opts.at, detachedContent: s.signedEntity, engine: opts.signatures });
      entity = s.signedEntity;
      signer ??= v.signer;
    }
  }
  throw decryptFailed(`more than ${opts.maxLayers ?? 4} S/MIME layers`);
}
