/**
 * The gateway's own identity (private key + certificate chain) from PKCS#12 or PEM.
 * PKCS#12 is read with node-forge (WebCrypto has no PKCS#12); the result is PEM (for Node
 * `tls`) and PKCS#8 DER (for WebCrypto `importKey`). No `node:` imports.
 */
import forge from 'node-forge';
import * as pkijs from 'pkijs';
import { pemBlocks } from './pem.js';
import { parseCertificates } from './anchors.js';

export interface Identity {
  /** PKCS#8 private key, PEM (`PRIVATE KEY`). Never log it. */
  keyPem: string;
  /** PKCS#8 DER of the key (for `crypto.subtle.importKey('pkcs8', …)`). */
  pkcs8: Uint8Array;
  /** Leaf certificate, PEM. */
  certPem: string;
  /** Leaf then intermediates, PEM concatenated (what a TLS peer is sent). */
  chainPem: string;
  certificate: pkijs.Certificate;
  chain: pkijs.Certificate[];
}

/** The identity could not be read. The message never holds key material. */
export class IdentityError extends Error {
  constructor(where: string, why: string) {
    super(`Identity in ${where}: ${why}`);
    this.name = 'IdentityError';
  }
}

function bytesToBinaryString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

function binaryStringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Convert any private-key PEM (PKCS#1 `RSA PRIVATE KEY` or PKCS#8) to PKCS#8 DER. */
function pkcs8OfPem(keyPem: string, where: string): Uint8Array {
  const blocks = pemBlocks(keyPem);
  const p8 = blocks.find((b) => b.label === 'PRIVATE KEY');
  if (p8) return p8.der;
  if (blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY')) throw new IdentityError(where, 'the private key is encrypted; give it unencrypted or use PKCS#12');
  const rsa = blocks.find((b) => b.label === 'RSA PRIVATE KEY');
  if (!rsa) throw new IdentityError(where, 'no private key block found');
  const key = forge.pki.privateKeyFromPem(keyPem);
  const info = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key));
  return binaryStringToBytes(forge.asn1.toDer(info).getBytes());
}

function pkcs8Pem(der: Uint8Array): string {
  const b64 = forge.util.encode64(bytesToBinaryString(der));
  return `-----BEGIN PRIVATE KEY-----\n${(b64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function assemble(pkcs8: Uint8Array, chainPem: string, where: string): Identity {
  const chain = parseCertificates(chainPem, where);
  if (chain.length === 0) throw new IdentityError(where, 'no certificate found');
  const certPem = pemBlocks(chainPem).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der)[0];
  return {
    keyPem: pkcs8Pem(pkcs8),
    pkcs8,
    certPem: `-----BEGIN CERTIFICATE-----\n${(forge.util.encode64(bytesToBinaryString(certPem)).match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`,
    chainPem,
    certificate: chain[0],
    chain,
  };
}

/**
 * Identity from PEM texts: a private key (PKCS#8 or PKCS#1) and a certificate file holding
 * the leaf first, optionally followed by intermediates.
 *
 * @example
 * const id = identityFromPem(readFileSync('key.pem', 'utf8'), readFileSync('chain.pem', 'utf8'));
 */
export function identityFromPem(keyPem: string, certChainPem: string, where = 'PEM identity'): Identity {
  return assemble(pkcs8OfPem(keyPem, where), certChainPem, where);
}

/**
 * Identity from a PKCS#12 file. The leaf is the certificate whose public key matches the
 * private key; other certificates of the bag become the chain.
 *
 * @example
 * const id = identityFromPkcs12(readFileSync('passerelle.p12'), process.env.P12_PASSWORD!);
 */
export function identityFromPkcs12(p12: Uint8Array, password: string, where = 'PKCS#12 file'): Identity {
  let parsed: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(bytesToBinaryString(p12));
    parsed = forge.pkcs12.pkcs12FromAsn1(asn1, false, password);
  } catch (err) {
    const m = (err as Error).message ?? '';
    throw new IdentityError(where, /mac|password|decrypt/i.test(m) ? 'wrong password or damaged file' : `not a readable PKCS#12 file (${m})`);
  }
  const keyBags = [
    ...(parsed.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? []),
    ...(parsed.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag] ?? []),
  ];
  const key = keyBags.find((b) => b.key)?.key as forge.pki.rsa.PrivateKey | undefined;
  if (!key) throw new IdentityError(where, 'no private key in the file (or an unsupported key type)');
  const certs = (parsed.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [])
    .map((b) => b.cert)
    .filter((c): c is forge.pki.Certificate => !!c);
  const keyN = key.n.toString(16);
  const leafIdx = certs.findIndex((c) => (c.publicKey as forge.pki.rsa.PublicKey).n?.toString(16) === keyN);
  if (leafIdx < 0) throw new IdentityError(where, 'no certificate matches the private key');
  const ordered = [certs[leafIdx], ...certs.filter((_, i) => i !== leafIdx)];
  const chainPem = ordered.map((c) => forge.pki.certificateToPem(c).replace(/\r\n/g, '\n')).join('');
  const info = forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key));
  const pkcs8 = binaryStringToBytes(forge.asn1.toDer(info).getBytes());
  return assemble(pkcs8, chainPem, where);
}
