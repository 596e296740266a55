/**
 * Recipients' encryption certificates for tests, made with the `openssl` CLI (an independent
 * tool): self-signed, with the subjectAltName, key usage and key the test asks for.
 *
 * @example
 * const keys = recipientKeys(dir);
 * const c = recipientCertificate(dir, 'jean', { key: keys.rsa, san: ['email:jean.dupont@medecin.mssante.fr'] });
 * // openssl cms -decrypt -inkey keys.rsa -recip c.certFile
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function openssl(cwd: string, args: string[], input?: Uint8Array): Buffer {
  return execFileSync('openssl', args, { cwd, input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** An RSA-2048 key, an RSA-1024 key and an EC P-256 key in `dir`. */
export function recipientKeys(dir: string): { rsa: string; rsa1024: string; ec: string } {
  const rsa = join(dir, 'rsa.key');
  const rsa1024 = join(dir, 'rsa1024.key');
  const ec = join(dir, 'ec.key');
  openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', rsa]);
  openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', rsa1024]);
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', ec]);
  return { rsa, rsa1024, ec };
}

export interface RecipientCertOptions {
  key: string;
  /** subjectAltName entries as openssl writes them: `email:a@b`, `DNS:example.fr`. */
  san?: string[];
  /** Subject CN; default the name. */
  cn?: string;
  /** Extra subject attributes, `/emailAddress=a@b`. */
  subjectExtra?: string;
  /** Key usage; default `critical,keyEncipherment`; null: no KeyUsage extension. */
  keyUsage?: string | null;
  /** Extended key usage; default `emailProtection`; null: none. */
  eku?: string | null;
  days?: number;
}

/** A self-signed certificate `<name>.crt` in `dir`. */
export function recipientCertificate(dir: string, name: string, o: RecipientCertOptions): { certFile: string; certPem: string; keyFile: string } {
  const cnf = join(dir, 'req.cnf');
  writeFileSync(cnf, '[req]\ndistinguished_name = dn\n[dn]\n');
  const certFile = join(dir, `${name}.crt`);
  const ext: string[] = [];
  if (o.san?.length) ext.push('-addext', `subjectAltName=${o.san.join(',')}`);
  const ku = o.keyUsage === undefined ? 'critical,keyEncipherment' : o.keyUsage;
  if (ku) ext.push('-addext', `keyUsage=${ku}`);
  const eku = o.eku === undefined ? 'emailProtection' : o.eku;
  if (eku) ext.push('-addext', `extendedKeyUsage=${eku}`);
  openssl(dir, [
    'req', '-x509', '-config', cnf, '-key', o.key, '-subj', `/O=DESTINATAIRE TEST/CN=${o.cn ?? name}${o.subjectExtra ?? ''}`,
    '-days', String(o.days ?? 30), '-sha256', '-set_serial', String(Math.floor(Math.random() * 1e12)), ...ext, '-out', certFile,
  ]);
  return { certFile, certPem: readFileSync(certFile, 'utf8'), keyFile: o.key };
}
