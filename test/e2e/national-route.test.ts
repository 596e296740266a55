/**
 * Both routes over mutual TLS with the national rules in force: a national operator (test
 * PKI certificate, on the trust list) delivers to the gateway's national listener, the
 * gateway maps and seals for the legacy network and submits to the relay; and the gateway
 * delivers legacy mail to a national operator over mutual TLS. The gateway loads its
 * identity from PKCS#12, its anchors and its trust list from files.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { simpleParser } from 'mailparser';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestPki } from '../pki/test-pki.js';
import { trustListXml } from '../mssante/fixtures.js';
import type { OperatorPeer } from '../mssante/operator-peer.js';
import type { LegacyWorld } from '../support/legacy-world.js';
import { submitToRelay } from '../simulators/legacy-relay.js';
import { OutboundClient } from '../../adapters/mssante/smtp/outbound-client.js';
import { mssanteTlsOptions } from '../../adapters/mssante/tls/tls-options.js';
import { loadAnchorsFile, loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { parseTrustList } from '../../adapters/mssante/trust-list/trust-list.js';
import { openLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { writeMime } from '../../lib/mime/mime-writer.js';
import { hprimToNational } from '../../mappings/bridge/hprim-to-national.js';
import { readHprim } from '../../mappings/hprim/read.js';
import { buildDsn } from '../../adapters/mssante/dsn.js';
import { startNationalWorld, type NationalWorld, GATEWAY_DOMAIN } from '../support/national-side.js';

const HPRIM = (JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/legacy-network/seal.json'), 'utf8')) as { name: string; text: string }[])
  .find((v) => v.name === 'hprim-lab-report')!.text;

describe('national ⇄ legacy over mutual TLS', () => {
  let pki: TestPki;
  let operator: OperatorPeer;
  let w: LegacyWorld;
  let client: OutboundClient;

  let world: NationalWorld | undefined;
  beforeAll(async () => {
    world = await startNationalWorld({ serves: (a) => a.endsWith('@medecin.mssante.fr') });
    ({ pki, operator, w, client } = world);
  }, 120_000);
  afterAll(() => world?.close());

  const nationalMail = (o: { to: string; subject: string; text: string; attachments?: { filename: string; contentType: string; data: Uint8Array }[]; headers?: Record<string, string> }) => ({
    target: 'mssante' as const,
    mailFrom: 'jean.dupont@medecin.mssante.fr',
    recipients: [o.to],
    raw: writeMime({
      headers: { From: 'Dr Jean Dupont <jean.dupont@medecin.mssante.fr>', To: o.to, Subject: o.subject, 'Message-ID': `<${crypto.randomUUID()}@medecin.mssante.fr>`, Date: new Date().toUTCString(), ...o.headers },
      text: o.text, attachments: o.attachments ?? [],
    }),
  });

  it('a national letter reaches the legacy subscriber, sealed, with a neutral subject and the sender\'s interop address', async () => {
    const before = w.relay.inbox('dr.alice.martin').length;
    const [outcome] = await client.deliver(nationalMail({
      to: `dr.alice.martin@${GATEWAY_DOMAIN}`, subject: 'Mme TESTPATIENT Camille : avis', text: 'Chère consœur,\nmerci de revoir cette patiente.\n',
      attachments: [{ filename: 'courrier.pdf', contentType: 'application/pdf', data: new TextEncoder().encode('%PDF-1.4\n%%EOF\n') }],
    }));
    expect(outcome.result).toBe('delivered');
    const inbox = await w.relay.waitForInbox('dr.alice.martin', before + 1, 10_000);
    const got = await openLnpMail(w.relay.keys, inbox[inbox.length - 1], { now: new Date(), holder: 'dr.alice.martin' });
    expect(got.mail.from).toBe('jean.dupont.med@interop.lnp.test');
    expect(got.mail.subject).not.toMatch(/TESTPATIENT|Camille/);
    expect(got.mail.subject).toMatch(/^Message sécurisé - réf\. /);
    expect(got.text).toContain('merci de revoir cette patiente');
    expect(got.text).toContain('consoeur'); // transliterated to ISO-8859-1, and recorded in the trace
    expect(got.attachments.map((a) => a.name)).toEqual(['courrier.pdf']);
    expect(got.dests).toEqual(['dr.alice.martin']);
    expect(w.relay.inbox('dr.alice.martin').length).toBe(before + 1);
  });

  it('a national CR-BIO in IHE_XDM.ZIP arrives as HPRIM with every result and flag', async () => {
    const national = await hprimToNational(HPRIM);
    const before = w.relay.inbox('dr.alice.martin').length;
    const [outcome] = await client.deliver(nationalMail({
      to: `dr.alice.martin@${GATEWAY_DOMAIN}`, subject: 'CR biologie', text: 'Compte rendu joint.\n',
      attachments: [{ filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: national.xdm! }],
    }));
    expect(outcome.result).toBe('delivered');
    const inbox = await w.relay.waitForInbox('dr.alice.martin', before + 1, 10_000);
    const got = await openLnpMail(w.relay.keys, inbox[inbox.length - 1], { now: new Date(), holder: 'dr.alice.martin' });
    const back = readHprim(got.text).report!;
    const original = readHprim(HPRIM).report!;
    expect(back.results.map((r) => [r.code, r.value, r.unit, r.flag, r.status])).toEqual(original.results.map((r) => [r.code, r.value, r.unit, r.flag, r.status]));
    expect(got.mail.subject).toMatch(/URGENT/); // the potassium at 6.9 is a panic value
    expect(got.attachments.some((a) => a.name === 'IHE_XDM.ZIP')).toBe(true); // lossless: the original travels too
  });

  const waitOperator = async (pred: (raw: string) => boolean, before: number) => {
    for (let i = 0; i < 200; i++) {
      const m = operator.received.slice(before).find((r) => pred(r.raw.toString('latin1')));
      if (m) return m;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('operator received nothing matching');
  };

  it('sends the MDN the national sender asked for once the message is handed to the legacy network', async () => {
    const before = operator.received.length;
    const [outcome] = await client.deliver(nationalMail({
      to: `dr.alice.martin@${GATEWAY_DOMAIN}`, subject: 'Avis', text: 'Merci.\n',
      headers: { 'Disposition-Notification-To': 'jean.dupont@medecin.mssante.fr' },
    }));
    expect(outcome.result).toBe('delivered');
    const mdn = await waitOperator((raw) => /report-type="?disposition-notification/i.test(raw), before);
    expect(mdn.from).toBe('');
    expect(mdn.to).toEqual(['jean.dupont@medecin.mssante.fr']);
    const text = mdn.raw.toString('latin1');
    expect(text).toMatch(/Disposition: automatic-action\/MDN-sent-automatically; processed\r\n/);
    // The national guide's fields and parts: Original-Recipient, Original-Message-ID, the original as message/rfc822.
    expect(text).toMatch(new RegExp(`Original-Recipient: rfc822;dr\\.alice\\.martin@${GATEWAY_DOMAIN.replace(/\./g, '\\.')}\r\n`));
    expect(text).toMatch(/Original-Message-ID: <[^>]+@medecin\.mssante\.fr>\r\n/);
    expect(text).toMatch(/Content-Type: message\/rfc822\r\n\r\nFrom: Dr Jean Dupont/);
  });

  it('answers a legacy-side refusal with an MDN processed/Error carrying the guide\'s code, beside the DSN', async () => {
    const before = operator.received.length;
    w.relay.refuseWith = { code: 554, message: '5.7.1 refused by the relay' };
    try {
      await client.deliver(nationalMail({
        to: `cab.dupuis@${GATEWAY_DOMAIN}`, subject: 'Avis', text: 'Test.\n',
        headers: { 'Disposition-Notification-To': 'jean.dupont@medecin.mssante.fr' },
      }));
      const mdn = await waitOperator((raw) => /report-type="?disposition-notification/i.test(raw), before);
      const text = mdn.raw.toString('latin1');
      expect(mdn.to).toEqual(['jean.dupont@medecin.mssante.fr']);
      expect(text).toMatch(/Disposition: automatic-action\/MDN-sent-automatically; processed\/Error: 906\^Erreur 'Autre'\r\n/);
      expect(text).toMatch(/Error: 906\^Erreur 'Autre'; 554 5\.7\.1 refused by the relay\r\n/);
      const parsed = await simpleParser(mdn.raw);
      expect(parsed.subject).toBe('[KO Intégration système !][906] Accusé de traitement');
      await waitOperator((raw) => /report-type="?delivery-status/i.test(raw), before);
    } finally {
      w.relay.refuseWith = null;
    }
  });

  it('a quarantined message that asked for one gets a single MDN processed/Error, none again once released', async () => {
    const mail = nationalMail({ to: `dr.alice.martin@${GATEWAY_DOMAIN}`, subject: 'Avis', text: 'Message en attente.\n', headers: { 'Disposition-Notification-To': 'inconnu@medecin.mssante.fr' } });
    const raw = new TextDecoder().decode(mail.raw).replace(/jean\.dupont@medecin\.mssante\.fr/g, 'inconnu@medecin.mssante.fr');
    const before = operator.received.length;
    const [outcome] = await client.deliver({ ...mail, mailFrom: 'inconnu@medecin.mssante.fr', raw: new TextEncoder().encode(raw) });
    const id = outcome.reply.match(/queued as ([0-9A-Z]{26})/)![1];
    const mdn = await waitOperator((r) => /report-type="?disposition-notification/i.test(r) && r.includes('inconnu@medecin.mssante.fr'), before);
    expect((await w.gw.store.message(id))).toMatchObject({ state: 'quarantined', stage: 'route' });
    expect(mdn.to).toEqual(['inconnu@medecin.mssante.fr']);
    expect(mdn.raw.toString('latin1')).toMatch(/processed\/Error: 906\^Erreur 'Autre'\r\nError: 906\^Erreur 'Autre'; 553 5\.1\.7 Sender address rejected/);

    w.gw.staticResolver.add('inconnu.med@interop.lnp.test', 'inconnu@medecin.mssante.fr');
    const inboxBefore = w.relay.inbox('dr.alice.martin').length;
    const cli = (await import('../../app/cli/commands/quarantine.js')).default;
    const io = { out: () => {}, err: () => {}, env: {} };
    expect(await cli.run(['release', id, '--database', w.config.database], io)).toBe(0);
    await w.relay.waitForInbox('dr.alice.martin', inboxBefore + 1, 10_000);
    for (let i = 0; i < 100 && (await w.gw.store.message(id))?.state !== 'done'; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    const mdns = operator.received.slice(before).filter((m) => /report-type="?disposition-notification/i.test(m.raw.toString('latin1')) && m.to.includes('inconnu@medecin.mssante.fr'));
    expect(mdns).toHaveLength(1);
  });

  it('answers a legacy-side refusal with an RFC 3464 DSN to the national sender', async () => {
    const before = operator.received.length;
    w.relay.refuseWith = { code: 554, message: '5.7.1 refused by the relay' };
    try {
      await client.deliver(nationalMail({ to: `cab.dupuis@${GATEWAY_DOMAIN}`, subject: 'Avis', text: 'Test.\n' }));
      const dsn = await waitOperator((raw) => /report-type="?delivery-status/i.test(raw), before);
      expect(dsn.from).toBe('');
      expect(dsn.to).toEqual(['jean.dupont@medecin.mssante.fr']);
      expect(dsn.raw.toString('latin1')).toMatch(/Action: failed/);
      expect(dsn.raw.toString('latin1')).toMatch(/Status: 5\.7\.1/);
    } finally {
      w.relay.refuseWith = null;
    }
  });

  it('refuses an operator whose certificate is revoked (CRL from the configuration)', async () => {
    const revoked = new OutboundClient({
      tls: mssanteTlsOptions({ identity: loadIdentityFiles({ key: pki.revoked.keyFile, cert: pki.revoked.chainFile }), anchors: loadAnchorsFile(pki.anchorsFile) }),
      trustList: () => parseTrustList(trustListXml(pki)),
      name: 'mx.revoque.mssante.fr',
      routes: { [GATEWAY_DOMAIN]: { host: '127.0.0.1', port: w.gw.ports.national, tlsName: `mx.${GATEWAY_DOMAIN}` } },
    });
    try {
      const [outcome] = await revoked.deliver({ ...nationalMail({ to: `dr.alice.martin@${GATEWAY_DOMAIN}`, subject: 'x', text: 'x' }), mailFrom: 'x@revoque.mssante.fr' });
      expect(outcome.result).not.toBe('delivered');
      expect(outcome.reply).toMatch(/^530 5\.7\.0/);
    } finally {
      await revoked.close();
    }
  });

  it('quarantines mail from a sender with no legacy address; an operator adds the alias and releases it', async () => {
    const mail = nationalMail({ to: `dr.alice.martin@${GATEWAY_DOMAIN}`, subject: 'Avis', text: 'Premier message.\n' });
    const raw = new TextDecoder().decode(mail.raw).replace('jean.dupont@medecin.mssante.fr', 'nouveau@medecin.mssante.fr');
    const [outcome] = await client.deliver({ ...mail, mailFrom: 'nouveau@medecin.mssante.fr', raw: new TextEncoder().encode(raw) });
    const id = outcome.reply.match(/queued as ([0-9A-Z]{26})/)![1];
    for (let i = 0; i < 100 && (await w.gw.store.message(id))?.state !== 'quarantined'; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await w.gw.store.message(id))).toMatchObject({ state: 'quarantined', stage: 'route' });

    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env: {} };
    const cli = (await import('../../app/cli/commands/quarantine.js')).default;
    expect(await cli.run(['list', '--database', w.config.database], io)).toBe(0);
    expect(out.join('')).toContain(id);

    w.gw.staticResolver.add('nouveau.med@interop.lnp.test', 'nouveau@medecin.mssante.fr');
    const before = w.relay.inbox('dr.alice.martin').length;
    expect(await cli.run(['release', id, '--database', w.config.database], io)).toBe(0);
    const inbox = await w.relay.waitForInbox('dr.alice.martin', before + 1, 10_000);
    const got = await openLnpMail(w.relay.keys, inbox[inbox.length - 1], { now: new Date(), holder: 'dr.alice.martin' });
    expect(got.mail.from).toBe('nouveau.med@interop.lnp.test');
    expect(got.text).toContain('Premier message.');
    expect((await w.gw.store.trace(id))!.events.some((e) => e.detail.startsWith('released by an operator'))).toBe(true);
  });

  it('a national DSN reaches the legacy sender as a French notice, sealed', async () => {
    const dsn = buildDsn({
      originalHeaders: { from: `cab.dupuis@${GATEWAY_DOMAIN}`, subject: 'x' }, originalSender: `cab.dupuis@${GATEWAY_DOMAIN}`,
      originalMessageId: '<orig-1@gateway.lnp.test>', reportingMta: 'mx.medecin.mssante.fr', from: 'MAILER-DAEMON@medecin.mssante.fr',
      reason: 'Unknown', recipients: [{ recipient: 'absent@medecin.mssante.fr', action: 'failed', status: '5.1.1', reply: '550 5.1.1 User unknown' }],
    })!;
    const before = w.relay.inbox('cab.dupuis').length;
    const [outcome] = await client.deliver({ target: 'mssante', mailFrom: '', recipients: [`cab.dupuis@${GATEWAY_DOMAIN}`], raw: dsn.raw });
    expect(outcome.result).toBe('delivered');
    const inbox = await w.relay.waitForInbox('cab.dupuis', before + 1, 10_000);
    const got = await openLnpMail(w.relay.keys, inbox[inbox.length - 1], { now: new Date(), holder: 'cab.dupuis' });
    expect(got.mail.subject).toMatch(/^Avis de non-remise - réf\. /);
    expect(got.text).toContain('absent@medecin.mssante.fr : adresse du destinataire inconnue (5.1.1)');
    expect(got.text).toContain('Bonjour,');
    expect(got.mail.from).toBe('passerelle@gateway.lnp.test');
  });

  it('refuses a recipient the gateway does not serve: never an open relay', async () => {
    const [outcome] = await client.deliver({ ...nationalMail({ to: `nobody-here@${GATEWAY_DOMAIN}`, subject: 'x', text: 'x' }) });
    expect(outcome.result).toBe('permanent');
    expect(outcome.reply).toMatch(/^550 5\.1\.1/);
  });

  it('legacy mail reaches a national operator over mutual TLS, signed', async () => {
    const before = operator.received.length;
    await submitToRelay(w.relay, {
      local: 'cab.dupuis', password: 'pw-dupuis', zone: 'medical33', to: ['jean.dupont.med@interop.lnp.test'], text: 'Bonjour confrère.\r\n',
    });
    const mine = () => operator.received.slice(before).find((m) => m.from === `cab.dupuis@${GATEWAY_DOMAIN}`);
    for (let i = 0; i < 200 && !mine(); i++) await new Promise((r) => setTimeout(r, 50));
    const got = mine()!;
    expect(got.to).toEqual(['jean.dupont@medecin.mssante.fr']);
    expect(got.from).toBe(`cab.dupuis@${GATEWAY_DOMAIN}`);
    expect(got.peer?.domain).toBe(GATEWAY_DOMAIN);
    expect(got.raw.toString('latin1')).toMatch(/^Content-Type: multipart\/signed;/m);
  });
});
