/**
 * The README's first command, as a process: `passerelle start` on embedded defaults (only
 * the ports, the data folder and the key folder moved so tests can run side by side), with
 * the relay simulator delivering to it.
 */
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeKeyFolders, SUBSCRIBERS, GATEWAY_PASSWORD } from '../support/legacy-world.js';
import { loadKeyFolder } from '../../adapters/legacy/key-folder.js';
import { startLegacyRelay, submitToRelay, type LegacyRelayOptions } from '../simulators/legacy-relay.js';
import { loadConfig } from '../../app/config/load-config.js';
import { startGateway, StartError } from '../../app/node/start-gateway.js';
import { createLogger } from '../../core/log/logger.js';

const BIN = join(import.meta.dirname, '../../bin/passerelle.js');

/** Runs `passerelle start` to its end: exit code, stderr, and how long it lived after its first error line. */
async function startUntilExit(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; err: string; afterErrorMs: number }> {
  const child = spawn(process.execPath, [BIN, 'start'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let errorAt = 0;
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (!errorAt && /^passerelle: /m.test(err)) errorAt = Date.now();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return { code, err, afterErrorMs: errorAt ? Date.now() - errorAt : -1 };
}

/** Modes of every file and folder under a folder (path relative → mode). */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      out[join(rel, e.name)] = (statSync(p).mode & 0o777).toString(8);
      if (e.isDirectory()) walk(p, join(rel, e.name));
    }
  };
  walk(dir, '');
  return out;
}

describe('passerelle start', () => {
  it('starts on embedded defaults, and the relay simulator delivers to it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'passerelle-cli-'));
    const keys = await makeKeyFolders(root);
    const relayOptions: LegacyRelayOptions = {
      keys: (await loadKeyFolder(keys.all)).store, domain: 'lnp.test', gatewayLocal: 'passerelle',
      subscribers: [...SUBSCRIBERS, { local: 'passerelle', zone: 'gateway', password: GATEWAY_PASSWORD }],
    };
    const relay = await startLegacyRelay(relayOptions);
    const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/passerelle.js'), 'start'], {
      env: {
        ...process.env,
        PASSERELLE_DATA_DIR: join(root, 'var'), PASSERELLE_LEGACY_KEY_DIR: keys.gateway,
        PASSERELLE_LEGACY_LISTEN_PORT: '0', PASSERELLE_MSSANTE_LISTEN_PORT: '0', PASSERELLE_HTTP_PORT: '0',
        PASSERELLE_LEGACY_RELAY_PORT: String(relay.port), PASSERELLE_LEGACY_RELAY_PASSWORD: GATEWAY_PASSWORD,
        PASSERELLE_ALIASES: JSON.stringify({ 'jean.dupont.med@interop.lnp.test': 'jean.dupont@medecin.mssante.fr' }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const ports = await new Promise<{ legacy: number; http: number }>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = out.match(/legacy SMTP 127\.0\.0\.1:(\d+).*HTTP http:\/\/127\.0\.0\.1:(\d+)/);
          if (m) resolve({ legacy: Number(m[1]), http: Number(m[2]) });
        });
        child.once('exit', (c) => reject(new Error(`exited ${c}`)));
      });
      const health = await (await fetch(`http://127.0.0.1:${ports.http}/health`)).json() as { status: string };
      expect(health.status).toBe('ok');
      // The web console is mounted: its login takes the generated `admin` token and opens the dashboard.
      const apiToken = readFileSync(join(root, 'var', 'api-token'), 'utf8').trim();
      const login = await fetch(`http://127.0.0.1:${ports.http}/console/login`, { method: 'POST', body: new URLSearchParams({ token: apiToken }), redirect: 'manual' });
      expect(login.status).toBe(303);
      const dash = await fetch(`http://127.0.0.1:${ports.http}/console`, { headers: { Cookie: login.headers.get('set-cookie')!.split(';')[0]! } });
      const dashHtml = await dash.text();
      expect(dashHtml).toContain('Tableau de bord');
      expect(dashHtml).toContain('État de service');
      expect(dashHtml).toContain('Domaines de confiance');
      relayOptions.gateway = { host: '127.0.0.1', port: ports.legacy };
      await submitToRelay(relay, { local: 'cab.dupuis', password: 'pw-dupuis', zone: 'medical33', to: ['jean.dupont.med@interop.lnp.test'], text: 'Bonjour\r\n' });
      const [d] = await relay.waitForGatewayDeliveries(1, 10_000);
      expect(d.reply).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]{26}/);
      // the data folder 0700; the database, its WAL files, generated keys, certificates and token 0600
      const dataDir = join(root, 'var');
      expect((statSync(dataDir).mode & 0o777).toString(8)).toBe('700');
      const m = modes(dataDir);
      for (const f of ['passerelle.db', 'passerelle.db-wal', 'passerelle.db-shm', 'http-token', 'tls/test-key.pem', 'tls/test-cert.pem', 'national/gateway-key.pem', 'national/test-ca.pem']) {
        expect(m[f], f).toBe('600');
      }
      for (const [f, mode] of Object.entries(m)) expect(Number.parseInt(mode, 8) & 0o077, `${f} ${mode}`).toBe(0);
    } finally {
      child.kill('SIGTERM');
      await exited;
      await relay.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('exits non-zero, with one line and no stack, within 5 s of failing to bind a port that is taken', async () => {
    const root = mkdtempSync(join(tmpdir(), 'passerelle-cli-'));
    const keys = await makeKeyFolders(root);
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const t0 = Date.now();
      const r = await startUntilExit({
        PASSERELLE_DATA_DIR: join(root, 'var'), PASSERELLE_LEGACY_KEY_DIR: keys.gateway,
        PASSERELLE_LEGACY_LISTEN_PORT: '0', PASSERELLE_MSSANTE_LISTEN_PORT: String(port), PASSERELLE_HTTP_PORT: '0',
      });
      console.log(`start with a taken port: exit ${r.code} after ${Date.now() - t0} ms from spawn, ${r.afterErrorMs} ms after its error line`);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`passerelle: cannot listen on 127.0.0.1:${port} (listen EADDRINUSE`);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(r.afterErrorMs).toBeGreaterThanOrEqual(0);
      expect(r.afterErrorMs).toBeLessThan(5_000);
    } finally {
      taken.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 90_000);

  it('without testMaterial and without keys: a clear error, exit 1, and nothing written', async () => {
    const root = mkdtempSync(join(tmpdir(), 'passerelle-cli-'));
    const dataDir = join(root, 'var');
    try {
      const r = await startUntilExit({
        PASSERELLE_DATA_DIR: dataDir, PASSERELLE_TEST_MATERIAL: 'false',
        PASSERELLE_MSSANTE_ANCHORS: join(root, 'anchors.pem'), PASSERELLE_MSSANTE_IDENTITY_KEY: join(root, 'key.pem'),
        PASSERELLE_MSSANTE_IDENTITY_CERT: join(root, 'cert.pem'), PASSERELLE_MSSANTE_TRUST_LIST: join(root, 'trust.xml'),
        PASSERELLE_LEGACY_LISTEN_PORT: '0', PASSERELLE_MSSANTE_LISTEN_PORT: '0', PASSERELLE_HTTP_PORT: '0',
      });
      expect(r.code).toBe(1);
      expect(r.err).toContain(`passerelle: no legacy key files in ${join(dataDir, 'keys', 'legacy')}`);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(existsSync(dataDir)).toBe(false);
      expect(readdirSync(root)).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 90_000);

  it('without testMaterial, a missing anchor file or an invalid certificate stops the start before anything is written', async () => {
    const root = mkdtempSync(join(tmpdir(), 'passerelle-cli-'));
    const keys = await makeKeyFolders(root);
    const dataDir = join(root, 'var');
    const log = createLogger({ level: 'error', write: () => {} });
    const base = {
      dataDir, testMaterial: false,
      legacy: { keyDir: keys.gateway, listen: { port: 0 } },
      mssante: { listen: { port: 0 }, anchors: join(root, 'anchors.pem'), identity: { key: join(root, 'key.pem'), cert: join(root, 'cert.pem') }, trustList: join(root, 'trust.xml') },
      http: { port: 0 },
    };
    try {
      const national = startGateway(loadConfig({ env: {}, overrides: base }), { log, noHttp: true });
      await expect(national).rejects.toThrow(StartError);
      await expect(national).rejects.toThrow(/national side: .*anchors\.pem/);
      expect(existsSync(dataDir)).toBe(false);

      writeFileSync(join(root, 'tls-key.pem'), '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n');
      writeFileSync(join(root, 'tls-cert.pem'), 'not a certificate\n');
      const tls = startGateway(loadConfig({ env: {}, overrides: { ...base, legacy: { ...base.legacy, listen: { port: 0, tlsKey: join(root, 'tls-key.pem'), tlsCert: join(root, 'tls-cert.pem') } } } }), { log, noHttp: true });
      await expect(tls).rejects.toThrow(/^legacy\.listen\.tlsKey\/tlsCert: .*tls-key\.pem, .*tls-cert\.pem: not a usable key and certificate/);
      await expect(tls).rejects.not.toThrow(/bm90IGEga2V5/);
      const missing = startGateway(loadConfig({ env: {}, overrides: { ...base, legacy: { ...base.legacy, listen: { port: 0, tlsKey: join(root, 'none.pem'), tlsCert: join(root, 'tls-cert.pem') } } } }), { log, noHttp: true });
      await expect(missing).rejects.toThrow(`legacy.listen.tlsKey: cannot read ${join(root, 'none.pem')} (ENOENT)`);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('a start that fails on a taken HTTP port leaves nothing running (threads, timers, sockets)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'passerelle-cli-'));
    const keys = await makeKeyFolders(root);
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    const log = createLogger({ level: 'error', write: () => {} });
    try {
      // the test material first, so that only the failed start is measured
      const config = loadConfig({ env: {}, overrides: { dataDir: join(root, 'var'), legacy: { keyDir: keys.gateway, listen: { port: 0 } }, mssante: { listen: { port: 0 } }, http: { port } } });
      await expect(startGateway({ ...config, http: { ...config.http, port: 0 } }, { log }).then((gw) => gw.stop())).resolves.toBeUndefined();
      await new Promise((r) => setTimeout(r, 200));
      const before = process.getActiveResourcesInfo().sort();
      await expect(startGateway(config, { log })).rejects.toThrow(`cannot serve HTTP on 127.0.0.1:${port} (listen EADDRINUSE`);
      await new Promise((r) => setTimeout(r, 200));
      expect(process.getActiveResourcesInfo().sort()).toEqual(before);
    } finally {
      taken.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
