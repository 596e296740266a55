/** File modes of the gateway's data: created 0700/0600, tightened when found looser. */
import { describe, it, expect, afterAll } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDataDir, isDatabaseUrl, tightenDatabaseFiles } from '../../app/node/data-files.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import type { Logger } from '../../core/log/logger.js';

const folder = mkdtempSync(join(tmpdir(), 'passerelle-modes-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string, f?: Record<string, unknown>) => void lines.push(`${level} ${msg} ${JSON.stringify(f ?? {})}`);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => recordingLog() } as unknown as Logger & { lines: string[] };
}

describe('data file modes', () => {
  it('a new SQLite database and its WAL files are 0600 in a 0700 folder, whatever the umask', () => {
    const old = process.umask(0o022);
    try {
      const db = join(folder, 'new', 'deeper', 'passerelle.db');
      const store = SqliteStore.open(db);
      expect(mode(join(folder, 'new', 'deeper'))).toBe('700');
      for (const f of [db, `${db}-wal`, `${db}-shm`]) expect(mode(f), f).toBe('600');
      store.closeNow();
    } finally {
      process.umask(old);
    }
  });

  it('tightens a data folder and a database found looser, and says so', () => {
    const dir = join(folder, 'loose');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const db = join(dir, 'passerelle.db');
    for (const f of [db, `${db}-wal`]) {
      writeFileSync(f, '');
      chmodSync(f, 0o644);
    }
    const log = recordingLog();
    ensureDataDir(dir, log);
    tightenDatabaseFiles(db, log);
    expect([mode(dir), mode(db), mode(`${db}-wal`)]).toEqual(['700', '600', '600']);
    expect(log.lines.filter((l) => l.startsWith('warn tightened'))).toHaveLength(3);
    tightenDatabaseFiles(db, log);
    expect(log.lines).toHaveLength(3); // already tight: nothing said
  });

  it('leaves a PostgreSQL URL alone', () => {
    expect(isDatabaseUrl('postgres://u@h/db')).toBe(true);
    expect(isDatabaseUrl('postgresql://u@h/db')).toBe(true);
    expect(isDatabaseUrl('./var/passerelle.db')).toBe(false);
    expect(() => tightenDatabaseFiles('postgres://u@h/db', recordingLog())).not.toThrow();
  });
});
