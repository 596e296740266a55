/**
 * The web console (issue 14) over the real admin API and a real SQLite store, through HTTP
 * requests (the browser walk is test/http/console-browser.test.ts): login with a token, the
 * session cookie's flags and expiry, the CSP, CSRF refused, a reader cannot release, subjects
 * masked until an audited reveal, bulk release with a confirmation page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { adminApi } from '../../app/http/api/admin-api.js';
import { consoleApp, SESSION_POLICY } from '../../app/http/console/console-app.js';
import { newToken, type ApiToken } from '../../app/http/api/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'passerelle-console-'));
const T0 = Date.parse('2026-12-01T08:00:00Z');
let clock = T0 + 60_000;
let store: SqliteStore;
let tokens: ApiToken[];
let reader: string;
let operator: string;
const app = new Hono();

const raw = (subject: string) => new TextEncoder().encode(
  `From: "Laboratoire Bio" <labo@medical33.lnp.test>\r\nTo: "Dr Jean Dupont" <jean.dupont@medecin.mssante.fr>\r\nSubject: ${subject}\r\n\r\nbody\r\n`);

async function quarantined(subject: string): Promise<string> {
  const { id } = await store.accept({ source: 'legacy', mailFrom: 'labo@medical33.lnp.test', recipients: ['jean.dupont@medecin.mssante.fr'], messageId: `<q-${Math.random().toString(36).slice(2)}@x>`, raw: raw(subject) }, T0);
  await store.quarantine(id, { stage: 'open', reply: '550 5.6.0 unreadable', reason: '550 5.6.0 unreadable (rule)' }, T0 + 1);
  return id;
}

async function login(token: string): Promise<string> {
  const res = await app.request('/console/login', { method: 'POST', body: new URLSearchParams({ token }) });
  expect(res.status).toBe(303);
  const cookie = res.headers.get('set-cookie')!;
  return cookie.split(';')[0]!;
}
const get = (path: string, cookie: string) => app.request(path, { headers: { Cookie: cookie } });
const post = (path: string, cookie: string, form: Record<string, string | string[]>) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of ([] as string[]).concat(v)) body.append(k, x);
  return app.request(path, { method: 'POST', headers: { Cookie: cookie, 'Sec-Fetch-Site': 'same-origin' }, body });
};
const csrfOf = (html: string) => /name="csrf" value="([0-9a-f]+)"/.exec(html)![1]!;

let refreshes = 0;
const trustStatus = {
  trustList: {
    ageSeconds: 7200, domains: 1, refreshFailing: false, generatedAt: '2026-11-30T03:00:00',
    entries: [{ domain: 'medecin.mssante.fr', description: 'Opérateur de test', operator: 'CN=mx.medecin.mssante.fr', updated: '2026-11-01' }],
  },
  crls: [{ nextUpdate: new Date(T0 + 3 * 86_400_000).toISOString() }],
  certificates: [{ role: 'gateway' as const, name: 'CN=passerelle', notBefore: new Date(T0 - 86_400_000).toISOString(), notAfter: new Date(T0 + 10 * 86_400_000).toISOString(), daysToExpiry: 10 }],
};

beforeAll(async () => {
  store = SqliteStore.open(join(dir, 'db.sqlite'));
  const r = await newToken('supervision', 'reader');
  const o = await newToken('astreinte', 'operator');
  reader = r.token;
  operator = o.token;
  tokens = [r.entry, o.entry];
  const api = adminApi({
    store, tokens: () => tokens, clock: { now: () => clock }, config: () => ({ http: { token: '[masked]' } }),
    trust: () => trustStatus, refreshTrust: async () => { refreshes++; return trustStatus; },
  });
  app.route('/', api);
  app.route('/', consoleApp({ api, clock: { now: () => clock } }));
});
afterAll(() => {
  store.closeNow();
  rmSync(dir, { recursive: true, force: true });
});

describe('the console', () => {
  it('asks for a token, refuses an unknown one, and sets an HttpOnly SameSite=Strict cookie', async () => {
    expect((await app.request('/console')).headers.get('location')).toBe('/console/login');
    const page = await app.request('/console/login');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('Jeton d\'accès');
    const bad = await app.request('/console/login', { method: 'POST', body: new URLSearchParams({ token: 'nope' }) });
    expect(bad.status).toBe(401);
    const res = await app.request('/console/login', { method: 'POST', body: new URLSearchParams({ token: reader }) });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toContain(reader);
    const dash = await get('/console', cookie.split(';')[0]!);
    expect(dash.status).toBe(200);
    expect(await dash.text()).toContain('Tableau de bord');
  });

  it('masks the subject and names until an audited reveal (a POST, nothing in the URL)', async () => {
    const id = await quarantined('Résultats de Mme Durand');
    const cookie = await login(reader);
    const html = await (await get(`/console/messages/${id}`, cookie)).text();
    expect(html).not.toContain('Durand');
    expect(html).not.toContain('Jean Dupont');
    expect(html).toContain('<em>masqué</em>');
    const refused = await post(`/console/messages/${id}/reveal`, cookie, { csrf: 'x'.repeat(64) });
    expect(refused.status).toBe(403);
    const revealed = await (await post(`/console/messages/${id}/reveal`, cookie, { csrf: csrfOf(html) })).text();
    expect(revealed).toContain('Résultats de Mme Durand');
    const trace = await store.trace(id);
    expect(trace!.events.some((e) => e.stage === 'audit' && e.detail.includes('supervision'))).toBe(true);
  });

  it('a reader sees no release button and cannot release; an operator releases after confirming', async () => {
    const id = await quarantined('Compte rendu');
    const rc = await login(reader);
    const rhtml = await (await get('/console/quarantine', rc)).text();
    expect(rhtml).not.toContain('Libérer la sélection');
    const forced = await post('/console/quarantine/apply', rc, { csrf: csrfOf(rhtml), verb: 'release', ids: [id] });
    expect(forced.status).toBe(403);
    expect((await store.message(id))!.state).toBe('quarantined');

    const oc = await login(operator);
    const ohtml = await (await get('/console/quarantine', oc)).text();
    expect(ohtml).toContain('550 5.6.0 unreadable');
    const noCsrf = await post('/console/quarantine/apply', oc, { verb: 'release', ids: [id] });
    expect(noCsrf.status).toBe(403);
    const confirm = await (await post('/console/quarantine/confirm', oc, { csrf: csrfOf(ohtml), verb: 'release', ids: [id] })).text();
    expect(confirm).toContain('Confirmer');
    expect((await store.message(id))!.state).toBe('quarantined');
    const done = await (await post('/console/quarantine/apply', oc, { csrf: csrfOf(confirm), verb: 'release', ids: [id] })).text();
    expect(done).toContain('Libéré(s) : 1');
    expect((await store.message(id))!.state).not.toBe('quarantined');
  });

  it('refuses a change from another site and ends idle sessions', async () => {
    const oc = await login(operator);
    const html = await (await get('/console/quarantine', oc)).text();
    const body = new URLSearchParams({ csrf: csrfOf(html), verb: 'drop', ids: 'x' });
    const cross = await app.request('/console/quarantine/apply', { method: 'POST', headers: { Cookie: oc, 'Sec-Fetch-Site': 'cross-site' }, body });
    expect(cross.status).toBe(403);
    clock += SESSION_POLICY.idleMs + 1;
    expect((await get('/console', oc)).headers.get('location')).toBe('/console/login');
  });

  it('lists the trust list and the certificates with their expiries; only an operator refreshes, after confirming', async () => {
    const rc = await login(reader);
    const rhtml = await (await get('/console/trust', rc)).text();
    expect(rhtml).toContain('medecin.mssante.fr');
    expect(rhtml).toContain('expire dans 10 jours');
    expect(rhtml).not.toContain('Rafraîchir maintenant');
    expect((await post('/console/trust/refresh', rc, { csrf: csrfOf(rhtml), confirm: '1' })).status).toBe(403);
    expect(refreshes).toBe(0);
    const oc = await login(operator);
    const ohtml = await (await get('/console/trust', oc)).text();
    expect(ohtml).toContain('Rafraîchir maintenant');
    expect((await post('/console/trust/refresh', oc, { csrf: csrfOf(ohtml) })).status).toBe(400);
    expect((await post('/console/trust/refresh', oc, { confirm: '1' })).status).toBe(403);
    const done = await (await post('/console/trust/refresh', oc, { csrf: csrfOf(ohtml), confirm: '1' })).text();
    expect(done).toContain('Liste de confiance rechargée.');
    expect(refreshes).toBe(1);
  });

  it('shows the configuration read-only, secrets masked, and serves its own style sheet', async () => {
    const c = await login(reader);
    const html = await (await get('/console/settings', c)).text();
    expect(html).toContain('[masked]');
    const css = await app.request('/console/assets/console.css');
    expect(css.headers.get('content-type')).toContain('text/css');
  });
});
