/**
 * Issue 6, item 3: a bounce the legacy relay sends after it accepted a submission reaches the
 * national sender as an RFC 3464 DSN. Real sockets: a national operator (test PKI, mutual
 * TLS) delivers to the gateway, the gateway submits to the relay simulator, the relay accepts
 * then bounces to the gateway's legacy listener (plain or sealed), the gateway correlates and
 * the operator receives the DSN. No loop: the bounce of a notice the gateway wrote produces
 * nothing; a second copy of a bounce does not notify twice.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { TestPki } from '../pki/test-pki.js';
import type { OperatorPeer } from '../mssante/operator-peer.js';
import type { LegacyWorld } from '../support/legacy-world.js';
import { submitToRelay } from '../simulators/legacy-relay.js';
import type { OutboundClient } from '../../adapters/mssante/smtp/outbound-client.js';
import { writeMime } from '../../lib/mime/mime-writer.js';
import type { MessageRow } from '../../core/ports/message-store.js';
import { startNationalWorld, type NationalWorld, GATEWAY_DOMAIN } from '../support/national-side.js';

const SENDER = 'jean.dupont@medecin.mssante.fr';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a relay bounce after hand-over reaches the national sender as a DSN', () => {
  let pki: TestPki;
  let operator: OperatorPeer;
  let w: LegacyWorld;
  let client: OutboundClient;

  let world: NationalWorld | undefined;
  beforeAll(async () => {
    world = await startNationalWorld({ serves: (a) => a.endsWith('@medecin.mssante.fr') && !a.startsWith('ghost@') });
    ({ pki, operator, w, client } = world);
  }, 120_000);
  afterAll(() => world?.close());

  const nationalMail = (to: string, messageId = `<${crypto.randomUUID()}@medecin.mssante.fr>`) => ({
    target: 'mssante' as const,
    mailFrom: SENDER,
    recipients: [to],
    raw: writeMime({
      headers: { From: `Dr Jean Dupont <${SENDER}>`, To: to, Subject: 'Avis demandé', 'Message-ID': messageId, Date: new Date().toUTCString() },
      text: 'Merci de revoir ce dossier.\n', attachments: [],
    }),
  });

  const dsns = () => operator.received.filter((m) => /report-type="?delivery-status/i.test(m.raw.toString('latin1')));

  const waitState = async (id: string, states: string[], timeoutMs = 10_000): Promise<MessageRow> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = (await w.gw.store.message(id));
      if (m && states.includes(m.state)) return m;
      if (Date.now() > end) throw new Error(`message ${id} is ${m?.state ?? 'missing'}, expected ${states.join('|')}`);
      await sleep(25);
    }
  };

  /** The bounces the gateway received (null sender, its own address), newest last. */
  const bouncesReceived = async () => (await Promise.all(['done', 'quarantined', 'duplicate', 'received', 'opened', 'routed']
    .map((s) => w.gw.store.listMessages(s as MessageRow['state'], 1000)))).flat()
    .filter((m) => m.source === 'legacy' && m.mailFrom === '')
    .sort((a, b) => a.id.localeCompare(b.id));

  /** Send raw bytes to the gateway's legacy listener as the relay does for a bounce. */
  const resend = async (raw: Uint8Array) => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: w.gw.ports.legacy, secure: false, tls: { rejectUnauthorized: false }, logger: false });
    try {
      return await t.sendMail({ envelope: { from: '', to: ['passerelle@gateway.lnp.test'] }, raw: Buffer.from(raw) });
    } finally {
      t.close();
    }
  };

  for (const form of ['plain', 'sealed'] as const) {
    it(`a ${form} bounce marks the delivery failed and sends the sender one DSN naming the gateway's address`, async () => {
      const local = form === 'plain' ? 'cab.dupuis' : 'dr.alice.martin';
      if (form === 'plain') w.relay.suspended.add(local);
      else w.relay.bounceRecipients.add(local);
      w.relay.sealBounces = form === 'sealed';
      const before = dsns().length;
      const bouncesBefore = w.relay.bounces.length;
      try {
        const [outcome] = await client.deliver(nationalMail(`${local}@${GATEWAY_DOMAIN}`));
        expect(outcome.result).toBe('delivered');
        const id = outcome.reply.match(/queued as ([0-9A-Z]{26})/)![1]!;

        for (let i = 0; i < 400 && dsns().length === before; i++) await sleep(25);
        const got = dsns().slice(before);
        expect(got).toHaveLength(1);
        const dsn = got[0]!;
        const text = dsn.raw.toString('latin1');
        expect(dsn.from).toBe('');
        expect(dsn.to).toEqual([SENDER]);
        expect(text).toMatch(/^Content-Type: multipart\/report; report-type=delivery-status/m);
        expect(text).toMatch(/^Action: failed$/m);
        expect(text).toMatch(form === 'plain' ? /^Status: 5\.2\.1$/m : /^Status: 5\.1\.1$/m);
        expect(text).toContain(`Final-Recipient: rfc822;${local}@${GATEWAY_DOMAIN}`);
        // The national side never learns the legacy address nor reads the relay's own text.
        expect(text).not.toContain(`${local}@medical33.lnp.test`);
        expect(text).not.toContain('The LNP/1 relay could not deliver');
        expect(w.relay.bounces).toHaveLength(bouncesBefore + 1);
        expect(w.relay.bounces.at(-1)!.sealed).toBe(form === 'sealed');

        // The original: handed over, then failed by the bounce, with the notice in its trace.
        const trace = (await w.gw.store.trace(id))!;
        expect(trace.deliveries.map((d) => d.state)).toEqual(['failed']);
        expect(trace.deliveries[0]!.lastError).toMatch(form === 'plain' ? /^550 5\.2\.1 Subscriber suspended/ : /^550 5\.1\.1/);
        const details = trace.events.map((e) => e.detail);
        expect(details.some((d) => d.startsWith('delivered to legacy: 250'))).toBe(true);
        expect(details.some((d) => d.startsWith('bounced by the relay after hand-over: 550'))).toBe(true);
        expect(details.some((d) => /^failure notice [0-9A-Z]{26} queued for the sender$/.test(d))).toBe(true);

        // The bounce itself: done, naming the message it settled.
        const bounce = (await bouncesReceived()).at(-1)!;
        await waitState(bounce.id, ['done']);
        const bt = (await w.gw.store.trace(bounce.id))!;
        expect(bt.events.map((e) => e.detail)).toContain(`settles message ${id}: 1 delivery(ies) marked failed, its sender notified`);
        expect(bt.events.some((e) => e.detail === `opened: relay bounce (${form}), 1 recipient block(s)`)).toBe(true);

        // `passerelle trace ID` shows it.
        const out: string[] = [];
        const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env: {} };
        const cli = (await import('../../app/cli/commands/trace.js')).default;
        expect(await cli.run([id, '--database', w.config.database], io)).toBe(0);
        expect(out.join('')).toContain('bounced by the relay after hand-over');
      } finally {
        w.relay.suspended.delete(local);
        w.relay.bounceRecipients.delete(local);
        w.relay.sealBounces = false;
      }
    }, 30_000);
  }

  it('a second copy of a bounce, or another report of the same failure, does not notify twice', async () => {
    const last = w.relay.bounces.find((b) => !b.sealed)!;
    const before = dsns().length;
    const seen = new Set((await bouncesReceived()).map((m) => m.id));

    // The very same bytes (same Message-ID): accepted, recognised as a copy.
    const again = await resend(last.raw);
    expect(again.response).toMatch(/^250/);
    const copy = (await bouncesReceived()).find((m) => !seen.has(m.id))!;
    // Recognised once opened: the same report (same Message-ID, same content) as the first.
    expect((await waitState(copy.id, ['duplicate', 'done', 'quarantined'])).state).toBe('duplicate');
    seen.add(copy.id);

    // Another report (new Message-ID) of the same failure: settled, nothing more to say.
    const other = new TextDecoder('latin1').decode(last.raw).replace(/^Message-ID: <[^>]+>/m, `Message-ID: <${crypto.randomUUID()}@relay.lnp.test>`);
    await resend(Uint8Array.from(other, (c) => c.charCodeAt(0)));
    let second: MessageRow | undefined;
    for (let i = 0; i < 200 && !second; i++) {
      second = (await bouncesReceived()).find((m) => !seen.has(m.id));
      if (!second) await sleep(25);
    }
    const settled = await waitState(second!.id, ['done', 'quarantined']);
    expect(settled.state).toBe('done');
    expect((await w.gw.store.trace(second!.id))!.events.map((e) => e.detail).some((d) => /already settled earlier, no second notice$/.test(d))).toBe(true);
    await sleep(500);
    expect(dsns()).toHaveLength(before);
  }, 30_000);

  it('the bounce of a notice the gateway wrote is quarantined and answered by nothing (no loop)', async () => {
    // A legacy lab writes to a national address the operator refuses: the gateway sends the lab a
    // French failure notice through the relay, and the relay bounces that notice back.
    w.gw.staticResolver.add('ghost.med@interop.lnp.test', 'ghost@medecin.mssante.fr');
    w.relay.bounceRecipients.add('labo.bio33');
    const submissions = w.relay.bounces.length;
    const operatorBefore = operator.received.length;
    try {
      await submitToRelay(w.relay, { local: 'labo.bio33', password: 'pw-labo', zone: 'medical33', to: ['ghost.med@interop.lnp.test'], text: 'Bonjour.\r\n' });
      for (let i = 0; i < 400 && w.relay.bounces.length === submissions; i++) await sleep(25);
      expect(w.relay.bounces).toHaveLength(submissions + 1);
      expect(w.relay.bounces.at(-1)!.recipients).toEqual(['labo.bio33@medical33.lnp.test']);

      let bounce: MessageRow | undefined;
      for (let i = 0; i < 400; i++) {
        bounce = (await bouncesReceived()).filter((m) => m.state === 'quarantined').at(-1);
        if (bounce) break;
        await sleep(25);
      }
      expect(bounce).toMatchObject({ state: 'quarantined', stage: 'correlate' });
      expect(bounce!.reason).toMatch(/^relay bounce of a notice the gateway wrote about message [0-9A-Z]{26}: no notice about a notice \(no loop\)$/);
      // The quarantine commits first; what the notices stage decided is written just after.
      let details: string[] = [];
      for (let i = 0; i < 400; i++) {
        details = (await w.gw.store.trace(bounce!.id))!.events.map((e) => e.detail);
        if (details.includes('no notice sent: the message is itself a notification')) break;
        await sleep(25);
      }
      expect(details).toContain('no notice sent: the message is itself a notification');

      await sleep(800);
      expect(w.relay.bounces).toHaveLength(submissions + 1); // nothing more submitted and bounced
      expect(operator.received.length).toBe(operatorBefore); // the refused mail never arrived; no DSN either
      expect((await w.gw.store.summary()).messages['routed'] ?? 0).toBe(0);
    } finally {
      w.relay.bounceRecipients.delete('labo.bio33');
    }
  }, 30_000);
});
