/**
 * The legacy side end to end over real loopback sockets: a legacy subscriber submits to the
 * relay simulator, the relay forwards to the gateway's listener, the gateway opens, routes
 * and delivers to a national operator peer; refusals at RCPT; quarantine with a notice back
 * to the sender through the relay.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import nodemailer from 'nodemailer';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { startLegacyWorld, type LegacyWorld } from '../support/legacy-world.js';
import { submitToRelay } from '../simulators/legacy-relay.js';
import { openLnpMail, sealLnpMail } from '../../adapters/legacy/lnp-codec.js';

const HPRIM = (JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/legacy-network/seal.json'), 'utf8')) as { name: string; text: string }[])
  .find((v) => v.name === 'hprim-lab-report')!.text;

async function waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

function sendDirect(w: LegacyWorld, o: { from: string; to: string[]; raw: Uint8Array | string; size?: number }) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: w.gw.ports.legacy, secure: false, ignoreTLS: true, logger: false });
  return t.sendMail({ envelope: { from: o.from, to: o.to }, raw: typeof o.raw === 'string' ? o.raw : Buffer.from(o.raw) }).finally(() => t.close());
}

describe('legacy → national, end to end', () => {
  let w: LegacyWorld;
  beforeAll(async () => {
    w = await startLegacyWorld();
  });
  afterAll(async () => {
    await w.close();
  });

  it('carries a lab report from a legacy lab to a national mailbox', async () => {
    await submitToRelay(w.relay, {
      local: 'labo.bio33', password: 'pw-labo', zone: 'medical33',
      to: ['jean.dupont.med@interop.lnp.test'], text: HPRIM, subject: 'CR biologie BX-2026-11-0042',
    });
    await w.peer.waitFor(1);
    const got = w.peer.received[0];
    expect(got.recipients).toEqual(['jean.dupont@medecin.mssante.fr']);
    expect(got.mailFrom).toBe('labo.bio33@passerelle.mssante.test');
    const mail = await simpleParser(got.raw);
    expect(mail.headers.get('x-mss-nil')).toBe('Passerelle/0.1');
    expect(mail.from?.value[0].address).toBe('labo.bio33@passerelle.mssante.test');
    // Lossless: the original HPRIM travels as an attachment, byte for byte in ISO-8859-1.
    const original = mail.attachments.find((a) => a.filename === 'compte-rendu-original.hpr');
    expect(original?.content.toString('latin1')).toBe(HPRIM);
    // Translated: the CR-BIO in IHE_XDM.ZIP, its code in X-MSS-CODECDA, the panic value (K 6.9 HH) marked.
    expect(mail.attachments.some((a) => a.filename === 'IHE_XDM.ZIP')).toBe(true);
    expect(mail.headers.get('x-mss-codecda')).toBe('11502-2');
    expect(mail.headers.get('x-mss-ins')).toBe('N');
    const head = got.raw.toString('latin1').split('\r\n\r\n')[0];
    expect(head).toMatch(/^Importance: high$/m);
    expect(head).toMatch(/^Subject: \[ALERTE RESULTAT CRITIQUE\] /m);
    expect(mail.subject).not.toMatch(/TESTPATIENT|CAMILLE/);
    // Signed (S/MIME, multipart/signed): an independent implementation verifies it.
    expect(String((mail.headers.get('content-type') as { value: string }).value)).toBe('multipart/signed');
    const dir = mkdtempSync(join(tmpdir(), 'passerelle-smime-'));
    writeFileSync(join(dir, 'm.eml'), got.raw);
    const verified = spawnSync('openssl', ['cms', '-verify', '-in', join(dir, 'm.eml'), '-CAfile', join(w.root, 'national', 'test-ca.pem'), '-purpose', 'any', '-out', join(dir, 'content')], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(verified.stderr).toMatch(/Verification successful/);
    const [relayed] = await w.relay.waitForGatewayDeliveries(1, 5000);
    expect(relayed.reply).toMatch(/^250 .*queued as [0-9A-Z]{26}/);
    const id = relayed.reply.match(/queued as ([0-9A-Z]{26})/)![1];
    const trace = (await w.gw.store.trace(id))!;
    expect(trace.message.state).toBe('done');
    expect(trace.events.map((e) => e.stage)).toEqual(expect.arrayContaining(['receive', 'open', 'route', 'seal', 'deliver']));
    // No patient identity in the trace.
    expect(JSON.stringify(trace)).not.toMatch(/TESTPATIENT|CAMILLE|2680333063123/);
  });

  it('reaches two interop recipients once each when one mail names both', async () => {
    const before = w.peer.received.length;
    await submitToRelay(w.relay, {
      local: 'cab.dupuis', password: 'pw-dupuis', zone: 'medical33',
      to: ['jean.dupont.med@interop.lnp.test', 'camille.roux.med@interop.lnp.test'], text: 'Pouvez-vous voir ce patient ?\r\n',
    });
    await w.peer.waitFor(before + 2);
    const got = w.peer.received.slice(before).flatMap((r) => r.recipients).sort();
    expect(got).toEqual(['camille.roux@medecin.mssante.fr', 'jean.dupont@medecin.mssante.fr']);
  });

  it('refuses an unknown interop recipient at RCPT with 550 5.1.1, and any other domain as a relay attempt', async () => {
    await expect(sendDirect(w, { from: 'cab.dupuis@medical33.lnp.test', to: ['who.is.this@interop.lnp.test'], raw: 'Subject: x\r\n\r\nx\r\n' }))
      .rejects.toMatchObject({ responseCode: 550, response: expect.stringContaining('5.1.1') });
    await expect(sendDirect(w, { from: 'cab.dupuis@medical33.lnp.test', to: ['someone@gmail.com'], raw: 'Subject: x\r\n\r\nx\r\n' }))
      .rejects.toMatchObject({ responseCode: 554, response: expect.stringContaining('5.7.1') });
  });

  it('enforces the size limit with 552', async () => {
    const big = 'Subject: big\r\n\r\n' + 'x'.repeat(76).concat('\r\n').repeat(Math.ceil((w.config.legacy.listen.maxSize + 10) / 78));
    await expect(sendDirect(w, { from: 'cab.dupuis@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'], raw: big }))
      .rejects.toMatchObject({ responseCode: 552 });
  });

  it('accepts a mail it cannot open, quarantines it with its reason and tells the sender through the relay', async () => {
    const info = await sendDirect(w, {
      from: 'dr.alice.martin@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'],
      raw: 'From: dr.alice.martin@medical33.lnp.test\r\nTo: jean.dupont.med@interop.lnp.test\r\nSubject: Mme TESTPATIENT\r\nMessage-ID: <broken-1@medical33.lnp.test>\r\nX-LNP-Version: 1\r\nX-LNP-Transit: relay1\r\n\r\n$LNP1\r\n#BINASCII1#\r\n00000010\r\nnot armour at all\r\n',
    });
    const id = info.response.match(/queued as ([0-9A-Z]{26})/)![1];
    const msg = await waitFor(async () => { const m = (await w.gw.store.message(id)); return m?.state === 'quarantined' ? m : null; });
    expect(msg.stage).toBe('open');
    expect(msg.reason).toMatch(/^550 5\.6\.0/);
    const inbox = await w.relay.waitForInbox('dr.alice.martin', 1, 10_000);
    const keys = w.relay.keys;
    const notice = await openLnpMail(keys, inbox[inbox.length - 1], { now: new Date(), holder: 'dr.alice.martin' });
    expect(notice.mail.subject).toMatch(/^Avis de non-remise/);
    expect(notice.mail.subject).not.toMatch(/TESTPATIENT/);
    expect(notice.text).toContain("n'a pas pu être remis");
    expect(notice.text).toContain(id);
    expect(notice.text).not.toMatch(/TESTPATIENT/);
  });

  it('never answers a notification with another notice', async () => {
    const info = await sendDirect(w, {
      from: '', to: ['jean.dupont.med@interop.lnp.test'],
      raw: 'From: relay@lnp.test\r\nTo: jean.dupont.med@interop.lnp.test\r\nSubject: bounce\r\nX-LNP-Transit: relay1\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x--\r\n',
    });
    const id = info.response.match(/queued as ([0-9A-Z]{26})/)![1];
    await waitFor(async () => (await w.gw.store.message(id))?.state === 'quarantined');
    const t = (await w.gw.store.trace(id))!;
    expect(t.events.some((e) => e.detail.includes('no notice sent'))).toBe(true);
  });

  it('refuses at DATA (550 5.7.1) a sealed mail that did not come through the relay (no X-LNP-Transit), and delivers nothing', async () => {
    const before = w.peer.received.length;
    const { raw } = await sealLnpMail(w.relay.keys, {
      holder: 'passerelle', year: new Date().getUTCFullYear(), from: 'cab.dupuis@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'], cc: [],
      subject: 'Sans relais', messageId: '<no-transit-1@medical33.lnp.test>', date: new Date(), text: 'Bonjour\r\n', attachments: [],
    });
    await expect(sendDirect(w, { from: 'cab.dupuis@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'], raw }))
      .rejects.toMatchObject({ responseCode: 550, response: expect.stringMatching(/^550 5\.7\.1 /) });
    const stored = ['received', 'opened', 'routed', 'done', 'quarantined', 'duplicate'] as const;
    expect((await Promise.all(stored.map((st) => w.gw.store.listMessages(st, 1000)))).flat().some((m) => m.messageId === '<no-transit-1@medical33.lnp.test>')).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(w.peer.received.length).toBe(before);
  });

  it('retries a national refusal on the schedule, then gives up and tells the legacy sender', async () => {
    w.peer.refuseWith = { code: 451, message: '4.3.0 busy' };
    const inboxBefore = w.relay.inbox('cab.dupuis').length;
    const relayedBefore = w.relay.gatewayDeliveries.length;
    await submitToRelay(w.relay, {
      local: 'cab.dupuis', password: 'pw-dupuis', zone: 'medical33', to: ['camille.roux.med@interop.lnp.test'], text: 'Relance\r\n',
    });
    const d = (await w.relay.waitForGatewayDeliveries(relayedBefore + 1, 5000))[relayedBefore];
    const id = d.reply.match(/queued as ([0-9A-Z]{26})/)![1];
    await waitFor(async () => ((await w.gw.store.deliveries(id))[0]?.attempts ?? 0) >= 2, 5000);
    const inbox = await w.relay.waitForInbox('cab.dupuis', inboxBefore + 1, 10_000);
    w.peer.refuseWith = null;
    const row = (await w.gw.store.deliveries(id))[0];
    expect(row.state).toBe('failed');
    expect(row.lastError).toMatch(/4\.4\.7/);
    const notice = await openLnpMail(w.relay.keys, inbox[inbox.length - 1], { now: new Date(), holder: 'cab.dupuis' });
    expect(notice.text).toContain('camille.roux.med@interop.lnp.test');
  });

  it('a national address without a route fails permanently and the sender is told', async () => {
    const inboxBefore = w.relay.inbox('labo.bio33').length;
    await submitToRelay(w.relay, {
      local: 'labo.bio33', password: 'pw-labo', zone: 'medical33', to: ['nobody.home@interop.lnp.test'], text: 'Test\r\n',
    });
    await w.relay.waitForInbox('labo.bio33', inboxBefore + 1, 10_000);
  });
});

describe('legacy listener policies', () => {
  it('refuses a client that is not an allowed relay', async () => {
    const w = await startLegacyWorld({ legacy: { listen: { port: 0, allowedRelays: ['192.0.2.1'] } } });
    try {
      await expect(sendDirect(w, { from: 'a@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'], raw: 'Subject: x\r\n\r\nx\r\n' }))
        .rejects.toMatchObject({ responseCode: 554 });
    } finally {
      await w.close();
    }
  });

  it('offers STARTTLS and accepts mail over it', async () => {
    const w = await startLegacyWorld();
    try {
      const year = new Date().getUTCFullYear();
      const { raw } = await sealLnpMail(w.relay.keys, {
        holder: 'passerelle', year, from: 'cab.dupuis@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'], cc: [],
        subject: 'Test TLS', messageId: '<tls-1@medical33.lnp.test>', date: new Date(), text: 'Bonjour\r\n', attachments: [],
        extraHeaders: { 'X-LNP-Transit': 'relay1' },
      });
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: w.gw.ports.legacy, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, logger: false });
      const info = await t.sendMail({ envelope: { from: 'cab.dupuis@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'] }, raw: Buffer.from(raw) });
      t.close();
      expect(info.response).toMatch(/^250/);
      await w.peer.waitFor(1);
    } finally {
      await w.close();
    }
  });
});
