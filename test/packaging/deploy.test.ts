/**
 * The service files of deploy/: the systemd unit passes `systemd-analyze verify` without a
 * warning and stays hardened (`systemd-analyze security --offline` exposure at most 2.0, and
 * the directives operators rely on), and the container file is multi-stage, runs compiled
 * JavaScript as a non-root user with only dist/ and the production packages, with a health
 * check on /health. (No Docker engine runs here: the image itself is not built; the health
 * check's command is run against a real gateway in build.test.ts.)
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerfileStages, healthcheckCommand } from './dockerfile.js';

const ROOT = join(import.meta.dirname, '../..');
const UNIT = join(ROOT, 'deploy/passerelle.service');
const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const noAnalyze = ANALYZE ? false : 'systemd-analyze is not installed (Debian package systemd)';

/** The unit's settings: `Key` → every value it is given, in order. */
function unitSettings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

/** Runs systemd-analyze on a copy of the unit in a temporary folder (verify reads the folder it is in). */
function analyze(args: string[], unitText = readFileSync(UNIT, 'utf8')) {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-unit-'));
  try {
    // verify checks that ExecStart's program exists: Debian's node is /usr/bin/node, as the unit says.
    const node = existsSync('/usr/bin/node') ? unitText : unitText.replace('/usr/bin/node', process.execPath);
    writeFileSync(join(dir, 'passerelle.service'), node);
    return spawnSync(ANALYZE!, [...args, './passerelle.service'], { cwd: dir, encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0', SYSTEMD_PAGER: '' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('deploy/passerelle.service', () => {
  const unit = unitSettings(readFileSync(UNIT, 'utf8'));
  const one = (k: string) => unit.get(k)?.join(' ');

  it.skipIf(noAnalyze)('passes systemd-analyze verify with no warning', () => {
    const r = analyze(['verify']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.trim()).toBe('');
  });

  it.skipIf(noAnalyze)('and verify does see a broken unit (so the check above means something)', () => {
    const r = analyze(['verify'], readFileSync(UNIT, 'utf8').replace('ProtectSystem=strict', 'ProtectSystem=stricter'));
    expect(r.stderr).toMatch(/protect system value/i);
  });

  it.skipIf(noAnalyze)('has an exposure level of at most 2.0 in systemd-analyze security', () => {
    const r = analyze(['security', '--offline=yes', '--threshold=20', '--no-pager']);
    expect(r.status, r.stdout.split('\n').filter((l) => l.includes('✗')).join('\n')).toBe(0);
    expect(r.stdout).toMatch(/Overall exposure level for passerelle\.service: (0|1|2\.0)[.\d]* OK/);
  });

  it('runs compiled JavaScript with Node as its own user, the data folder its only writable path', () => {
    expect(one('ExecStart')).toMatch(/^\/usr\/bin\/node (--enable-source-maps )?\/opt\/passerelle\/dist\/app\/cli\/main\.js start --config \S+$/);
    expect(one('ExecStart')).not.toMatch(/tsx|\.ts\b/);
    expect(one('User')).toBe('passerelle');
    expect(one('Group')).toBe('passerelle');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ReadWritePaths')).toBe('/var/lib/passerelle');
    expect(one('StateDirectory')).toBe('passerelle');
    expect(one('Environment')).toContain('PASSERELLE_DATA_DIR=/var/lib/passerelle');
    for (const [k, v] of Object.entries({ NoNewPrivileges: 'yes', PrivateTmp: 'yes', ProtectHome: 'yes', PrivateDevices: 'yes', RestrictSUIDSGID: 'yes' })) {
      expect(one(k), k).toBe(v);
    }
    expect(one('RestrictAddressFamilies')!.split(' ').sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
    // Only the capability to bind port 25, and nothing else.
    expect(one('CapabilityBoundingSet')).toBe('CAP_NET_BIND_SERVICE');
    expect(one('AmbientCapabilities')).toBe('CAP_NET_BIND_SERVICE');
    expect(readFileSync(join(ROOT, 'deploy/passerelle.sysusers.conf'), 'utf8')).toMatch(/^u passerelle - /m);
  });
});

describe('deploy/Dockerfile', () => {
  const stages = dockerfileStages();
  const final = stages.at(-1)!;
  const ops = (op: string) => final.instructions.filter((i) => i.op === op).map((i) => i.args);

  it('is multi-stage: the build stage compiles and prunes, the final one copies only dist/ and production packages', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => s.name === 'build')!;
    const runs = build.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).toMatch(/npm run build/);
    expect(runs).toMatch(/npm prune --omit=dev/);
    const copies = ops('COPY');
    expect(copies.every((c) => c.startsWith('--from=build '))).toBe(true);
    expect(copies.map((c) => c.split(' ')[1]).sort()).toEqual(['/src/dist', '/src/node_modules', '/src/package.json']);
    expect(ops('RUN').join('\n')).not.toMatch(/npm (ci|install)/);
  });

  it('runs node dist/… as a non-root user, with a health check on /health', () => {
    const user = ops('USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(JSON.parse(ops('CMD').at(-1)!)).toEqual(['node', '--enable-source-maps', 'dist/app/cli/main.js', 'start']);
    expect(healthcheckCommand(stages).join(' ')).toMatch(/\/health/);
    expect(ops('HEALTHCHECK')[0]).toMatch(/--interval=\S+ .*--timeout=\S+/);
  });

  it('the build context leaves out what the image must not take from the host', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', 'var', '.git', '.dev.vars']) expect(ignored).toContain(p);
  });
});

