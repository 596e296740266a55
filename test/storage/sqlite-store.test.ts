/**
 * What only the SQLite engine can show (the contract suite covers the rest): rows written by
 * an older release, a restart of the same file, and the migrations.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { MIGRATIONS_FOLDER } from '../../storage/sqlite/database.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';

const raw = new TextEncoder().encode('Message-ID: <1@x>\r\n\r\nhello\r\n');

describe('SqliteStore', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-store-'));
    store = SqliteStore.open(join(dir, 'db.sqlite'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('claimContent', () => {
    const D1 = 'a'.repeat(64);
    const D2 = 'b'.repeat(64);
    const accept = (recipients: string[]) => store.accept({ source: 'legacy', mailFrom: 'a@x', recipients, messageId: '<m@x>', raw }, 1000);
    const claim = (id: string, digest: string, recipients: string[]) =>
      store.claimContent(id, { network: 'legacy', messageId: '<m@x>', digest, recipients }, 1000);

    it('a row written before digests were kept (empty digest) still makes a copy a duplicate', async () => {
      const a = await accept(['b@y']);
      store.sqlite.prepare(`INSERT INTO seen (network, message_id, recipient, message_ref) VALUES ('legacy', '<m@x>', 'b@y', ?)`).run(a.id);
      const b = await accept(['b@y']);
      expect((await claim(b.id, D2, ['b@y'])).duplicates).toEqual([{ recipient: 'b@y', of: a.id }]);
    });

    it('the decision is durable: after a restart a copy of a claimed message is still a duplicate', async () => {
      const a = await accept(['b@y']);
      await claim(a.id, D1, ['b@y']);
      await store.close();
      store = SqliteStore.open(join(dir, 'db.sqlite'));
      const b = await accept(['b@y']);
      expect((await claim(b.id, D1, ['b@y'])).state).toBe('duplicate');
    });

  });
});

describe('migration 0004 (content digests in `seen`)', () => {
  it('keeps the rows of a database made before it, with an empty digest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-migrate-'));
    try {
      // A database as the previous release left it: migrations up to 0003 only.
      const old = join(dir, 'drizzle-0003');
      mkdirSync(join(old, 'meta'), { recursive: true });
      const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
      journal.entries = journal.entries.filter((e) => e.tag < '0004');
      writeFileSync(join(old, 'meta', '_journal.json'), JSON.stringify(journal));
      for (const e of journal.entries) copyFileSync(join(MIGRATIONS_FOLDER, `${e.tag}.sql`), join(old, `${e.tag}.sql`));
      const path = join(dir, 'db.sqlite');
      const sqlite = new Database(path);
      migrate(drizzle(sqlite), { migrationsFolder: old });
      sqlite.prepare(`INSERT INTO seen (network, message_id, recipient, message_ref) VALUES ('legacy', '<m@x>', 'b@y', '01JD2Z6Q7X0000000000000000')`).run();
      sqlite.close();

      const store = SqliteStore.open(path);
      try {
        expect(store.sqlite.prepare('SELECT * FROM seen').all()).toEqual([
          { network: 'legacy', message_id: '<m@x>', recipient: 'b@y', digest: '', message_ref: '01JD2Z6Q7X0000000000000000' },
        ]);
        const b = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: '<m@x>', raw }, 1);
        expect((await store.claimContent(b.id, { network: 'legacy', messageId: '<m@x>', digest: 'c'.repeat(64), recipients: ['b@y'] }, 1)).state).toBe('duplicate');
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

