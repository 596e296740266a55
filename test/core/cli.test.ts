import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../app/cli/main.js';
import { COMMANDS } from '../../app/cli/commands/index.js';
import { cliContext, progressLine } from '../../app/cli/context.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';

const folder = mkdtempSync(join(tmpdir(), 'passerelle-cli-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t), env });
  return { code, out, err };
}

describe('the passerelle command line', () => {
  it('lists every command from the static registry', async () => {
    const r = await cli({}, 'help');
    expect(r.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(r.out).toContain(`  ${name}`);
  });

  it('refuses an unknown option in every command with its usage (exit 2)', async () => {
    for (const name of Object.keys(COMMANDS)) {
      const r = await cli({}, name, '--no-such-option');
      expect(r.code, name).toBe(2);
      expect(r.err, name).toMatch(/Unknown option '--no-such-option'/);
    }
  });

  it('resolves the database once for every command: --database, --db, PASSERELLE_DATABASE, PASSERELLE_DB, the configuration', () => {
    let warned = '';
    const io = { out() {}, err: (t: string) => void (warned += t), env: { PASSERELLE_DATABASE: undefined as string | undefined, PASSERELLE_DATA_DIR: join(folder, 'data') } };
    const withEnv = (env: Record<string, string>) => ({ ...io, env: { ...io.env, ...env } });
    expect(cliContext({}, io).dbPath()).toBe(join(folder, 'data', 'passerelle.db'));
    expect(cliContext({}, withEnv({ PASSERELLE_DATABASE: '/x/a.db' })).dbPath()).toBe('/x/a.db');
    expect(warned).toBe('');
    // the former name: read, with a deprecation warning; the new one wins when both are set
    expect(cliContext({}, withEnv({ PASSERELLE_DB: '/x/b.db' })).dbPath()).toBe('/x/b.db');
    expect(warned).toMatch(/PASSERELLE_DB is deprecated: set PASSERELLE_DATABASE/);
    expect(cliContext({}, withEnv({ PASSERELLE_DB: '/x/b.db', PASSERELLE_DATABASE: '/x/a.db' })).dbPath()).toBe('/x/a.db');
    expect(cliContext({ db: '/x/c.db' }, withEnv({ PASSERELLE_DATABASE: '/x/a.db' })).dbPath()).toBe('/x/c.db');
    expect(warned).toMatch(/--db is deprecated: use --database/);
    expect(cliContext({ database: '/x/d.db', db: '/x/c.db' }, withEnv({ PASSERELLE_DATABASE: '/x/a.db' })).dbPath()).toBe('/x/d.db');
    // a configuration file: its database, else its data folder's
    const file = join(folder, 'conf.json');
    writeFileSync(file, JSON.stringify({ dataDir: join(folder, 'elsewhere') }));
    expect(cliContext({ config: file }, { ...io, env: {} }).dbPath()).toBe(join(folder, 'elsewhere', 'passerelle.db'));
    expect(cliContext({ config: file }, withEnv({ PASSERELLE_DATABASE: '/x/a.db' })).dbPath()).toBe('/x/a.db');
  });

  it('honours --config in every command that reads the configuration or the database', async () => {
    const dataDir = join(folder, 'configured');
    mkdirSync(dataDir, { recursive: true });
    const db = join(dataDir, 'passerelle.db');
    SqliteStore.open(db).close();
    const keyDir = join(folder, 'configured-keys');
    mkdirSync(keyDir);
    const file = join(folder, 'configured.json');
    writeFileSync(file, JSON.stringify({ dataDir, legacy: { keyDir }, mssante: { trustList: join(folder, 'no-such-list.xml') } }));
    // run from the default's point of view: no database under ./var is looked at
    const q = await cli({}, 'queue', '--config', file, '--json');
    expect(q.code, q.err).toBe(0);
    expect(JSON.parse(q.out)).toHaveProperty('deliveries');
    expect((await cli({}, 'quarantine', 'list', '--config', file)).out).toMatch(/no quarantined message/);
    expect((await cli({}, 'trace', 'NOSUCHID', '--config', file)).err).toMatch(/no message NOSUCHID/);
    const s = await cli({}, 'directory', 'stats', '--config', file);
    expect(s.code, s.err).toBe(0);
    expect(JSON.parse(s.out)).toHaveProperty('mailboxes');
    expect((await cli({}, 'keys', 'check', '--config', file)).out).toMatch(/0 file\(s\)/);
    expect((await cli({}, 'trust', 'show', '--config', file)).err).toContain('no-such-list.xml');
  });

  it('a read-only command on a database that does not exist says so, exits 1 and creates nothing', async () => {
    const dataDir = join(folder, 'never-ran');
    for (const args of [['directory', 'stats'], ['directory', 'search', 'martin'], ['directory', 'export', 'interop'], ['queue'], ['quarantine', 'list'], ['trace', 'X']]) {
      const r = await cli({ PASSERELLE_DATA_DIR: dataDir }, ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toContain(`no database at ${join(dataDir, 'passerelle.db')}`);
    }
    expect(existsSync(dataDir)).toBe(false);
  });

  it('stops on an invalid configuration with every problem (exit 2), never falling back to the defaults', async () => {
    const file = join(folder, 'bad.json');
    writeFileSync(file, JSON.stringify({ dataDir: join(folder, 'bad'), http: { prot: 1 }, queue: { concurrency: 0 } }));
    for (const args of [['queue'], ['directory', 'stats'], ['start']]) {
      const r = await cli({}, ...args, '--config', file);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/http\.prot: unknown setting \(did you mean 'http\.port'\?\)/);
      expect(r.err).toMatch(/queue\.concurrency: must be at least 1/);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack
    }
  });

  it('queue and directory read the same database from the configuration', async () => {
    const env = { PASSERELLE_DATA_DIR: join(folder, 'shared') };
    expect((await cli(env, 'queue')).code).toBe(1); // no database yet: said, not created
    const path = cliContext({}, { out() {}, err() {}, env }).dbPath();
    mkdirSync(join(folder, 'shared'), { recursive: true });
    SqliteStore.open(path).close();
    const q = await cli(env, 'queue', '--json');
    expect(q.code).toBe(0);
    expect(JSON.parse(q.out)).toHaveProperty('deliveries');
    const s = await cli(env, 'directory', 'stats');
    expect(s.code).toBe(0);
    expect(JSON.parse(s.out)).toHaveProperty('mailboxes');
  });

  it('quarantine: reading a message as received and releasing it are traced with the system user', async () => {
    const env = { PASSERELLE_DATA_DIR: join(folder, 'quarantine') };
    mkdirSync(join(folder, 'quarantine'), { recursive: true });
    const store = SqliteStore.open(cliContext({}, { out() {}, err() {}, env }).dbPath());
    const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@x.lnp.test', recipients: ['b@y'], messageId: null, raw: new TextEncoder().encode('Subject: x\r\n\r\nbody\r\n') }, Date.now());
    await store.quarantine(id, { stage: 'open', reply: '550 5.6.0 x', reason: 'x' }, Date.now());
    store.closeNow();
    expect((await cli(env, 'quarantine', 'show', id, '--raw')).out).toContain('body');
    expect((await cli(env, 'quarantine', 'release', id)).code).toBe(0);
    const t = await cli(env, 'trace', id, '--json');
    expect(t.out).toMatch(/raw message read by cli(:[^"]+)?"/);
    expect(t.out).toMatch(/released by an operator \(cli(:[^)]+)?\)/);
  });

  it('queue hold|release NETWORK holds the deliveries to a network in the database, named by the system user', async () => {
    const env = { PASSERELLE_DATA_DIR: join(folder, 'holds') };
    mkdirSync(join(folder, 'holds'), { recursive: true });
    const path = cliContext({}, { out() {}, err() {}, env }).dbPath();
    SqliteStore.open(path).closeNow();
    expect((await cli(env, 'queue', 'hold', 'nowhere')).code).toBe(2);
    const h = await cli(env, 'queue', 'hold', 'mssante');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^held: deliveries to mssante wait/);
    expect((await cli(env, 'queue', 'hold', 'mssante')).out).toMatch(/^already held/);
    const store = SqliteStore.open(path);
    expect((await store.holds())[0]).toMatchObject({ network: 'mssante', by: expect.stringMatching(/^cli/) });
    store.closeNow();
    expect((await cli(env, 'queue', 'release', 'mssante')).out).toMatch(/^released/);
  });

  it('quarantine release|drop --all [--stage] [--before] acts in bulk, named in each trace; queue flush makes queued deliveries due', async () => {
    const env = { PASSERELLE_DATA_DIR: join(folder, 'bulk') };
    mkdirSync(join(folder, 'bulk'), { recursive: true });
    const store = SqliteStore.open(cliContext({}, { out() {}, err() {}, env }).dbPath());
    const raw = new TextEncoder().encode('Message-ID: <1@x>\r\n\r\nhello\r\n');
    const T = Date.parse('2026-11-01T10:00:00Z');
    const q = async (stage: string, at: number) => {
      const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: null, raw }, at);
      await store.quarantine(id, { stage, reply: '550 5.6.0 x', reason: 'x' }, at);
      return id;
    };
    const [a, b, c] = [await q('open', T), await q('open', T + 60_000), await q('translate', T)];
    const { id: routed } = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: null, raw }, T);
    await store.recordRouting(routed, { routes: [{ recipient: 'b@y', network: 'mssante', address: 'b@y' }], failures: [], events: [] }, T + 3_600_000);
    store.closeNow();
    expect((await cli(env, 'quarantine', 'drop', '--stage', 'open')).code).toBe(2); // --stage only with --all
    const r = await cli(env, 'quarantine', 'release', '--all', '--stage', 'open', '--before', '2026-11-01T10:00:30Z', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ action: 'release', done: [a] });
    const d = await cli(env, 'quarantine', 'drop', '--all');
    expect(d.out).toMatch(/^dropped 2 quarantined message/);
    const list = await cli(env, 'quarantine', 'list', '--json');
    expect(JSON.parse(list.out)).toEqual([]);
    const flushedAt = Date.now();
    const f = await cli(env, 'queue', 'flush');
    expect(f.out).toBe('1 queued deliveries made due now\n');
    const s2 = SqliteStore.open(cliContext({}, { out() {}, err() {}, env }).dbPath());
    for (const id of [b, c]) expect((await s2.trace(id))!.events.at(-1)!.detail).toMatch(/^dropped by an operator \(cli/);
    expect((await s2.trace(routed))!.events.at(-1)!.detail).toMatch(/^retry now requested by an operator \(cli/);
    expect((await s2.deliveries(routed))[0]!.nextAttemptAt).toBeGreaterThanOrEqual(flushedAt);
    s2.closeNow();
  });

  it('long work prints a progress line every few seconds without a terminal, with the rate and the time left', () => {
    let err = '';
    const io = { out() {}, err: (t: string) => void (err += t), env: {} };
    const realNow = Date.now;
    let now = 1_000_000;
    Date.now = () => now;
    try {
      const tick = progressLine(io, 'import', 100, 5000);
      tick(10);
      now += 6000;
      tick(30);
      now += 1000;
      tick(40);
      now += 5000;
      tick(100);
    } finally {
      Date.now = realNow;
    }
    expect(err.split('\n').filter(Boolean)).toEqual(['import: 30/100 (5.0/s, about 14 s left)', 'import: 100/100 (8.3/s)']);
  });

  it('keys check --json names files, owners, years and problems, never key material', async () => {
    const dir = join(folder, 'keys-json');
    expect((await cli({}, 'keys', 'generate-test', dir, 'passerelle', '--years', '2026')).code).toBe(0);
    const r = await cli({}, 'keys', 'check', dir, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { files: Array<{ file: string; ok: boolean; owner?: string; year?: number }>; years: number[] };
    expect(report.files.map((f) => [f.owner, f.year, f.ok])).toEqual(expect.arrayContaining([['Master', 2026, true], ['passerelle', 2026, true]]));
    expect(report.years).toEqual([2026]);
    expect(r.out).not.toMatch(/key(Bytes|Material)|[A-Za-z0-9+/]{40,}/);
  });

  it('queue purge erases the raw bytes of messages done more than the retention ago, under the retention job lock', async () => {
    const env = { PASSERELLE_DATA_DIR: join(folder, 'purge') };
    mkdirSync(join(folder, 'purge'), { recursive: true });
    const path = cliContext({}, { out() {}, err() {}, env }).dbPath();
    const store = SqliteStore.open(path);
    const day = 86_400_000;
    const raw = new TextEncoder().encode('Message-ID: <1@x>\r\n\r\nhello\r\n');
    const A = { owner: 'test/1', leaseMs: 60_000 };
    const done = async (at: number) => {
      const { id } = await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: null, raw }, at);
      await store.recordRouting(id, { routes: [{ recipient: 'b@y', network: 'mssante', address: 'b@y' }], failures: [], events: [] }, at);
      const ds = await store.claimDue(at, 10, A);
      await store.recordOutcomes(id, ds.map((d) => ({ deliveryId: d.id, state: 'delivered' as const, reply: '250 ok' })), [], at);
      await store.noticesQueued(id);
      return id;
    };
    const old = await done(Date.now() - 40 * day);
    const recent = await done(Date.now() - 10 * day);
    const quarantined = (await store.accept({ source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: null, raw }, Date.now() - 40 * day)).id;
    await store.quarantine(quarantined, { stage: 'open', reply: '550 5.6.0 x', reason: 'x' }, Date.now() - 40 * day);

    expect((await cli(env, 'queue', 'purge', '--days', '0')).code).toBe(2);
    expect((await cli(env, 'queue', '--days', '3')).code).toBe(2); // --days only with purge
    // A gateway node running the retention holds the lock: the command says so and purges nothing.
    let release!: () => void;
    const held = store.runExclusive('retention', { holder: 'node-a', leaseMs: 60_000 }, { now: () => Date.now() }, () => new Promise<void>((r) => (release = r)));
    const busy = await cli(env, 'queue', 'purge');
    expect(busy.code).toBe(1);
    expect(busy.err).toMatch(/running the retention right now/);
    release();
    await held;

    const r = await cli(env, 'queue', 'purge'); // the default: 30 days
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/purged the raw bytes of 1 message\(s\) done more than 30 day\(s\) ago/);
    expect(await store.raw(old)).toBeNull();
    expect((await store.trace(old))!.events.at(-1)).toMatchObject({ stage: 'retention', detail: expect.stringMatching(/^purged: /) });
    expect(await store.raw(recent)).not.toBeNull();
    expect(await store.raw(quarantined)).not.toBeNull();
    expect((await cli(env, 'queue', 'purge')).out).toMatch(/of 0 message/);
    expect((await cli(env, 'queue', 'purge', '--days', '5')).out).toMatch(/of 1 message\(s\) done more than 5 day/);
    expect(await store.raw(recent)).toBeNull();
    expect(await store.raw(quarantined)).not.toBeNull();
    await store.close();
  });
});

describe('the passerelle program in a pipe', () => {
  it('stops quietly (exit 0, nothing on stderr) when its reader closes early: passerelle help | head -2', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('bash', ['-c', 'node bin/passerelle.js help | head -2; echo "status=${PIPESTATUS[0]}" >&2'], {
      cwd: join(import.meta.dirname, '../..'),
      env: { ...process.env, PASSERELLE_FROM_SOURCE: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stdout.split('\n')).toHaveLength(3); // two lines, each ended
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    expect(r.stderr).toMatch(/status=0/);
  }, 90_000);

  it('exits 0 without a stack when the pipe is already closed before it writes (| true: EPIPE for certain)', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('bash', ['-c', 'node bin/passerelle.js help | true; echo "status=${PIPESTATUS[0]}" >&2'], {
      cwd: join(import.meta.dirname, '../..'),
      env: { ...process.env, PASSERELLE_FROM_SOURCE: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    expect(r.stderr).toMatch(/status=0/);
  }, 90_000);
});
