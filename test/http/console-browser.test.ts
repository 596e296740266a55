/**
 * The web console in a real browser (issue 14): Debian's `chromium` driven by playwright-core
 * against the console and the admin API served over HTTP on loopback, on a real SQLite store.
 * Logs in, walks every page (axe-core on each: no serious or critical violation; a screenshot
 * of each written to var/console-screenshots/), opens a message's timeline, reveals its subject
 * (audited), releases a quarantined message after confirming, refreshes the trust list from
 * the trust page, and checks that a reader's
 * session offers no release and is refused one.
 *
 * Skipped when no chromium is installed (`.ci/run` installs it from .ci/apt-packages.txt).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { adminApi } from '../../app/http/api/admin-api.js';
import { consoleApp } from '../../app/http/console/console-app.js';
import { newToken } from '../../app/http/api/tokens.js';
import { readyRoutes } from '../../app/http/observability-routes.js';
import { checkReadiness } from '../../app/node/readiness.js';
import { directoryRoutes } from '../../app/http/directory-routes.js';
import { SqliteDirectoryStore } from '../../storage/sqlite/directory-store.js';
import { tempDirectory, SAMPLE, SAMPLE_LINES } from '../directory/helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = join(process.cwd(), 'var', 'console-screenshots');

const dir = mkdtempSync(join(tmpdir(), 'passerelle-console-browser-'));
let store: SqliteStore;
let server: ServerType;
let base = '';
let browser: Browser;
let reader = '';
let operator = '';
const book = tempDirectory();

async function quarantined(subject: string): Promise<string> {
  const raw = new TextEncoder().encode(`From: "Laboratoire Bio" <labo@medical33.lnp.test>\r\nTo: "Dr Jean Dupont" <jean.dupont@medecin.mssante.fr>\r\nSubject: ${subject}\r\n\r\nbody\r\n`);
  const { id } = await store.accept({ source: 'legacy', mailFrom: 'labo@medical33.lnp.test', recipients: ['jean.dupont@medecin.mssante.fr'], messageId: `<b-${Math.random().toString(36).slice(2)}@x>`, raw }, Date.now());
  await store.quarantine(id, { stage: 'open', reply: '550 5.6.0 unreadable', reason: '550 5.6.0 unreadable (rule)' }, Date.now());
  return id;
}

/** axe-core on the page (injected past the CSP by the test only): serious and critical violations. */
async function axe(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () => (await (window as any).axe.run()).violations
    .filter((v: any) => v.impact === 'serious' || v.impact === 'critical').map((v: any) => `${v.id}: ${v.help}`));
  return found as string[];
}

async function check(page: Page, name: string) {
  expect(await axe(page), `${name}: accessibility`).toEqual([]);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function login(page: Page, token: string) {
  await page.goto(`${base}/console`);
  await page.getByLabel('Jeton d\'accès (API d\'administration)').fill(token);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${base}/console`);
}

describe.skipIf(!CHROMIUM)('the console in chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    store = SqliteStore.open(join(dir, 'db.sqlite'));
    const r = await newToken('supervision', 'reader');
    const o = await newToken('astreinte', 'operator');
    reader = r.token;
    operator = o.token;
    const trust = {
      trustList: {
        ageSeconds: 7 * 3600, domains: 1, refreshFailing: false, generatedAt: '2026-12-01T03:00:00',
        entries: [{ domain: 'medecin.mssante.fr', description: 'Opérateur de test', operator: 'CN=mx.medecin.mssante.fr,O=Test', updated: '2026-11-01' }],
      },
      crls: [{ nextUpdate: new Date(Date.now() + 5 * 86_400_000).toISOString() }],
      certificates: [{ role: 'gateway' as const, name: 'CN=passerelle-test.mssante.fr', notBefore: new Date(Date.now() - 86_400_000).toISOString(), notAfter: new Date(Date.now() + 20 * 86_400_000).toISOString(), daysToExpiry: 20 }],
    };
    const api = adminApi({ store, tokens: () => [r.entry, o.entry], config: () => ({ http: { token: '[masked]' }, dataDir: '/var/lib/passerelle' }),
      trust: () => trust, refreshTrust: async () => trust,
      mounts: { '/directory': directoryRoutes(new SqliteDirectoryStore(book.dir), { mountedBehindAuth: true }) } });
    const app = new Hono();
    app.route('/', api);
    // /ready from the real readiness check on this store (a trust list 7 h old: a warning-free, ready node).
    app.route('/ready', readyRoutes(() => checkReadiness({
      summary: () => store.summary(), listeners: () => ({ legacy: true, national: true }), deferralsLast5m: () => 0,
      trustList: () => ({ ageMs: 7 * 3600_000, domains: 3, failing: false }),
    })));
    app.route('/', consoleApp({ api, probe: app }));
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
        base = `http://127.0.0.1:${info.port}`;
        resolve(s);
      });
    });
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    store?.closeNow();
    book.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an operator logs in, walks every page, opens a timeline, reveals and releases', async () => {
    const id = await quarantined('Résultats de Mme Durand');
    const context = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
    const page = await context.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (e) => scriptErrors.push(e.message));
    await page.goto(`${base}/console/login`);
    await check(page, 'connexion');
    await login(page, operator);
    const cookie = (await context.cookies()).find((c) => c.name === 'passerelle_console')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Strict');
    expect(await page.textContent('h1')).toBe('Tableau de bord');
    expect(await page.textContent('main')).toContain('Messages en quarantaine');
    expect(await page.textContent('#ready + p')).toContain('Prêt');
    await check(page, 'tableau-de-bord');

    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await page.selectOption('#state', 'quarantined');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    expect(page.url()).not.toContain('Durand');
    await check(page, 'messages');
    await page.getByRole('link', { name: id }).click();
    expect(await page.textContent('main')).not.toContain('Durand');
    expect(await page.textContent('.timeline')).toContain('open');
    await check(page, 'message-chronologie');
    await page.getByRole('button', { name: /Révéler/ }).click();
    expect(await page.textContent('main')).toContain('Résultats de Mme Durand');
    expect(decodeURIComponent(page.url())).not.toContain('Durand');

    await page.getByRole('link', { name: 'Quarantaine' }).click();
    await check(page, 'quarantaine');
    await page.getByLabel(`Sélectionner ${id}`).check();
    await page.getByRole('button', { name: 'Libérer la sélection' }).click();
    await check(page, 'quarantaine-confirmation');
    expect((await store.message(id))!.state).toBe('quarantined');
    await page.getByRole('button', { name: /Confirmer/ }).click();
    expect(await page.textContent('[role=status]')).toContain('Libéré(s) : 1');
    expect((await store.message(id))!.state).not.toBe('quarantined');

    await page.getByRole('link', { name: 'Confiance et certificats' }).click();
    expect(await page.textContent('main')).toContain('expire dans 20 jours');
    await check(page, 'confiance');
    await page.getByLabel('Je confirme le rechargement de la liste de confiance').check();
    await page.getByRole('button', { name: 'Rafraîchir maintenant' }).click();
    expect(await page.textContent('[role=status]')).toContain('Liste de confiance rechargée.');
    await check(page, 'confiance-rafraichie');

    await page.getByRole('link', { name: 'Paramètres' }).click();
    expect(await page.textContent('pre')).toContain('[masked]');
    await check(page, 'parametres');
    expect(scriptErrors).toEqual([]);
    await context.close();
  }, 45_000);

  it('an operator uploads a national extraction, sees its counts, then finds an entry', async () => {
    const context = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
    const page = await context.newPage();
    await login(page, operator);
    await page.getByRole('link', { name: 'Annuaire' }).click();
    await check(page, 'annuaire');
    await page.selectOption('#dsource', 'national');
    await page.setInputFiles('#dfile', { name: 'Extraction_Correspondance_MSSante_202611010300.txt', mimeType: 'text/plain', buffer: Buffer.from(SAMPLE) });
    // Sent by the page's upload script (XMLHttpRequest, its progress bar driven by upload events).
    const sent = page.waitForRequest((r) => r.url().endsWith('/console/directory/upload') && r.method() === 'POST');
    expect(await page.locator('#upload-progress').count()).toBe(1);
    await page.getByRole('button', { name: 'Importer' }).click();
    expect((await sent).resourceType()).toBe('xhr');
    await page.waitForSelector('p.notice[role=status]');
    const status = await page.textContent('p.notice[role=status]');
    const added = SAMPLE_LINES.length - 1;
    expect(status).toMatch(/Import n° \d+/);
    expect(status).toContain(`${added} ajoutées`);
    expect(await page.textContent('tbody')).toContain('MSSanté');
    await check(page, 'annuaire-import');
    const someAddress = /[^|\s]+@[^|\s]+/.exec(SAMPLE_LINES[1]!)![0];
    await page.getByLabel('Nom, identifiant ou adresse').fill(someAddress.split('@')[0]!.split('.')[0]!);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    expect(await page.textContent('#res + table')).toContain(someAddress);
    expect(page.url()).toBe(`${base}/console/directory/search`);
    await check(page, 'annuaire-recherche');
    await context.close();
  }, 30_000);

  it('a reader is offered no release and is refused one', async () => {
    const id = await quarantined('Compte rendu');
    const context = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
    const page = await context.newPage();
    await login(page, reader);
    await page.goto(`${base}/console/quarantine`);
    expect(await page.getByRole('button', { name: 'Libérer la sélection' }).count()).toBe(0);
    const csrf = await page.getAttribute('input[name=csrf]', 'value');
    // A forged form sent from the reader's own session: the API's role check stops it.
    const res = await page.request.post(`${base}/console/quarantine/apply`, { form: { csrf: csrf!, verb: 'release', ids: id } });
    expect(res.status()).toBe(403);
    expect((await store.message(id))!.state).toBe('quarantined');
    await context.close();
  }, 30_000);
});
