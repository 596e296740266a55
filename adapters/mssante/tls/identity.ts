/**
 * The gateway's own identity (private key + certificate chain) from PKCS#12 or PEM.
 * PKCS#12 is read with node-forge (WebCrypto has no PKCS#12 and no password-based 3DES/RC2
 * it uses); a PKCS#1 PEM key is wrapped into PKCS#8 with lib/der. The result is PEM (for
 * Node `tls`) and PKCS#8 DER (for WebCrypto `importKey`). No `node:` imports.
 */
import forge from 'node-forge';
import * as pkijs from 'pkijs';
import { DerError, DerReader, der, int, nul, octets, oid, seq } from '../../../lib/der/index.js';
import { derToPem, pemBlocks } from './pem.js';
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
  return pkcs8OfRsaKey(rsa.der, where);
}

const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

/**
 * PKCS#8 PrivateKeyInfo (RFC 5208) around a PKCS#1 RSAPrivateKey: version 0, rsaEncryption
 * with NULL parameters, the key as an OCTET STRING (what forge's `wrapRsaPrivateKey` wrote).
 */
function pkcs8OfRsaKey(pkcs1: Uint8Array, where: string): Uint8Array {
  try {
    const r = new DerReader(pkcs1);
    const fields = r.sequence(r.root(), 'RSAPrivateKey');
    if (fields.length < 9 || r.smallInt(fields[0]) > 1) throw new DerError('not an RSAPrivateKey', 0);
  } catch (err) {
    if (err instanceof DerError) throw new IdentityError(where, 'the RSA private key is not readable');
    throw err;
  }
  return der(seq(int(0), seq(oid(OID_RSA_ENCRYPTION), nul()), octets(pkcs1)));
}

function assemble(pkcs8: Uint8Array, chainPem: string, where: string): Identity {
  const chain = parseCertificates(chainPem, where);
  if (chain.length === 0) throw new IdentityError(where, 'no certificate found');
  const certPem = pemBlocks(chainPem).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der)[0];
  return {
    keyPem: derToPem(pkcs8, 'PRIVATE KEY'),
    pkcs8,
    certPem: derToPem(certPem, 'CERTIFICATE'),
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
  const pkcs1 = binaryStringToBytes(forge.asn1.toDer(forge.pki.privateKeyToAsn1(key)).getBytes());
  return assemble(pkcs8OfRsaKey(pkcs1, where), chainPem, where);
}
