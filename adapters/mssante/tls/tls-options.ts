/**
 * Node `tls` options for talking to MSSanté operators: exactly the four TLS 1.2 suites of the
 * rules (Référentiel #2, ECO.1.1.2–1.1.4) plus TLS 1.3, the IGC-Santé anchors, the gateway's
 * own certificate, CRLs. The same options serve the listener (inbound) and the client
 * (outbound): what the listener accepts is what the client offers. Node edge.
 */
import tls from 'node:tls';
import type { Anchors } from './anchors.js';
import type { Identity } from './identity.js';

/**
 * The suites the national rules name, in their order, as OpenSSL names (Node's `ciphers`
 * takes OpenSSL names). The IANA names, checked with `openssl ciphers -stdname`:
 *
 * | OpenSSL | IANA |
 * |---|---|
 * | ECDHE-RSA-AES256-GCM-SHA384 | TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 |
 * | ECDHE-RSA-AES128-GCM-SHA256 | TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 |
 * | ECDHE-RSA-AES256-SHA384 | TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 |
 * | ECDHE-RSA-AES128-SHA256 | TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 |
 *
 * All four authenticate with RSA: the gateway's certificate must hold an RSA key.
 */
export const MSSANTE_CIPHER_SUITES = [
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-RSA-AES128-SHA256',
] as const;

/** TLS 1.3 suites: Node's defaults (all AEAD with ephemeral key exchange by construction). */
export const TLS13_SUITES: readonly string[] = (() => {
  const fromNode = tls.DEFAULT_CIPHERS.split(':').filter((c) => c.startsWith('TLS_'));
  return fromNode.length > 0 ? fromNode : ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];
})();

/**
 * Problems with suites asked for beyond the rules (`mssante.tls.extraCiphers`): each must be
 * one OpenSSL TLS 1.2 suite name this Node knows (no cipher-string keywords such as `ALL` or
 * `HIGH`, no `!`/`+` operators, no TLS 1.3 names: those are always on). Empty when all is well.
 */
export function extraCipherProblems(extra: readonly string[]): string[] {
  const known = new Set(tls.getCiphers());
  const problems: string[] = [];
  for (const name of extra) {
    if (typeof name !== 'string' || !/^[A-Z0-9]+(-[A-Z0-9]+)+$/.test(name)) problems.push(`'${String(name)}' is not an OpenSSL suite name (e.g. ECDHE-RSA-AES256-SHA)`);
    else if (!known.has(name.toLowerCase())) problems.push(`'${name}' is not a TLS 1.2 suite this OpenSSL knows (see \`openssl ciphers -v\`)`);
  }
  return problems;
}

/**
 * The OpenSSL cipher string: the four suites of the rules, then `extra` (widened for a peer
 * that needs it), then the TLS 1.3 suites. Nothing else: no `DEFAULT`, no `HIGH`.
 * Throws when an extra name is not a suite (see `extraCipherProblems`).
 */
export function mssanteCiphers(extra: readonly string[] = []): string {
  const problems = extraCipherProblems(extra);
  if (problems.length > 0) throw new Error(`mssante.tls.extraCiphers: ${problems.join('; ')}`);
  const tls12 = [...MSSANTE_CIPHER_SUITES, ...extra.filter((c) => !(MSSANTE_CIPHER_SUITES as readonly string[]).includes(c))];
  return [...tls12, ...TLS13_SUITES].join(':');
}

/** The cipher string by default: the four suites of the rules and TLS 1.3, nothing else. */
export const MSSANTE_CIPHERS = mssanteCiphers();

export interface MssanteTlsOptionsInput {
  identity: Identity;
  anchors: Anchors;
  /** CRLs as PEM texts (each may hold several `X509 CRL` blocks). */
  crlPem?: string[];
  /** Lowest protocol; default and minimum `TLSv1.2`. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /**
   * TLS 1.2 suites (OpenSSL names) accepted and offered beyond the four of the rules, for a
   * peer that needs one (`mssante.tls.extraCiphers`; the gateway logs a warning at start).
   * Default none.
   */
  extraCiphers?: readonly string[];
}

/**
 * Options shared by the SMTP server (inbound) and client (outbound) sides: pass them to
 * `tls.connect`, `tls.createSecureContext`, smtp-server or nodemailer's `tls`.
 *
 * With `crlPem`, Node checks every certificate of the peer's chain against the CRLs
 * (OpenSSL `CRL_CHECK | CRL_CHECK_ALL`): give the CRL of every CA of the chain.
 *
 * @example
 * const server = new SMTPServer({ ...mssanteTlsOptions({ identity, anchors }), requestCert: true });
 */
export function mssanteTlsOptions(input: MssanteTlsOptionsInput): tls.SecureContextOptions {
  const opts: tls.SecureContextOptions = {
    key: input.identity.keyPem,
    cert: input.identity.chainPem,
    ca: input.anchors.pem,
    minVersion: input.minVersion ?? 'TLSv1.2',
    ciphers: input.extraCiphers?.length ? mssanteCiphers(input.extraCiphers) : MSSANTE_CIPHERS,
    honorCipherOrder: true,
  };
  // Node reads one CRL per string: split bundles into their blocks.
  const crls = (input.crlPem ?? []).flatMap((t) => t.match(/-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----/g) ?? []);
  if (crls.length > 0) opts.crl = crls.map((c) => `${c}\n`);
  return opts;
}
