/**
 * S/MIME MIME wrapping (RFC 8551): `application/pkcs7-mime` (enveloped-data,
 * authEnveloped-data, signed-data) and `multipart/signed` (detached signature), and the
 * reverse: recognising which one a received entity is. Works on bytes with CRLF line ends.
 * No `node:` imports.
 */
import { base64LineBytes, decodeBase64Body, toBase64 } from '../../../lib/base64.js';
import { concatBytes } from '../../../lib/bytes.js';

const enc = new TextEncoder();
const dec = new TextDecoder('latin1');

export type SmimeType = 'enveloped-data' | 'authEnveloped-data' | 'signed-data';

/**
 * A MIME entity (headers + body) carrying a CMS object as `application/pkcs7-mime`.
 *
 * @example
 * const entity = pkcs7MimeEntity(await encryptCms(inner, recipients), 'enveloped-data');
 */
export function pkcs7MimeEntity(der: Uint8Array, type: SmimeType): Uint8Array {
  const name = 'smime.p7m';
  const head =
    `Content-Type: application/pkcs7-mime; smime-type=${type}; name=${name}\r\n` +
    `Content-Transfer-Encoding: base64\r\n` +
    `Content-Disposition: attachment; filename=${name}\r\n\r\n`;
  return base64LineBytes(der, enc.encode(head));
}

/**
 * A `multipart/signed` entity: the signed entity byte for byte, then the detached signature.
 * `signedEntity` must already be in canonical form (CRLF, 7-bit or base64/QP encoded).
 *
 * @example
 * const sig = await signer.sign(inner, { detached: true });
 * const entity = multipartSignedEntity(inner, sig, signer.micalg);
 */
export function multipartSignedEntity(signedEntity: Uint8Array, signatureDer: Uint8Array, micalg = 'sha-256'): Uint8Array {
  const boundary = `----=_smime_${toBase64(crypto.getRandomValues(new Uint8Array(12))).replace(/[+/=]/g, 'x')}`;
  const head =
    `Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=${micalg}; boundary="${boundary}"\r\n\r\n` +
    `This is an S/MIME signed message\r\n\r\n--${boundary}\r\n`;
  const tail =
    `\r\n--${boundary}\r\n` +
    `Content-Type: application/pkcs7-signature; name=smime.p7s\r\n` +
    `Content-Transfer-Encoding: base64\r\n` +
    `Content-Disposition: attachment; filename=smime.p7s\r\n\r\n`;
  return concatBytes(enc.encode(head), signedEntity, enc.encode(tail), base64LineBytes(signatureDer), enc.encode(`\r\n--${boundary}--\r\n`));
}

/**
 * Puts top-level header fields (From, To, Subject, Message-ID, X-MSS-*, …) in front of an
 * entity's own headers, with `MIME-Version: 1.0`.
 *
 * @example
 * const raw = withHeaders({ From: 'a@x', To: 'b@y', Subject: 'Résultats' }, entity);
 */
export function withHeaders(headers: Record<string, string>, entity: Uint8Array): Uint8Array {
  const lines = Object.entries(headers)
    .filter(([k]) => k.toLowerCase() !== 'mime-version')
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return concatBytes(enc.encode(`${lines}MIME-Version: 1.0\r\n`), entity);
}

/** Header fields of an entity (unfolded, names lower-cased) and where its body starts. */
export function splitEntity(entity: Uint8Array): { headers: Map<string, string>; bodyStart: number } {
  const text = dec.decode(entity.subarray(0, Math.min(entity.length, 256 * 1024)));
  let end = text.indexOf('\r\n\r\n');
  let sepLen = 4;
  if (end < 0) {
    end = text.indexOf('\n\n');
    sepLen = 2;
  }
  if (end < 0) return { headers: new Map(), bodyStart: entity.length };
  const headers = new Map<string, string>();
  const unfolded = text.slice(0, end).replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) {
      const k = line.slice(0, i).trim().toLowerCase();
      if (!headers.has(k)) headers.set(k, line.slice(i + 1).trim());
    }
  }
  return { headers, bodyStart: end + sepLen };
}

/** A header value's main token and parameters (`type/sub; a=b; c="d"`). */
export function headerParams(value: string): { value: string; params: Record<string, string> } {
  const parts = value.match(/(?:[^;"]|"(?:\\.|[^"\\])*")+/g) ?? [];
  const params: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const i = p.indexOf('=');
    if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { value: (parts[0] ?? '').trim().toLowerCase(), params };
}

export type SmimeEntity =
  | { kind: 'enveloped'; der: Uint8Array }
  | { kind: 'signed-opaque'; der: Uint8Array }
  | { kind: 'multipart-signed'; signedEntity: Uint8Array; signature: Uint8Array; micalg?: string }
  | { kind: 'plain' };

/**
 * Which S/MIME form an entity (a whole message or a part) has, with its CMS bytes.
 *
 * @example
 * const s = readSmimeEntity(raw);
 * if (s.kind === 'enveloped') inner = (await decryptor.decrypt(s.der)).content;
 */
export function readSmimeEntity(entity: Uint8Array): SmimeEntity {
  const { headers, bodyStart } = splitEntity(entity);
  const ct = headerParams(headers.get('content-type') ?? 'text/plain');
  const body = entity.subarray(bodyStart);
  if (ct.value === 'application/pkcs7-mime' || ct.value === 'application/x-pkcs7-mime') {
    const cte = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
    const der = cte === 'base64' ? decodeBase64Body(body) : body.slice();
    const t = (ct.params['smime-type'] ?? '').toLowerCase();
    if (t === 'signed-data') return { kind: 'signed-opaque', der };
    // enveloped-data, authenveloped-data, or absent (old clients): the CMS content type decides later
    return { kind: 'enveloped', der };
  }
  if (ct.value === 'multipart/signed' && ct.params.boundary) {
    const b = ct.params.boundary;
    const text = dec.decode(body);
    const delim = `--${b}`;
    const first = text.indexOf(`${delim}\r\n`);
    if (first < 0) return { kind: 'plain' };
    const start = first + delim.length + 2;
    const second = text.indexOf(`\r\n${delim}`, start);
    if (second < 0) return { kind: 'plain' };
    const signedEntity = body.slice(start, second);
    const after = second + 2 + delim.length + 2;
    const end = text.indexOf(`\r\n${delim}--`, after);
    const sigPart = body.subarray(after, end < 0 ? body.length : end);
    const sp = splitEntity(sigPart);
    const signature = decodeBase64Body(sigPart.subarray(sp.bodyStart));
    return { kind: 'multipart-signed', signedEntity, signature, micalg: ct.params.micalg };
  }
  return { kind: 'plain' };
}
