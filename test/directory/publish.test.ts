/**
 * `passerelle directory publish` against the real Worker: `app/workers/worker.ts` bundled by
 * esbuild and run by Miniflare in a local workerd (offline), with a local D1 database under
 * the `drizzle-directory/` migrations. The gateway's address book (SQLite) is published, then
 * read back through the Worker's search and resolve routes; a second publication sends only
 * what changed; the routes refuse readers' and wrong tokens.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { main } from '../../app/cli/main.js';
import type { CommandIO } from '../../app/cli/command.js';
import { nationalText, legacyBytes, perLine } from './lines.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const READ = 'reader-token';
const PUBLISH = 'publisher-token';
const folder = mkdtempSync(join(tmpdir(), 'passerelle-publish-'));
let mf: Miniflare;
let url: string;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), env: { PASSERELLE_DATABASE: join(folder, 'passerelle.db') } };
  return { code: await main(['directory', ...args], io), out, err };
}

const get = async (path: string, token = READ) => fetch(url + path, { headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
  const bundle = await build({
    entryPoints: [join(ROOT, 'app/workers/worker.ts')], bundle: true, platform: 'neutral', format: 'esm', write: false,
    mainFields: ['module', 'main'], conditions: ['worker', 'browser'], logLevel: 'silent',
  });
  mf = new Miniflare({
    modules: true, script: bundle.outputFiles[0].text, compatibilityDate: '2026-04-20', host: '127.0.0.1', port: 0,
    d1Databases: ['DIRECTORY'], d1Persist: false,
    bindings: { DIRECTORY_API_TOKEN: READ, DIRECTORY_PUBLISH_TOKEN: PUBLISH, LEGACY_DOMAIN: 'lnp.test', NATIONAL_DOMAIN: 'passerelle.mssante.test' },
  });
  url = (await mf.ready).origin;
  // The migrations, as `wrangler d1 migrations apply` runs them.
  const d1 = await mf.getD1Database('DIRECTORY');
  const dir = join(ROOT, 'drizzle-directory');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.sql')).sort()) {
    for (const stmt of readFileSync(join(dir, f), 'utf8').split('--> statement-breakpoint')) if (stmt.replace(/--.*$/gm, '').trim()) await d1.prepare(stmt).run();
  }
  writeFileSync(join(folder, 'publish.token'), PUBLISH + '\n', { mode: 0o600 });
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  rmSync(folder, { recursive: true, force: true });
});

describe('passerelle directory publish (Workers + D1, offline)', () => {
  it('publishes the address book, then only what changed; the Worker answers search and resolve from D1', async () => {
    const lines = [
      perLine({ address: 'jean.dupont@medecin.mssante.fr', first: 'Jean', last: 'Dupont', rpps: '10001234567', city: 'Bordeaux' }),
      perLine({ address: 'anne.martin@pharmacie.mssante.fr', first: 'Anne', last: 'Martin', rpps: '10007654321', profession: '21', city: 'Talence' }),
    ];
    writeFileSync(join(folder, 'Extraction_Correspondance_MSSante_202611010300.txt'), nationalText(lines));
    writeFileSync(join(folder, 'annuaire-20261101.csv'), legacyBytes(['dr.jean.dupont@medical33.lnp.test;DUPONT;Jean;Médecin;;10001234567;;;33000;BORDEAUX;2026;A']));
    expect((await cli('import', 'national', join(folder, 'Extraction_Correspondance_MSSante_202611010300.txt'))).code).toBe(0);
    expect((await cli('import', 'legacy', join(folder, 'annuaire-20261101.csv'))).code).toBe(0);

    const first = await cli('publish', '--url', url, '--token-file', join(folder, 'publish.token'), '--json');
    expect(first.err).toBe('');
    expect(JSON.parse(first.out)).toEqual({ sinceRun: 0, uptoRun: 2, mailboxes: 3, pages: 1 });

    const found = await (await get('/directory/search?q=dupont%20bord')).json() as { entries: Array<{ partyKey: string; mailboxes: Array<{ address: string; confidence: { source: string } }> }> };
    expect(found.entries).toHaveLength(1);
    expect(found.entries[0].partyKey).toBe('rpps:10001234567');
    expect(found.entries[0].mailboxes.map((m) => [m.address, m.confidence.source]).sort()).toEqual([
      ['dr.jean.dupont@medical33.lnp.test', 'linked'], ['jean.dupont@medecin.mssante.fr', 'linked'],
    ]);
    const resolved = await (await get('/directory/resolve?address=jean.dupont.med@interop.lnp.test')).json() as Record<string, unknown>;
    expect(resolved).toMatchObject({ network: 'mssante', address: 'jean.dupont@medecin.mssante.fr', status: 'active', partyKey: 'rpps:10001234567' });
    expect((resolved.confidence as { lastSeen: { run: number; fileDate: string } }).lastSeen).toMatchObject({ run: 1, fileDate: '202611010300' });

    // A new extraction moves Anne Martin: only her row is sent.
    lines[1] = lines[1].replace(/Talence/g, 'Pessac');
    writeFileSync(join(folder, 'Extraction_Correspondance_MSSante_202611020300.txt'), nationalText(lines));
    expect((await cli('import', 'national', join(folder, 'Extraction_Correspondance_MSSante_202611020300.txt'))).code).toBe(0);
    const second = JSON.parse((await cli('publish', '--url', url, '--token-file', join(folder, 'publish.token'), '--json')).out);
    expect(second).toEqual({ sinceRun: 2, uptoRun: 3, mailboxes: 1, pages: 1 });
    const moved = await (await get('/directory/search?q=martin%20pessac')).json() as { entries: unknown[] };
    expect(moved.entries).toHaveLength(1);
    expect(((await (await get('/directory/search?q=martin%20talence')).json()) as { entries: unknown[] }).entries).toEqual([]);
    // Nothing changed since: an empty publication.
    expect(JSON.parse((await cli('publish', '--url', url, '--token-file', join(folder, 'publish.token'), '--json')).out)).toMatchObject({ sinceRun: 3, uptoRun: 3, mailboxes: 0 });
  }, 60_000);

  it('keeps readers and the publisher apart, and serves no import or export on Workers', async () => {
    expect((await get('/directory/search?q=dupont', 'wrong')).status).toBe(401);
    expect((await get('/directory/search?q=dupont', PUBLISH)).status).toBe(401);
    expect((await get('/directory/publish', READ)).status).toBe(401);
    const forged = await fetch(url + '/directory/publish', { method: 'POST', headers: { authorization: `Bearer ${READ}` }, body: '{"runs":[],"mailboxes":[]}' });
    expect(forged.status).toBe(401);
    expect((await fetch(url + '/directory/sync/national', { method: 'POST', headers: { authorization: `Bearer ${READ}` }, body: 'x' })).status).toBe(404);
    expect((await get('/directory/export/interop')).status).toBe(404);
    const bad = await fetch(url + '/directory/publish', { method: 'POST', headers: { authorization: `Bearer ${PUBLISH}` }, body: '{"mailboxes":[{"id":-1}]}' });
    expect(bad.status).toBe(400);
    const bad2 = await cli('publish', '--url', url, '--token-file', join(folder, 'missing.token'));
    expect(bad2.code).toBe(1);
  });
});
