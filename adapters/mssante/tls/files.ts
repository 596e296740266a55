/**
 * Loading TLS material from files (Node edge): anchors (PEM or `.p7b`), the gateway's
 * identity (PKCS#12 or PEM key + certificate chain).
 */
import { readFileSync } from 'node:fs';
import { parseAnchors, type Anchors } from './anchors.js';
import { identityFromPem, identityFromPkcs12, type Identity } from './identity.js';

/**
 * @example
 * const anchors = loadAnchorsFile('/etc/passerelle/igc-sante-test.p7b');
 */
export function loadAnchorsFile(path: string): Anchors {
  return parseAnchors(new Uint8Array(readFileSync(path)), path);
}

export type IdentitySource = { pkcs12: string; password: string } | { key: string; cert: string };

/**
 * @example
 * const id = loadIdentityFiles({ pkcs12: '/etc/passerelle/gw.p12', password: env.P12_PASSWORD });
 * const id2 = loadIdentityFiles({ key: 'gw.key', cert: 'gw.chain.pem' });
 */
export function loadIdentityFiles(src: IdentitySource): Identity {
  if ('pkcs12' in src) return identityFromPkcs12(new Uint8Array(readFileSync(src.pkcs12)), src.password, src.pkcs12);
  return identityFromPem(readFileSync(src.key, 'utf8'), readFileSync(src.cert, 'utf8'), src.cert);
}
