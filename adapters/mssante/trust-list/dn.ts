/**
 * Distinguished-name matching between the trust list's `DNCertificatOperateur` and the
 * subject of the certificate an operator presents. No `node:` imports.
 *
 * Normalisation (documented in adapters/mssante/README.md):
 * - Accepted spellings: RFC 4514 (`CN=a,OU=b,O=c,ST=d,C=FR`, also with `, ` or `;`
 *   separators), OpenSSL one-line (`/C=FR/ST=d/O=c/OU=b/CN=a`), one RDN per line (Node's
 *   `X509Certificate.subject`), and `{ CN: 'a', … }` objects (Node's
 *   `getPeerCertificate().subject`).
 * - Attribute types are case-insensitive; synonyms and OIDs are mapped to one short name
 *   (`S`/`stateOrProvinceName`/`2.5.4.8` → `ST`, `E`/`emailAddress` → `EMAIL`, …).
 * - Values: RFC 4514 escapes undone, Unicode NFC, surrounding blanks removed, inner runs of
 *   blanks collapsed to one space, compared case-insensitively.
 * - Order is ignored: lists print RDNs most-specific first (RFC 4514), OpenSSL and
 *   certificates least-specific first. The two DNs match when they hold the same multiset of
 *   (type, value) pairs — no attribute may be missing or extra on either side.
 */

export interface Rdn {
  type: string;
  value: string;
}

const TYPE_ALIASES: Record<string, string> = {
  CN: 'CN', COMMONNAME: 'CN', '2.5.4.3': 'CN',
  OU: 'OU', ORGANIZATIONALUNITNAME: 'OU', '2.5.4.11': 'OU',
  O: 'O', ORGANIZATIONNAME: 'O', '2.5.4.10': 'O',
  ST: 'ST', S: 'ST', STATEORPROVINCENAME: 'ST', '2.5.4.8': 'ST',
  L: 'L', LOCALITYNAME: 'L', '2.5.4.7': 'L',
  C: 'C', COUNTRYNAME: 'C', '2.5.4.6': 'C',
  STREET: 'STREET', '2.5.4.9': 'STREET',
  SERIALNUMBER: 'SERIALNUMBER', '2.5.4.5': 'SERIALNUMBER',
  E: 'EMAIL', EMAIL: 'EMAIL', EMAILADDRESS: 'EMAIL', '1.2.840.113549.1.9.1': 'EMAIL',
  DC: 'DC', DOMAINCOMPONENT: 'DC', '0.9.2342.19200300.100.1.25': 'DC',
  UID: 'UID', '0.9.2342.19200300.100.1.1': 'UID',
  GN: 'GN', GIVENNAME: 'GN', '2.5.4.42': 'GN',
  SN: 'SN', SURNAME: 'SN', '2.5.4.4': 'SN',
  T: 'TITLE', TITLE: 'TITLE', '2.5.4.12': 'TITLE',
  ORGANIZATIONIDENTIFIER: 'ORGID', '2.5.4.97': 'ORGID',
};

/** The canonical short name of an attribute type (unknown types: upper-cased as given). */
export function normaliseType(type: string): string {
  const t = type.trim().replace(/^OID\./i, '');
  return TYPE_ALIASES[t.toUpperCase()] ?? t.toUpperCase();
}

/** A value as compared: unescaped, NFC, trimmed, blanks collapsed, upper-cased. */
export function normaliseValue(value: string): string {
  return value.normalize('NFC').replace(/\s+/g, ' ').trim().toUpperCase();
}

function unescape4514(v: string): string {
  let s = v.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  // \XX hex pairs (UTF-8 bytes) and \c escapes
  const bytes: number[] = [];
  let out = '';
  const flush = () => {
    if (bytes.length) {
      out += new TextDecoder().decode(new Uint8Array(bytes));
      bytes.length = 0;
    }
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const hex = s.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
      flush();
      out += s[i + 1];
      i++;
      continue;
    }
    flush();
    out += c;
  }
  flush();
  return out;
}

/** Splits on `sep` characters not preceded by a backslash and not inside double quotes. */
function splitUnescaped(s: string, seps: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      cur += c;
    } else if (!quoted && seps.includes(c)) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

/**
 * Parses a DN in any of the accepted spellings into its attributes (multi-valued RDNs
 * `a=1+b=2` become separate attributes).
 *
 * @example
 * parseDn('CN=mx.medecin.mssante.fr,OU=10000000000001,O=OPERATEUR NATIONAL TEST,ST=Paris (75),C=FR');
 * parseDn('/C=FR/ST=Paris (75)/O=OPERATEUR NATIONAL TEST/OU=10000000000001/CN=mx.medecin.mssante.fr');
 */
export function parseDn(dn: string): Rdn[] {
  const text = dn.trim();
  if (text === '') return [];
  let parts: string[];
  if (text.startsWith('/')) parts = splitUnescaped(text.slice(1), '/');
  else if (text.includes('\n')) parts = text.split(/\r?\n/);
  else parts = splitUnescaped(text, ',;');
  const out: Rdn[] = [];
  for (const part of parts) {
    if (part.trim() === '') continue;
    for (const ava of splitUnescaped(part, '+')) {
      const eq = ava.indexOf('=');
      if (eq <= 0) throw new Error(`not a distinguished name: attribute without '=' in "${dn.slice(0, 200)}"`);
      out.push({ type: normaliseType(ava.slice(0, eq)), value: unescape4514(ava.slice(eq + 1)) });
    }
  }
  return out;
}

/**
 * Attributes of a subject given as an object (Node's `getPeerCertificate().subject`,
 * multi-valued attributes as arrays).
 *
 * @example
 * dnOfObject({ C: 'FR', O: 'CH DE TEST', CN: 'smtp.ch-test.mssante.fr' });
 */
export function dnOfObject(subject: Record<string, string | string[] | undefined>): Rdn[] {
  const out: Rdn[] = [];
  for (const [type, v] of Object.entries(subject)) {
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) out.push({ type: normaliseType(type), value });
  }
  return out;
}

/** The canonical key of a DN: sorted `TYPE=VALUE` pairs (normalised), joined by `,`. */
export function canonicalDn(dn: string | Rdn[]): string {
  const rdns = typeof dn === 'string' ? parseDn(dn) : dn;
  return rdns
    .map((r) => `${normaliseType(r.type)}=${normaliseValue(r.value).replace(/[\\,=+]/g, (c) => `\\${c}`)}`)
    .sort()
    .join(',');
}

/**
 * Do two DNs name the same subject under the rules above?
 *
 * @example
 * dnMatches('CN=a,O=B,C=FR', '/C=fr/O=b/CN=A'); // true
 * dnMatches('CN=a,O=B,C=FR', 'CN=a,C=FR');      // false (O missing)
 */
export function dnMatches(a: string | Rdn[], b: string | Rdn[]): boolean {
  try {
    const ka = canonicalDn(a);
    return ka !== '' && ka === canonicalDn(b);
  } catch {
    return false;
  }
}
