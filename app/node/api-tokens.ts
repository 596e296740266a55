/**
 * The admin API's tokens file on Node: read at start, read again when it changes (checked at
 * most every two seconds, on use), so an admin adds or revokes a token without a restart. A
 * file that became unreadable or malformed keeps the last good list and says so in the log.
 * With test material and no file, an `admin` operator token is generated (its hash in the
 * file, the token itself in `<dataDir>/api-token`, both 0600).
 */
import { existsSync, readFileSync, statSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../../core/log/logger.js';
import { newToken, parseTokens, tokenLine, type ApiToken, type Role } from '../http/api/tokens.js';

export function tokensFromFile(file: string, log: Logger): () => readonly ApiToken[] {
  let tokens: readonly ApiToken[] = [];
  let mtime = -1;
  let checked = 0;
  const load = () => {
    try {
      const st = statSync(file, { throwIfNoEntry: false });
      const m = st ? st.mtimeMs : 0;
      if (m === mtime) return;
      tokens = st ? parseTokens(readFileSync(file, 'utf8'), file) : [];
      mtime = m;
      log.info('admin API tokens loaded', { file, count: tokens.length });
    } catch (err) {
      log.error('admin API tokens file not loaded: the last good list stays', { file, error: (err as Error).message });
    }
  };
  load();
  return () => {
    const now = Date.now();
    if (now - checked > 2000) {
      checked = now;
      load();
    }
    return tokens;
  };
}

/** Append a new token to `file` (created 0600); resolves to the token, shown once. */
export async function addToken(file: string, name: string, role: Role): Promise<string> {
  const existing = existsSync(file) ? parseTokens(readFileSync(file, 'utf8'), file) : [];
  if (existing.some((t) => t.name === name)) throw new Error(`a token named ${name} exists already in ${file}`);
  const { token, entry } = await newToken(name, role);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) writeFileSync(file, '# Passerelle admin API tokens: NAME ROLE SHA-256 (passerelle token add)\n', { mode: 0o600 });
  appendFileSync(file, tokenLine(entry));
  return token;
}

/** Test material: an `admin` operator token when there is no tokens file yet. */
export async function ensureTestToken(file: string, dataDir: string, log: Logger): Promise<void> {
  if (existsSync(file)) return;
  const token = await addToken(file, 'admin', 'operator');
  const where = join(dataDir, 'api-token');
  writeFileSync(where, token + '\n', { mode: 0o600 });
  log.warn('generated a TEST operator token for the admin API', { file: where });
}
