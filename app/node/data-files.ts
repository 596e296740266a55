/**
 * The modes of the gateway's own files: the data folder 0700, the database and its `-wal` and
 * `-shm` files 0600 (they hold messages and patient data). A file or folder found looser
 * (written by an older version, or by hand) is tightened, and the log says so. Node edge.
 *
 * @example
 * ensureDataDir(config.dataDir, log);
 * tightenDatabaseFiles(config.database, log);
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import type { Logger } from '../../core/log/logger.js';

/** True when the `database` setting names a server (PostgreSQL), not a file. */
export function isDatabaseUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

function tighten(path: string, mode: number, log: Logger, kind: 'file' | 'folder'): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  if ((kind === 'file' ? !st.isFile() : !st.isDirectory()) || (st.mode & 0o777 & ~mode) === 0) return;
  try {
    chmodSync(path, mode);
    log.warn('tightened the mode of a data file', { file: path, mode: mode.toString(8) });
  } catch (err) {
    log.warn('cannot tighten the mode of a data file', { file: path, code: (err as NodeJS.ErrnoException).code });
  }
}

/** Creates the data folder (0700) or tightens an existing one. */
export function ensureDataDir(dir: string, log: Logger): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  else tighten(dir, 0o700, log, 'folder');
}

/** Tightens an existing SQLite database and its WAL files to 0600 (new ones are created 0600). */
export function tightenDatabaseFiles(database: string, log: Logger): void {
  if (isDatabaseUrl(database) || database === ':memory:') return;
  for (const f of [database, `${database}-wal`, `${database}-shm`]) tighten(f, 0o600, log, 'file');
}
