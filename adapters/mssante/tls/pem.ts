/**
 * PEM ⇄ DER helpers over Web-standard APIs (no Buffer), for certificates, CRLs, keys and
 * CMS objects.
 */
import { fromBase64 as base64Decode, toBase64 as base64Encode } from '../../../lib/base64.js';

/** One PEM block: its label (`CERTIFICATE`, `X509 CRL`, `PKCS7`, …) and its DER bytes. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Every PEM block of a text, in order.
 *
 * @example
 * const certs = pemBlocks(bundleText).filter((b) => b.label === 'CERTIFICATE');
 */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(PEM_RE)) {
    out.push({ label: m[1], der: base64Decode(m[2].replace(/[^A-Za-z0-9+/=]/g, '')) });
  }
  return out;
}

/**
 * DER bytes as a PEM block, 64 columns, LF line ends.
 *
 * @example
 * derToPem(cert.toSchema().toBER(), 'CERTIFICATE');
 */
export function derToPem(der: Uint8Array | ArrayBuffer, label: string): string {
  const b64 = base64Encode(der instanceof Uint8Array ? der : new Uint8Array(der));
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Does this byte string look like PEM text (starts, after blanks, with `-----BEGIN`)? */
export function looksLikePem(bytes: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 4096));
  return head.includes('-----BEGIN ');
}

/** Base64 (with or without line breaks) to bytes; bytes to one-line base64. */
export { base64Decode, base64Encode };

/** A fresh ArrayBuffer holding exactly these bytes (pkijs/asn1js want ArrayBuffers). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer
    : copyBytes(bytes).buffer;
}

/** A copy in a fresh ArrayBuffer (Node's `Buffer.slice` would share memory, so copy by hand). */
function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}
