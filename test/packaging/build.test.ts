/**
 * Production runs compiled JavaScript: `npm run build` writes `dist/` (here into a temporary
 * folder that holds only `dist/` and a link to `node_modules`, as `/opt/passerelle` does), and
 * the gateway starts from `node dist/app/cli/main.js` without tsx and without the sources:
 * migrations found inside `dist/`, the translator's worker threads started from `dist/`.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { sampleHprim } from '../mappings/fixtures.js';
import { healthcheckCommand } from './dockerfile.js';

const ROOT = join(import.meta.dirname, '../..');
let base: string;
let dist: string;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Runs `node dist/app/cli/main.js ARGS` in the temporary folder, with no tsx loader inherited. */
function runDist(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [join(dist, 'app/cli/main.js'), ...args], {
    cwd: base, stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: base, ...env },
  });
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'passerelle-dist-'));
  dist = join(base, 'dist');
  const r = spawnSync('npm', ['run', 'build', '--', '--outdir', dist], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  expect(r.status, r.stderr + r.stdout).toBe(0);
  expect(r.stdout).toMatch(/built \d+ modules/);
  symlinkSync(join(ROOT, 'node_modules'), join(base, 'node_modules'), 'dir');
}, 120_000);

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('writes JavaScript only, with the migrations and the worker-thread entry beside it', () => {
    const files = walk(dist).map((f) => relative(dist, f));
    expect(files.filter((f) => /\.(ts|mts)$/.test(f))).toEqual([]);
    for (const f of ['app/cli/main.js', 'app/node/pipeline-pool.js', 'app/node/pipeline-thread.js', 'storage/sqlite/database.js', 'package.json']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('drizzle/') && f.endsWith('.sql')).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.startsWith('drizzle-pg/') && f.endsWith('.sql')).length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8')).type).toBe('module');
    // Nothing compiled still names tsx or a TypeScript file.
    const code = files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(dist, f), 'utf8')).join('\n');
    expect(code).not.toMatch(/from\s*["'][^"']+\.ts["']|["']tsx(\/[^"']*)?["']/);
    expect(existsSync(join(base, 'app'))).toBe(false);
  });

  it('imports only production dependencies and Node built-ins (what `npm ci --omit=dev` installs)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const used = new Set<string>();
    for (const f of walk(dist).filter((x) => x.endsWith('.js'))) {
      const code = readFileSync(f, 'utf8');
      for (const m of code.matchAll(/(?:^|[\s;])(?:import|export)\s[^;]*?from\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)|^import\s+"([^"]+)"/gm)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        if (spec.startsWith('.') || spec.startsWith('node:')) continue;
        used.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((p) => !(p in pkg.dependencies))).toEqual([]);
  });

  it('starts the gateway from dist/ on embedded defaults, answers /health (and the container health check), and stops on SIGTERM', async () => {
    const child = runDist(['start'], {
      PASSERELLE_DATA_DIR: join(base, 'var'),
      PASSERELLE_LEGACY_LISTEN_PORT: '0', PASSERELLE_MSSANTE_LISTEN_PORT: '0', PASSERELLE_HTTP_PORT: '0',
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const http = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /HTTP http:\/\/127\.0\.0\.1:(\d+)\/health/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', (c) => reject(new Error(`exited ${c}: ${err}`)));
      });
      const res = await fetch(`http://127.0.0.1:${http}/health`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe('ok');
      expect(existsSync(join(base, 'var/passerelle.db'))).toBe(true);
      // The container's HEALTHCHECK command (deploy/Dockerfile), run as the engine would.
      const [cmd, ...args] = healthcheckCommand();
      const healthy = spawnSync(cmd === 'node' ? process.execPath : cmd!, args, { env: { PATH: process.env.PATH, PASSERELLE_HTTP_PORT: String(http) }, timeout: 15_000 });
      expect(healthy.status).toBe(0);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const gone = spawnSync(cmd === 'node' ? process.execPath : cmd!, args, { env: { PATH: process.env.PATH, PASSERELLE_HTTP_PORT: String(http) }, timeout: 15_000 });
      expect(gone.status).toBe(1);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(err).toMatch(/gateway stopped/);
    expect(err).not.toMatch(/worker (failed|exited)|ERR_|Cannot find/);
  }, 60_000);

  it('translates a lab report on a worker thread started from dist/', async () => {
    // The compiled pool, in a Node process of its own without tsx: its thread must start from
    // dist/app/node/pipeline-thread.js (a thread that cannot start fails the job: WORKER_FAILED).
    writeFileSync(join(base, 'report.hpr'), sampleHprim(), 'latin1');
    const script = `
      import { readFileSync } from 'node:fs';
      import { PipelinePool } from './dist/app/node/pipeline-pool.js';
      const text = readFileSync('report.hpr', 'latin1');
      const pool = new PipelinePool({ size: 1 });
      const message = {
        envelope: { id: 'm1', source: 'legacy', mailFrom: 'a@x', recipients: ['b@y'], messageId: '<m1@x>', receivedAt: 0, size: 1, rawRef: 'r' },
        from: 'a@x', to: ['b@y'], cc: [], subject: '', meta: {}, content: { kind: 'lab-report', hprim: text, text, attachments: [] },
      };
      const out = await pool.translator(message, { network: 'mssante', recipients: ['dr@mssante.test'], from: 'labo@gw.test', messageId: '<t1@gw>' });
      process.stdout.write(JSON.stringify({ codecda: out.headers['X-MSS-CODECDA'], files: out.content.attachments.map((a) => a.filename) }));
      await pool.close();`;
    writeFileSync(join(base, 'translate.mjs'), script);
    const child = spawn(process.execPath, ['translate.mjs'], { cwd: base, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    expect(await new Promise((r) => child.once('exit', r)), err).toBe(0);
    expect(JSON.parse(out)).toEqual({ codecda: '11502-2', files: expect.arrayContaining(['IHE_XDM.ZIP']) as unknown });
  }, 60_000);
});
