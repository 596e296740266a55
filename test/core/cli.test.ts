import { describe, it, expect, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../app/cli/main.js';
import { COMMANDS } from '../../app/cli/commands/index.js';
import { cliContext } from '../../app/cli/context.js';
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

  it('resolves the database once for every command: --db, then PASSERELLE_DB, then the configuration', () => {
    const io = { out() {}, err() {}, env: { PASSERELLE_DATA_DIR: join(folder, 'data') } };
    expect(cliContext({}, io).dbPath()).toBe(join(folder, 'data', 'passerelle.db'));
    expect(cliContext({}, { ...io, env: { ...io.env, PASSERELLE_DATABASE: '/x/a.db' } }).dbPath()).toBe('/x/a.db');
    expect(cliContext({}, { ...io, env: { ...io.env, PASSERELLE_DB: '/x/b.db', PASSERELLE_DATABASE: '/x/a.db' } }).dbPath()).toBe('/x/b.db');
    expect(cliContext({ db: '/x/c.db' }, { ...io, env: { ...io.env, PASSERELLE_DB: '/x/b.db' } }).dbPath()).toBe('/x/c.db');
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
});
