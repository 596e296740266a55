import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Hono } from 'hono';
import { directoryRoutes } from '../../app/http/directory-routes.js';
import { SqliteDirectoryStore } from '../../storage/sqlite/directory-store.js';
import { decodeLatin1 } from '../../directory/latin1.js';
import { tempDirectory, nationalText, SAMPLE_LINES, legacyBytes } from './helpers.js';

const TOKEN = 'test-token-directory';
const t = tempDirectory();
const app = new Hono();
app.route('/directory', directoryRoutes(new SqliteDirectoryStore(t.dir), TOKEN));
const auth = { Authorization: `Bearer ${TOKEN}` };

afterAll(() => t.cleanup());

describe('directory HTTP API', () => {
  it('refuses every route without the bearer token', async () => {
    for (const [method, path] of [
      ['GET', '/directory/search?q=dupont'],
      ['GET', '/directory/resolve?address=x@interop.lnp.test'],
      ['POST', '/directory/sync/national'],
      ['GET', '/directory/stats'],
      ['GET', '/directory/export/interop'],
    ]) {
      const res = await app.request(path, { method });
      expect(res.status, path).toBe(401);
      const wrong = await app.request(path, { method, headers: { Authorization: 'Bearer nope' } });
      expect(wrong.status, path).toBe(401);
    }
  });

  beforeAll(async () => {
    const res = await app.request('/directory/sync/national?fileName=Extraction_Correspondance_MSSante_202611010300.txt', {
      method: 'POST',
      headers: auth,
      body: nationalText(SAMPLE_LINES.slice(1)),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ inserted: 4, source: 'national' });
  });

  it('uploads a legacy annuaire and resolves both ways', async () => {
    const up = await app.request('/directory/sync/legacy?fileName=annuaire-20261101.csv', {
      method: 'POST',
      headers: auth,
      body: legacyBytes(['dr.alice.martin@medical33.lnp.test;MARTIN;Alice;Médecin;;10003000001;;;33000;BORDEAUX;2026;S']) as unknown as BodyInit,
    });
    expect(await up.json()).toMatchObject({ inserted: 1 });
    const r1 = await app.request('/directory/resolve?address=jean.dupont.med@interop.lnp.test', { headers: auth });
    expect(await r1.json()).toMatchObject({
      network: 'mssante', address: 'jean.dupont@medecin.mssante.fr', status: 'active',
      confidence: { source: 'national', lastSeen: { run: expect.any(Number), importedAt: expect.any(Number) }, conflicts: [] },
    });
    const r2 = await app.request('/directory/resolve?address=dr.alice.martin@passerelle.mssante.test', { headers: auth });
    expect(await r2.json()).toMatchObject({ network: 'legacy', status: 'suspended', confidence: { source: 'legacy', lastSeen: { fileDate: '20261101' } } });
    expect((await app.request('/directory/resolve?address=nobody@interop.lnp.test', { headers: auth })).status).toBe(404);
  });

  it('searches, reports stats and refuses a malformed upload', async () => {
    const s = (await (await app.request('/directory/search?q=roux', { headers: auth })).json()) as {
      entries: Array<{ partyKey: string; mailboxes: Array<{ confidence: { source: string; conflicts: unknown[] } }> }>;
    };
    expect(s.entries[0].partyKey).toBe('rpps:10202020202');
    expect(s.entries[0].mailboxes[0].confidence).toMatchObject({ source: 'national', conflicts: [] });
    const stats = (await (await app.request('/directory/stats', { headers: auth })).json()) as { mailboxes: Record<string, { total: number }> };
    expect(stats.mailboxes.mssante.total).toBe(4);
    const bad = await app.request('/directory/sync/national', { method: 'POST', headers: auth, body: 'not|a|header|\n' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/header/);
    const stale = await app.request('/directory/sync/national?fileName=Extraction_Correspondance_MSSante_202501010300.txt', {
      method: 'POST',
      headers: auth,
      body: nationalText(SAMPLE_LINES.slice(1)),
    });
    expect(stale.status).toBe(409);
  });

  it('exports, then gives differences after an acknowledgement', async () => {
    const full = await app.request('/directory/export/interop?mode=full', { headers: auth });
    expect(full.headers.get('content-type')).toContain('ISO-8859-1');
    const text = decodeLatin1(new Uint8Array(await full.arrayBuffer()));
    expect(text.split('\r\n')).toHaveLength(6);
    const upto = Number(full.headers.get('x-export-upto-run'));
    const ack = await app.request('/directory/export/interop/ack', { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ uptoRun: upto, count: 4 }) });
    expect(ack.status).toBe(200);
    const diff = await app.request('/directory/export/interop?mode=diff', { headers: auth });
    expect(diff.headers.get('x-export-count')).toBe('0');
    const op = await app.request('/directory/export/operator', { headers: auth });
    expect(((await op.json()) as { entry: unknown[] }).entry).toHaveLength(1);
  });
});
