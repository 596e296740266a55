/**
 * The admin API's bearer tokens: each has a name (written in the traces it changes) and a
 * role, `reader` (look) or `operator` (look and act). They are kept in a file an admin
 * manages, one per line, as the SHA-256 of the token, never the token itself:
 *
 * ```
 * # NAME      ROLE      SHA-256 OF THE TOKEN (hex)
 * supervision reader   8f2c…
 * astreinte   operator 1d0a…
 * ```
 *
 * `passerelle token add NAME --role reader|operator` writes a line and prints the token once.
 * Runtime agnostic (WebCrypto); the file is read by `app/node/`.
 */
export type Role = 'reader' | 'operator';

export interface ApiToken {
  name: string;
  role: Role;
  /** SHA-256 of the token, 64 lower-case hex digits. */
  sha256: string;
}

const LINE = /^([A-Za-z0-9._:@-]{1,64})\s+(reader|operator)\s+([0-9a-fA-F]{64})$/;

/** Parse a tokens file; a malformed line is an error naming its number (never its content). */
export function parseTokens(text: string, source = 'tokens file'): ApiToken[] {
  const out: ApiToken[] = [];
  const names = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (!m) throw new Error(`${source}, line ${i + 1}: expected "NAME reader|operator SHA256HEX"`);
    if (names.has(m[1]!)) throw new Error(`${source}, line ${i + 1}: the name ${m[1]} is given twice`);
    names.add(m[1]!);
    out.push({ name: m[1]!, role: m[2] as Role, sha256: m[3]!.toLowerCase() });
  });
  return out;
}

export function tokenLine(t: ApiToken): string {
  return `${t.name.padEnd(16)} ${t.role.padEnd(8)} ${t.sha256}\n`;
}

export async function sha256Hex(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let s = '';
  for (const b of d) s += b.toString(16).padStart(2, '0');
  return s;
}

/** A new random token (32 bytes, base64url) and its line for the file. */
export async function newToken(name: string, role: Role): Promise<{ token: string; entry: ApiToken }> {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  const token = btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return { token, entry: { name, role, sha256: await sha256Hex(token) } };
}

/** The token presented, if it is one of `tokens` (compared by digest, in constant time). */
export async function findToken(tokens: readonly ApiToken[], presented: string): Promise<ApiToken | null> {
  const h = await sha256Hex(presented);
  let found: ApiToken | null = null;
  for (const t of tokens) {
    let diff = 0;
    for (let i = 0; i < 64; i++) diff |= h.charCodeAt(i) ^ t.sha256.charCodeAt(i);
    if (diff === 0) found = t;
  }
  return found;
}
