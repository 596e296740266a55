import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { MIGRATIONS_FOLDER } from '../../storage/sqlite/database.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { RetrySchedule } from '../../core/queue/retry-schedule.js';

const raw = new TextEncoder().encode('Message-ID: <1@x>\r\n\r\nhello\r\n');

describe('SqliteStore', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-store-'));
    store = SqliteStore.open(join(dir, 'db.sqlite'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits a message, its raw bytes and one delivery per recipient', async () => {
    const { id, duplicates } = await store.accept({ source: 'legacy', mailFrom: 'a@x.lnp.test', recipients: ['b@interop.lnp.test', 'c@interop.lnp.test'], messageId: '<1@x>', raw });
    expect(duplicates).toEqual([]);
    expect(store.raw(id)).toEqual(raw);
    expect(store.envelope(id)?.recipients).toEqual(['b@interop.lnp.test', 'c@interop.lnp.test']);
    expect(store.pendingDeliveries(id).map((d) => d.state)).toEqual(['pending', 'pending']);
    expect(store.trace(id)?.events[0].stage).toBe('receive');
  });

  it('batches concurrent accepts into one commit and keeps every one', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: `<${i}@x>`, raw })));
    expect(new Set(results.map((r) => r.id)).size).toBe(50);
    expect(store.summary().deliveries.pending).toBe(50);
  });

  it('accepts every received copy: whether it is a resend is decided after opening', async () => {
    const a = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: '<dup@x>', raw });
    const b = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y', 'c@y'], messageId: '<dup@x>', raw });
    expect(b.duplicates).toEqual([]);
    expect(store.deliveries(a.id)).toHaveLength(1);
    expect(store.deliveries(b.id).map((d) => d.recipient)).toEqual(['b@y', 'c@y']);
    expect(store.message(b.id)?.state).toBe('received');
  });

  it('keys the gateway\'s notices: the same key and recipient queued again is a duplicate', async () => {
    const notice = { source: 'gateway' as const, mailFrom: '', recipients: ['s@x'], messageId: null, raw, noticeKey: 'failure:X' };
    expect((await store.accept(notice)).duplicates).toEqual([]);
    expect((await store.accept(notice)).duplicates).toEqual(['s@x']);
    expect((await store.accept({ ...notice, noticeKey: 'failure:Y' })).duplicates).toEqual([]);
  });

  describe('claimContent: a duplicate is the same Message-ID, recipient and content', () => {
    const D1 = 'a'.repeat(64);
    const D2 = 'b'.repeat(64);
    const accept = (recipients: string[], source: 'legacy' | 'mssante' = 'legacy') =>
      store.accept({ source, mailFrom: 'a@x', recipients, messageId: '<m@x>', raw });
    const claim = (id: string, digest: string, recipients: string[], network: 'legacy' | 'mssante' = 'legacy') =>
      store.claimContent(id, { network, messageId: '<m@x>', digest, recipients }, 1000);
    const details = (id: string) => store.trace(id)!.events.filter((e) => e.stage === 'duplicate').map((e) => `${e.recipient}: ${e.detail}`);

    it('the first copy claims; a second with the same content is a duplicate, its delivery removed, the message `duplicate`', async () => {
      const a = await accept(['b@y']);
      const b = await accept(['b@y']);
      expect(await claim(a.id, D1, ['b@y'])).toEqual({ fresh: ['b@y'], duplicates: [], reused: [], state: 'received' });
      expect(await claim(b.id, D1, ['b@y'])).toEqual({ fresh: [], duplicates: [{ recipient: 'b@y', of: a.id }], reused: [], state: 'duplicate' });
      expect(store.message(b.id)?.state).toBe('duplicate');
      expect(store.deliveries(b.id)).toEqual([]);
      expect(details(b.id)).toEqual([`b@y: duplicate of message ${a.id}: same Message-ID, same content; not delivered again`]);
      expect(store.noticesDue(10)).not.toContain(b.id); // its sender was answered for the first copy
      expect(details(a.id)).toEqual([]);
    });

    it('the same Message-ID with different content is a new message, whose trace names the one it reuses the Message-ID of', async () => {
      const a = await accept(['b@y']);
      const c = await accept(['b@y']);
      await claim(a.id, D1, ['b@y']);
      expect(await claim(c.id, D2, ['b@y'])).toEqual({ fresh: ['b@y'], duplicates: [], reused: [{ recipient: 'b@y', of: a.id }], state: 'received' });
      expect(store.pendingDeliveries(c.id).map((d) => d.recipient)).toEqual(['b@y']);
      expect(details(c.id)).toEqual([`b@y: reuses the Message-ID of message ${a.id} with different content: a new message, not a duplicate`]);
      // A resend of the second version is a duplicate of the second, not of the first.
      const e = await accept(['b@y']);
      expect((await claim(e.id, D2, ['b@y'])).duplicates).toEqual([{ recipient: 'b@y', of: c.id }]);
    });

    it('decides per recipient: a copy naming a new recipient too delivers only to that one', async () => {
      const a = await accept(['b@y']);
      const b = await accept(['b@y', 'c@y']);
      await claim(a.id, D1, ['b@y']);
      const r = await claim(b.id, D1, ['b@y', 'c@y']);
      expect(r).toMatchObject({ fresh: ['c@y'], duplicates: [{ recipient: 'b@y', of: a.id }], state: 'received' });
      expect(store.deliveries(b.id).map((d) => d.recipient)).toEqual(['c@y']);
    });

    it('a message run again (restart, release) keeps its claim and writes no second event', async () => {
      const a = await accept(['b@y']);
      const c = await accept(['b@y']);
      await claim(a.id, D1, ['b@y']);
      await claim(c.id, D2, ['b@y']);
      expect(await claim(a.id, D1, ['b@y'])).toEqual({ fresh: ['b@y'], duplicates: [], reused: [], state: 'received' });
      expect(await claim(c.id, D2, ['b@y'])).toEqual({ fresh: ['b@y'], duplicates: [], reused: [], state: 'received' });
      expect(details(c.id)).toHaveLength(1);
    });

    it('one that could not be opened is named so; the same bytes again are a duplicate', async () => {
      const a = await accept(['b@y']);
      const b = await accept(['b@y']);
      const c = await accept(['b@y']);
      await claim(a.id, 'raw:' + D1, ['b@y']);
      expect((await claim(b.id, 'raw:' + D1, ['b@y'])).state).toBe('duplicate');
      expect((await claim(c.id, D1, ['b@y'])).reused).toEqual([{ recipient: 'b@y', of: a.id }]);
      expect(details(c.id)[0]).toMatch(/reuses the Message-ID of message \w+, which could not be opened: a new message/);
    });

    it('networks are apart: the same Message-ID from the other network is not a duplicate', async () => {
      const a = await accept(['b@y']);
      const b = await accept(['b@y'], 'mssante');
      await claim(a.id, D1, ['b@y']);
      expect((await claim(b.id, D1, ['b@y'], 'mssante')).fresh).toEqual(['b@y']);
    });

    it('a row written before digests were kept (empty digest) still makes a copy a duplicate', async () => {
      const a = await accept(['b@y']);
      store.sqlite.prepare(`INSERT INTO seen (network, message_id, recipient, message_ref) VALUES ('legacy', '<m@x>', 'b@y', ?)`).run(a.id);
      const b = await accept(['b@y']);
      expect((await claim(b.id, D2, ['b@y'])).duplicates).toEqual([{ recipient: 'b@y', of: a.id }]);
    });

    it('the decision is durable: after a restart a copy of a claimed message is still a duplicate', async () => {
      const a = await accept(['b@y']);
      await claim(a.id, D1, ['b@y']);
      store.close();
      store = SqliteStore.open(join(dir, 'db.sqlite'));
      const b = await accept(['b@y']);
      expect((await claim(b.id, D1, ['b@y'])).state).toBe('duplicate');
    });

    it('concurrent claims of two copies: exactly one holds the recipient', async () => {
      const a = await accept(['b@y']);
      const b = await accept(['b@y']);
      const [ra, rb] = await Promise.all([claim(a.id, D1, ['b@y']), claim(b.id, D1, ['b@y'])]);
      expect([ra.fresh.length, rb.fresh.length].sort()).toEqual([0, 1]);
    });
  });

  it('claims due deliveries once, and recovers cut sends after a restart', async () => {
    const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: '<2@x>', raw });
    await store.recordRouting(id, { routes: [{ recipient: 'b@y', network: 'mssante', address: 'b@national.test' }], failures: [], events: [] }, 1000);
    const claimed = store.claimDue(2000, 10, 60_000);
    expect(claimed).toHaveLength(1);
    expect(store.claimDue(2000, 10, 60_000)).toHaveLength(0);
    expect(store.recover(3000)).toEqual({ requeued: 1, unprocessed: 0 });
    const again = store.claimDue(3000, 10, 60_000);
    expect(again[0].uncertain).toBe(true);
    const state = await store.recordOutcomes(id, [{ deliveryId: again[0].id, state: 'delivered', reply: '250 ok' }], [{ stage: 'deliver', level: 'info', detail: 'delivered' }], 3001);
    expect(state).toBe('done');
    expect(store.deliveries(id)[0]).toMatchObject({ state: 'delivered', attempts: 1, lastError: '250 ok' });
  });
});

describe('migration 0003 (content digests in `seen`)', () => {
  it('keeps the rows of a database made before it, with an empty digest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-migrate-'));
    try {
      // A database as the previous release left it: migrations up to 0002 only.
      const old = join(dir, 'drizzle-0002');
      mkdirSync(join(old, 'meta'), { recursive: true });
      const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
      journal.entries = journal.entries.filter((e) => e.tag < '0003');
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
        const b = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: '<m@x>', raw });
        expect((await store.claimContent(b.id, { network: 'legacy', messageId: '<m@x>', digest: 'c'.repeat(64), recipients: ['b@y'] }, 1)).state).toBe('duplicate');
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RetrySchedule', () => {
  it('follows the table, repeats the last delay and expires', () => {
    const s = RetrySchedule.from({ delays: ['5m', '15m', '1h'], maxAge: '48h' });
    const t0 = 0;
    expect(s.next({ attempts: 1, receivedAt: t0, now: t0 })).toBe(5 * 60_000);
    expect(s.next({ attempts: 2, receivedAt: t0, now: t0 })).toBe(15 * 60_000);
    expect(s.next({ attempts: 9, receivedAt: t0, now: t0 })).toBe(3_600_000);
    expect(s.next({ attempts: 50, receivedAt: t0, now: 47.5 * 3_600_000 })).toBeNull();
    expect(() => RetrySchedule.from({ delays: ['soon'], maxAge: '1h' })).toThrow(/not a duration/);
  });
});
