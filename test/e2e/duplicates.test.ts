/**
 * Duplicates are resends of the same content only (issue 10, item 8), end to end over loopback:
 *
 * - the legacy relay forwards the same mail twice, sealed again for the gateway with fresh IVs
 *   (other wire bytes): delivered once, the second copy `duplicate` with a trace naming the first;
 * - the same Message-ID with a different text: delivered twice, the second's trace saying it
 *   reuses the Message-ID of the first with different content;
 * - a mail that cannot be opened, sent again byte for byte: one quarantine, one notice;
 * - a national operator sends the same message signed twice (S/MIME by `openssl cms`: PKCS#1
 *   v1.5, then RSA-PSS): one copy reaches the legacy subscriber.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import nodemailer from 'nodemailer';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLegacyWorld, type LegacyWorld } from '../support/legacy-world.js';
import { startNationalWorld, type NationalWorld, GATEWAY_DOMAIN } from '../support/national-side.js';
import { submitToRelay, type SubmitOptions } from '../simulators/legacy-relay.js';
import { openLnpMail } from '../../adapters/legacy/lnp-codec.js';
import type { MessageRow, Store } from '../../core/ports/message-store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function settled(store: Store, id: string, states: MessageRow['state'][], timeoutMs = 15_000): Promise<MessageRow> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = (await store.message(id));
    if (m && states.includes(m.state)) return m;
    if (Date.now() > end) throw new Error(`message ${id} is ${m?.state ?? 'missing'}, expected ${states.join('|')}`);
    await sleep(25);
  }
}

const queuedAs = (reply: string) => reply.match(/queued as ([0-9A-Z]{26})/)![1]!;
const dedupEvents = async (store: Store, id: string) => (await store.trace(id))!.events.filter((e) => e.stage === 'duplicate').map((e) => e.detail);

describe('legacy → national: a resend re-sealed by the relay is a duplicate; a reused Message-ID is not', () => {
  let w: LegacyWorld;
  beforeAll(async () => {
    w = await startLegacyWorld();
  });
  afterAll(() => w?.close());

  const mail = (messageId: string, text: string): SubmitOptions => ({
    local: 'cab.dupuis', password: 'pw-dupuis', zone: 'medical33', to: ['jean.dupont.med@interop.lnp.test'],
    subject: 'Courrier', text, messageId, date: new Date(Math.floor(Date.now() / 1000) * 1000),
    attachments: [{ name: 'cr.pdf', data: new TextEncoder().encode('%PDF-1.4\n%%EOF\n') }],
  });
  /** Submit to the relay; resolves to the gateway's id of the copy the relay forwarded. */
  const viaRelay = async (o: SubmitOptions) => {
    const before = w.relay.gatewayDeliveries.length;
    await submitToRelay(w.relay, o);
    const [hop] = (await w.relay.waitForGatewayDeliveries(before + 1, 10_000)).slice(before);
    expect(hop!.reply).toMatch(/^250 /);
    return { id: queuedAs(hop!.reply), raw: hop!.raw };
  };
  const deliveredFor = (messageId: string) => w.peer.received.filter((r) => r.raw.toString('latin1').includes(messageId));

  it('the same mail forwarded twice, sealed again with fresh IVs, is delivered once', async () => {
    const messageId = `<resend-${crypto.randomUUID()}@medical33.lnp.test>`;
    const o = mail(messageId, 'Cher confrère,\r\nvoici le compte rendu.\r\n');
    const first = await viaRelay(o);
    expect((await settled(w.gw.store, first.id, ['done'])).state).toBe('done');
    const second = await viaRelay(o);
    // Other wire bytes (the relay sealed again: fresh IVs), the same Message-ID.
    expect(Buffer.from(second.raw).equals(Buffer.from(first.raw))).toBe(false);
    expect(await settled(w.gw.store, second.id, ['duplicate', 'done', 'quarantined'])).toMatchObject({ state: 'duplicate', messageId });
    expect(await dedupEvents(w.gw.store, second.id)).toEqual([`duplicate of message ${first.id}: same Message-ID, same content; not delivered again`]);
    expect((await w.gw.store.deliveries(second.id))).toEqual([]);
    await sleep(500);
    expect(deliveredFor(messageId)).toHaveLength(1);
  }, 30_000);

  it('the same Message-ID with a different text is a new message: delivered twice, the trace says so', async () => {
    const messageId = `<reused-${crypto.randomUUID()}@medical33.lnp.test>`;
    const first = await viaRelay(mail(messageId, 'Premier courrier.\r\n'));
    await settled(w.gw.store, first.id, ['done']);
    const second = await viaRelay(mail(messageId, 'Second courrier, un autre texte.\r\n'));
    expect((await settled(w.gw.store, second.id, ['duplicate', 'done', 'quarantined'])).state).toBe('done');
    expect((await w.gw.store.deliveries(second.id))).toMatchObject([{ state: 'delivered' }]);
    expect(await dedupEvents(w.gw.store, second.id)).toEqual([`reuses the Message-ID of message ${first.id} with different content: a new message, not a duplicate`]);
    for (let i = 0; i < 200 && deliveredFor(messageId).length < 2; i++) await sleep(25);
    expect(deliveredFor(messageId)).toHaveLength(2);
    // No content in the trace: the reason names the rule and the message, not what it says.
    expect(JSON.stringify((await w.gw.store.trace(second.id)))).not.toMatch(/courrier/i);
  }, 30_000);

  it('a mail that cannot be opened, sent again byte for byte, is quarantined once and its sender told once', async () => {
    const raw = 'From: dr.alice.martin@medical33.lnp.test\r\nTo: jean.dupont.med@interop.lnp.test\r\nSubject: Message\r\n' +
      `Message-ID: <broken-${crypto.randomUUID()}@medical33.lnp.test>\r\nX-LNP-Version: 1\r\nX-LNP-Transit: relay1\r\n\r\n$LNP1\r\n#BINASCII1#\r\n00000010\r\nnot armour\r\n`;
    const send = async () => {
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: w.gw.ports.legacy, secure: false, ignoreTLS: true, logger: false });
      try {
        return queuedAs((await t.sendMail({ envelope: { from: 'dr.alice.martin@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'] }, raw })).response);
      } finally {
        t.close();
      }
    };
    const inboxBefore = w.relay.inbox('dr.alice.martin').length;
    const first = await send();
    expect((await settled(w.gw.store, first, ['quarantined'])).stage).toBe('open');
    await w.relay.waitForInbox('dr.alice.martin', inboxBefore + 1, 10_000);
    const second = await send();
    expect((await settled(w.gw.store, second, ['duplicate', 'quarantined'])).state).toBe('duplicate');
    expect(await dedupEvents(w.gw.store, second)).toEqual([`duplicate of message ${first}: same Message-ID, the same bytes that could not be opened; not processed again`]);
    await sleep(500);
    expect(w.relay.inbox('dr.alice.martin')).toHaveLength(inboxBefore + 1);
  }, 30_000);
});

describe('national → legacy: the same message signed again by its operator is a duplicate', () => {
  let world: NationalWorld;
  let work: string;
  beforeAll(async () => {
    world = await startNationalWorld({ serves: (a) => a.endsWith('@medecin.mssante.fr') });
    work = mkdtempSync(join(tmpdir(), 'passerelle-dup-'));
  }, 120_000);
  afterAll(async () => {
    await world?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The same entity and headers, signed by the operator's key with `openssl cms` (multipart/signed). */
  const signed = (headers: Record<string, string>, entity: string, pss: boolean): Uint8Array => {
    const input = join(work, `entity-${crypto.randomUUID()}.txt`);
    writeFileSync(input, entity);
    const { pki } = world;
    const out = execFileSync('openssl', [
      'cms', '-sign', '-binary', '-md', 'sha256', '-in', input, '-signer', pki.medecin.certFile, '-inkey', pki.medecin.keyFile,
      '-certfile', pki.intermediate.certFile, ...(pss ? ['-keyopt', 'rsa_padding_mode:pss'] : []),
    ], { stdio: ['ignore', 'pipe', 'pipe'] }).toString('latin1');
    const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    return new Uint8Array(Buffer.from(head + out.replace(/\r?\n/g, '\r\n'), 'latin1'));
  };

  it('one copy reaches the legacy subscriber; the second is a duplicate of the first', async () => {
    const { w, client } = world;
    const to = `dr.alice.martin@${GATEWAY_DOMAIN}`;
    const messageId = `<${crypto.randomUUID()}@medecin.mssante.fr>`;
    const headers = { From: 'Dr Jean Dupont <jean.dupont@medecin.mssante.fr>', To: to, Subject: 'Avis', 'Message-ID': messageId, Date: new Date().toUTCString() };
    const entity = 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nChère consœur,\r\nmerci de revoir ce dossier.\r\n';
    const before = w.relay.inbox('dr.alice.martin').length;
    const send = async (raw: Uint8Array) => {
      const [outcome] = await client.deliver({ target: 'mssante', mailFrom: 'jean.dupont@medecin.mssante.fr', recipients: [to], raw });
      expect(outcome!.result).toBe('delivered');
      return queuedAs(outcome!.reply);
    };
    const a = signed(headers, entity, false);
    const b = signed(headers, entity, true);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);

    const first = await send(a);
    expect((await settled(w.gw.store, first, ['done', 'quarantined'])).state).toBe('done');
    // Had the S/MIME layer been read as plain MIME, its signature part (other bytes each time)
    // would be an attachment and the copies would differ: a duplicate means the layer was opened.
    const second = await send(b);
    expect((await settled(w.gw.store, second, ['duplicate', 'done', 'quarantined'])).state).toBe('duplicate');
    expect(await dedupEvents(w.gw.store, second)).toEqual([`duplicate of message ${first}: same Message-ID, same content; not delivered again`]);

    await sleep(500);
    const inbox = w.relay.inbox('dr.alice.martin').slice(before);
    expect(inbox).toHaveLength(1);
    const got = await openLnpMail(w.relay.keys, inbox[0]!, { now: new Date(), holder: 'dr.alice.martin' });
    expect(got.text).toContain('merci de revoir ce dossier');
  }, 60_000);
});
