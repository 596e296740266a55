/**
 * The web console in chromium on a started gateway carrying live traffic (issue 14): letters
 * sent by a laboratory through the legacy relay are delivered to the national peer, and the
 * dashboard, reloaded, shows them; the message is found in the list and its timeline shows its
 * stages up to the hand-over; a letter sealed with keys the gateway does not hold yet (rotated
 * on the legacy network) is quarantined, the operator installs the key files (the gateway takes
 * them while running) and releases it from the console after confirming: it is delivered, and
 * its timeline names the operator. axe-core on each page; screenshots in var/console-screenshots/.
 *
 * Skipped when no chromium is installed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startLegacyWorld, type LegacyWorld } from '../support/legacy-world.js';
import { submitToRelay } from '../simulators/legacy-relay.js';
import { addToken } from '../../app/node/api-tokens.js';
import { loadKeyFolder, writeTestKeyFolder } from '../../adapters/legacy/key-folder.js';
import { sealLnpMail } from '../../adapters/legacy/lnp-codec.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = join(process.cwd(), 'var', 'console-screenshots');

async function check(page: Page, name: string) {
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () => (await (window as any).axe.run()).violations
    .filter((v: any) => v.impact === 'serious' || v.impact === 'critical').map((v: any) => `${v.id}: ${v.help}`));
  expect(found, `${name}: accessibility`).toEqual([]);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const waitFor = async (cond: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.skipIf(!CHROMIUM)('the console on a gateway carrying traffic, in chromium', () => {
  let w: LegacyWorld;
  let browser: Browser;
  let operator = '';
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-console-live-'));
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const tokensFile = join(dir, 'api-tokens');
    operator = await addToken(tokensFile, 'astreinte', 'operator');
    w = await startLegacyWorld({ http: { port: 0, tokensFile } });
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the letters that went through, their timeline, and a quarantined message released and delivered', async () => {
    const base = `http://127.0.0.1:${w.gw.ports.http}`;
    const context = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${base}/console`);
    await page.getByLabel('Jeton d\'accès (API d\'administration)').fill(operator);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(`${base}/console`);
    const flows = async () => (await page.textContent('#flow + table'))!;
    expect(await flows()).toContain('aucun');

    // Live traffic: two letters from a laboratory, through the relay, to a national mailbox.
    for (const subject of ['Compte rendu 1', 'Compte rendu 2']) {
      await submitToRelay(w.relay, { local: 'labo.bio33', password: 'pw-labo', zone: 'medical33', to: ['jean.dupont.med@interop.lnp.test'], text: 'Résultats joints.\r\n', subject });
    }
    await w.peer.waitFor(2);
    await waitFor(() => w.gw.gateway.stats.delivered >= 2);
    await page.reload();
    expect(await flows()).toMatch(/LNP \(réseau historique\)\s*2/);
    // The charts (uPlot, from the installation) draw under the console's own strict CSP (a
    // context that applies it: the other one bypasses it to inject axe), with no violation.
    const strict = await browser.newContext({ locale: 'fr-FR' });
    await strict.addCookies(await context.cookies());
    const sp = await strict.newPage();
    const violations: string[] = [];
    sp.on('console', (m) => { if (m.type() === 'error') violations.push(m.text()); });
    await sp.goto(`${base}/console`);
    await sp.waitForSelector('#chart-flow[data-drawn="1"] canvas');
    expect(await sp.locator('#chart-latency canvas').count()).toBeGreaterThan(0);
    expect(violations).toEqual([]);
    await sp.screenshot({ path: join(SHOTS, 'direct-graphiques.png'), fullPage: true });
    await strict.close();
    expect(await page.textContent('#hist ~ table')).toContain('LNP → MSSanté');
    await check(page, 'direct-tableau-de-bord');

    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await check(page, 'direct-messages');
    const first = page.locator('main table tbody tr td a').first();
    await first.click();
    const timeline = (await page.textContent('.timeline'))!;
    expect(timeline).toContain('open');
    expect(timeline).toMatch(/handover|remis|delivered/);
    expect(await page.textContent('main')).not.toContain('Compte rendu');
    await check(page, 'direct-chronologie');

    // A letter sealed with this year's keys as rotated on the legacy network, which the gateway
    // does not hold yet: it cannot be opened and is quarantined. The operator installs the new
    // key files (the gateway reads its folder again: `legacy.keyRescan`, here at once), then
    // releases the message from the console: it is opened and delivered.
    const year = new Date().getUTCFullYear();
    const rotated = join(dir, 'keys-rotated');
    const names = await writeTestKeyFolder(rotated, ['passerelle'], [year]);
    const { store: newKeys } = await loadKeyFolder(rotated);
    const { raw } = await sealLnpMail(newKeys, {
      holder: 'passerelle', year, from: 'dr.alice.martin@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'], cc: [], subject: 'Compte rendu 3',
      messageId: '<rotated-1@medical33.lnp.test>', date: new Date(), text: 'Lettre scellée avec les nouvelles clés.\r\n', attachments: [], transit: 'relay1',
    });
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: w.gw.ports.legacy, secure: false, ignoreTLS: true, logger: false });
    await t.sendMail({ envelope: { from: 'dr.alice.martin@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'] }, raw: Buffer.from(raw) }).finally(() => t.close());
    await waitFor(() => w.gw.gateway.stats.quarantined >= 1);
    for (const name of names) copyFileSync(join(rotated, name), join(w.config.legacy.keyDir, name));
    expect(await w.gw.reloadKeys()).toEqual([...names].sort());
    await page.getByRole('link', { name: 'Quarantaine' }).click();
    expect(await page.textContent('main')).toContain('open');
    const row = page.locator('input[name="ids"]').first();
    const id = (await row.getAttribute('value'))!;
    await row.check();
    await page.getByRole('button', { name: 'Libérer la sélection' }).click();
    await page.getByRole('button', { name: /Confirmer/ }).click();
    expect(await page.textContent('[role=status]')).toContain('Libéré(s) : 1');
    await w.peer.waitFor(3);
    await waitFor(async () => (await w.gw.store.message(id))?.state === 'done');
    await page.goto(`${base}/console/messages/${id}`);
    const released = (await page.textContent('.timeline'))!;
    expect(released).toContain('astreinte');
    expect(released).toMatch(/deliver\s+delivered to mssante/);
    expect(await page.textContent('main')).toContain('terminé');
    await check(page, 'direct-liberation');
    await context.close();
  }, 60_000);
});
