/**
 * The configuration: one schema, every problem at once with its path and what was expected,
 * unknown keys refused, secrets from files and never printed, the reference in
 * docs/operations.md equal to the schema's.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, envName, loadConfig, maskSecrets } from '../../app/config/load-config.js';
import { CONFIG_SCHEMA, settings } from '../../app/config/schema.js';
import { DEFAULTS } from '../../app/config/defaults.js';
import { configReference } from '../../app/cli/commands/config.js';
import { main } from '../../app/cli/main.js';

const folder = mkdtempSync(join(tmpdir(), 'passerelle-config-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('no ConfigError');
}

function file(name: string, content: unknown): string {
  const path = join(folder, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('the configuration schema', () => {
  it('gives every setting a default, a description and a variable; the defaults validate', () => {
    expect(CONFIG_SCHEMA.parse({})).toEqual(DEFAULTS);
    const all = settings();
    expect(all.length).toBeGreaterThan(50);
    for (const s of all) expect(s.doc.length, s.path.join('.')).toBeGreaterThan(10);
    expect(new Set(all.map((s) => envName(s.path))).size).toBe(all.length);
    expect(() => loadConfig({ env: {} })).not.toThrow();
  });

  it('holds the settings the parallel work reads, with their defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.log).toEqual({ level: 'info', format: 'auto' });
    expect(c.node.id).toBe('');
    expect(c.retention.rawDays).toBe(30);
    expect(c.postgres).toEqual({ schema: '', poolSize: 10, synchronousCommit: 'on' });
    expect(loadConfig({ env: { PASSERELLE_LOG_FORMAT: 'json', PASSERELLE_POSTGRES_POOL_SIZE: '4', PASSERELLE_NODE_ID: 'n1' } })).toMatchObject({ log: { format: 'json' }, postgres: { poolSize: 4 }, node: { id: 'n1' } });
  });

  it('reports every problem at once, each with its path, what was expected and what was found', () => {
    const p = problems(() => loadConfig({
      file: file('bad.json', {
        durability: 'SAFE', testMaterial: 'no', http: { port: 'abc' }, queue: { concurrency: 1.5, lease: 'soon' },
        mssante: { routes: { 'a.fr': 'nohost' }, tls: { extraCiphers: ['HIGH'] } }, legacy: { listen: { tlsKey: '/x' } },
      }),
      env: { PASSERELLE_LEGACY_LISTEN_PORT: 'twenty-five' },
    }));
    expect(p).toEqual(expect.arrayContaining([
      "durability: expected one of FULL, NORMAL, got 'SAFE'",
      "testMaterial: expected true or false, got 'no'",
      "http.port: expected a TCP port (a whole number from 0 to 65535), got 'abc'",
      'queue.concurrency: expected a whole number, got number 1.5',
      expect.stringMatching(/^queue\.lease: not a duration: 'soon'/),
      "mssante.routes.a.fr: expected host:port, got 'nohost'",
      "mssante.tls.extraCiphers.0: is not an OpenSSL suite name (e.g. ECDHE-RSA-AES256-SHA), got 'HIGH'",
      'legacy.listen.tlsKey, legacy.listen.tlsCert: give both or neither',
      "legacy.listen.port (PASSERELLE_LEGACY_LISTEN_PORT): expected a number, got 'twenty-five'",
    ]));
    expect(p).toHaveLength(9);
  });

  it('refuses unknown keys, at any depth, naming the nearest setting', () => {
    const p = problems(() => loadConfig({ file: file('typo.json', { htp: {}, http: { prot: 8080 }, legacy: { relay: { pasword: 'x' } }, zzz: 1 }), env: {} }));
    expect(p).toEqual(expect.arrayContaining([
      "htp: unknown setting (did you mean 'http'?)",
      "http.prot: unknown setting (did you mean 'http.port'?)",
      "legacy.relay.pasword: unknown setting (did you mean 'legacy.relay.password'?)",
      'zzz: unknown setting',
    ]));
    expect(problems(() => loadConfig({ env: {}, overrides: { http: 5 } }))).toEqual(['http: expected an object (a section of settings), got number 5']);
  });

  it('says so when a PASSERELLE_ variable is a near miss of a setting\'s, and leaves other variables alone', () => {
    expect(problems(() => loadConfig({ env: { PASSERELLE_HTTP_PROT: '8080', PASSERELLE_LEGACY_RELAY_PASWORD: 'x' } }))).toEqual([
      'PASSERELLE_HTTP_PROT: not a setting\'s variable (did you mean PASSERELLE_HTTP_PORT?)',
      'PASSERELLE_LEGACY_RELAY_PASWORD: not a setting\'s variable (did you mean PASSERELLE_LEGACY_RELAY_PASSWORD?)',
    ]);
    expect(() => loadConfig({ env: { PASSERELLE_PG_BIN: '/usr/lib/postgresql/16/bin', PASSERELLE_MSSANTE_TRUST_LIST_SIGNER: 'x.pem', PASSERELLE_CONFIG: undefined } })).not.toThrow();
  });

  it('keeps object settings whole: a file\'s aliases are replaced, not merged, by the environment', () => {
    const c = loadConfig({
      file: file('aliases.json', { aliases: { 'a.b@interop.lnp.test': 'a@medecin.mssante.fr' } }),
      env: { PASSERELLE_ALIASES: JSON.stringify({ 'c.d@interop.lnp.test': 'c@medecin.mssante.fr' }) },
    });
    expect(c.aliases).toEqual({ 'c.d@interop.lnp.test': 'c@medecin.mssante.fr' });
  });
});

describe('secrets from files', () => {
  const secret = 'S3cr3t-relay-pass';
  const secretFile = file('relay-password', `${secret}\n`);

  it('reads file: values and PASSERELLE_…_FILE variables, one trailing newline trimmed', () => {
    expect(loadConfig({ env: { PASSERELLE_LEGACY_RELAY_PASSWORD_FILE: secretFile } }).legacy.relay.password).toBe(secret);
    expect(loadConfig({ env: { PASSERELLE_HTTP_TOKEN: `file:${secretFile}` } }).http.token).toBe(secret);
    expect(loadConfig({ env: {}, file: file('with-secret.json', { mssante: { identity: { password: `file:${secretFile}` } } }) }).mssante.identity.password).toBe(secret);
    writeFileSync(join(folder, 'two-lines'), 'a\n\n');
    expect(loadConfig({ env: { PASSERELLE_HTTP_TOKEN_FILE: join(folder, 'two-lines') } }).http.token).toBe('a\n');
  });

  it('a missing, unreadable or empty file is a problem naming the file; both forms at once are refused', () => {
    const empty = file('empty-secret', '\n');
    const p = problems(() => loadConfig({
      env: {
        PASSERELLE_LEGACY_RELAY_PASSWORD_FILE: join(folder, 'nope'),
        PASSERELLE_MSSANTE_IDENTITY_PASSWORD: `file:${folder}`,
        PASSERELLE_HTTP_TOKEN_FILE: empty,
      },
    }));
    expect(p).toEqual([
      `http.token (PASSERELLE_HTTP_TOKEN_FILE): the secret file '${empty}' is empty`,
      `legacy.relay.password (PASSERELLE_LEGACY_RELAY_PASSWORD_FILE): cannot read the secret file '${join(folder, 'nope')}' (ENOENT)`,
      `mssante.identity.password: cannot read the secret file '${folder}' (EISDIR)`,
    ]);
    expect(problems(() => loadConfig({ env: { PASSERELLE_HTTP_TOKEN: 'x', PASSERELLE_HTTP_TOKEN_FILE: secretFile } })))
      .toEqual(['http.token: give PASSERELLE_HTTP_TOKEN or PASSERELLE_HTTP_TOKEN_FILE, not both']);
  });

  it('never prints a secret: not in a problem, not in config show', async () => {
    const p = problems(() => loadConfig({ env: {}, overrides: { legacy: { relay: { password: 12345 } }, http: { token: ['S3cr3t'] } } }));
    expect(p).toEqual(['http.token: expected text', 'legacy.relay.password: expected text']);
    expect(JSON.stringify(maskSecrets(loadConfig({ env: { PASSERELLE_LEGACY_RELAY_PASSWORD_FILE: secretFile } })))).not.toContain(secret);
    let out = '';
    const code = await main(['config', 'show', '--json'], { out: (t) => void (out += t), err: () => {}, env: { PASSERELLE_LEGACY_RELAY_PASSWORD_FILE: secretFile } });
    expect(code).toBe(0);
    expect(out).not.toContain(secret);
    expect(JSON.parse(out).legacy.relay.password).toBe('***');
  });
});

describe('the reference', () => {
  it('docs/operations.md holds the reference the schema gives (regenerate: passerelle config reference)', () => {
    const docs = readFileSync(join(import.meta.dirname, '../../docs/operations.md'), 'utf8');
    expect(docs).toContain(configReference());
  });

  it('passerelle config check: OK, or every problem (exit 2)', async () => {
    const run = async (...args: string[]) => {
      let out = '';
      let err = '';
      const code = await main(['config', ...args], { out: (t) => void (out += t), err: (t) => void (err += t), env: {} });
      return { code, out, err };
    };
    expect(await run('check')).toMatchObject({ code: 0, out: expect.stringMatching(/^configuration OK/) });
    const bad = await run('check', '--config', file('check.json', { http: { port: -1 }, queue: { lease: '0s' } }));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('http.port: expected a TCP port (0–65535), got number -1');
    expect(bad.err).toContain('queue.lease: must be longer than 0');
  });
});
