/**
 * Node `tls` options for talking to MSSanté operators: TLS 1.2 or later, the four suites of
 * the rules (Référentiel #2, ECO.1.1.2–1.1.4) first, the IGC-Santé anchors, the gateway's own
 * certificate, CRLs. Node edge.
 */
import tls from 'node:tls';
import type { Anchors } from './anchors.js';
import type { Identity } from './identity.js';

/** The suites the national rules name, in their order. */
export const MSSANTE_CIPHER_SUITES = [
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-RSA-AES128-SHA256',
] as const;

/** OpenSSL cipher string: the four suites first, then Node's defaults (TLS 1.3 suites included). */
export const MSSANTE_CIPHERS = [...MSSANTE_CIPHER_SUITES, tls.DEFAULT_CIPHERS].join(':');

export interface MssanteTlsOptionsInput {
  identity: Identity;
  anchors: Anchors;
  /** CRLs as PEM texts (each may hold several `X509 CRL` blocks). */
  crlPem?: string[];
  /** Lowest protocol; default and minimum `TLSv1.2`. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
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
    ciphers: MSSANTE_CIPHERS,
    honorCipherOrder: true,
  };
  // Node reads one CRL per string: split bundles into their blocks.
  const crls = (input.crlPem ?? []).flatMap((t) => t.match(/-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----/g) ?? []);
  if (crls.length > 0) opts.crl = crls.map((c) => `${c}\n`);
  return opts;
}
