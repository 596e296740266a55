/**
 * Co-recipients are visible both ways, and each recipient still gets exactly one copy: the
 * To and Cc of a legacy mail reach each national copy as national addresses (legacy
 * subscribers as their aliases on the gateway's national domain), and the To and Cc of a
 * national mail reach the legacy copy as legacy addresses (national mailboxes as their
 * `interop` addresses); the envelope and the `#DESTBEGIN#` list stay the recipients of the
 * copy. Relay simulator ⇄ gateway ⇄ national operator over mutual TLS, on loopback.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { simpleParser, type AddressObject } from 'mailparser';
import type { OperatorPeer } from '../mssante/operator-peer.js';
import type { LegacyWorld } from '../support/legacy-world.js';
import { submitToRelay } from '../simulators/legacy-relay.js';
import { openLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { writeMime } from '../../lib/mime/mime-writer.js';
import type { OutboundClient } from '../../adapters/mssante/smtp/outbound-client.js';
import { startNationalWorld, type NationalWorld, GATEWAY_DOMAIN } from '../support/national-side.js';

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value).map((v) => (v.address ?? '').toLowerCase());
}

describe('co-recipients shown both ways, one copy each', () => {
  let operator: OperatorPeer;
  let w: LegacyWorld;
  let client: OutboundClient;
  let world: NationalWorld | undefined;
  beforeAll(async () => {
    world = await startNationalWorld({ serves: (a) => a.endsWith('@medecin.mssante.fr') });
    ({ operator, w, client } = world);
  }, 120_000);
  afterAll(() => world?.close());

  it('a legacy mail To A (national) + Cc B (national) + Cc C (legacy): each national copy shows To A, Cc B and C as national addresses; C gets its one copy from the relay', async () => {
    const before = operator.received.length;
    const aliceBefore = w.relay.inbox('dr.alice.martin').length;
    const forwardedBefore = w.relay.gatewayDeliveries.length;
    await submitToRelay(w.relay, {
      local: 'cab.dupuis', password: 'pw-dupuis', zone: 'medical33',
      to: ['jean.dupont.med@interop.lnp.test'],
      cc: ['camille.roux.med@interop.lnp.test', 'dr.alice.martin@medical33.lnp.test'],
      text: 'Chers confrères,\r\nje vous adresse ce patient.\r\n',
    });
    const mine = () => operator.received.slice(before).filter((m) => m.from === `cab.dupuis@${GATEWAY_DOMAIN}`);
    for (let i = 0; i < 200 && mine().length < 2; i++) await settle(50);
    await settle(300); // a third copy would have arrived by now
    const copies = mine();
    // One copy per national recipient, each for that recipient alone.
    expect(copies.map((c) => c.to).sort()).toEqual([['camille.roux@medecin.mssante.fr'], ['jean.dupont@medecin.mssante.fr']]);
    for (const c of copies) {
      const mail = await simpleParser(c.raw);
      expect(addresses(mail.from)).toEqual([`cab.dupuis@${GATEWAY_DOMAIN}`]);
      expect(addresses(mail.to)).toEqual(['jean.dupont@medecin.mssante.fr']);
      expect(addresses(mail.cc)).toEqual(['camille.roux@medecin.mssante.fr', `dr.alice.martin@${GATEWAY_DOMAIN}`]);
    }
    // The relay sent the gateway one transaction per interop recipient, and C exactly one copy of its own.
    expect(w.relay.gatewayDeliveries.length - forwardedBefore).toBe(2);
    const inbox = await w.relay.waitForInbox('dr.alice.martin', aliceBefore + 1, 5000);
    expect(inbox.length).toBe(aliceBefore + 1);
    const got = await openLnpMail(w.relay.keys, inbox[inbox.length - 1], { now: new Date(), holder: 'dr.alice.martin' });
    expect(got.mail.to).toEqual(['jean.dupont.med@interop.lnp.test']);
    expect(got.mail.cc).toEqual(['camille.roux.med@interop.lnp.test', 'dr.alice.martin@medical33.lnp.test']);
  });

  it('a national mail To X (legacy) + Cc Y (national) + Cc X2 (legacy) + Cc Z (no interop address): one relay submission for X and X2, each copy showing To X, Cc Y as interop, X2; Z left out and counted on the trace', async () => {
    const x = `dr.alice.martin@${GATEWAY_DOMAIN}`;
    const x2 = `cab.dupuis@${GATEWAY_DOMAIN}`;
    const y = 'camille.roux@medecin.mssante.fr';
    const z = 'secretariat@hopital-sans-alias.mssante.fr';
    const operatorBefore = operator.received.length;
    const aliceBefore = w.relay.inbox('dr.alice.martin').length;
    const dupuisBefore = w.relay.inbox('cab.dupuis').length;
    const rejectedBefore = w.relay.rejected.length;
    // The sender's operator hands the gateway only what it serves (X and X2); Y and Z get theirs nationally.
    const outcomes = await client.deliver({
      target: 'mssante', mailFrom: 'jean.dupont@medecin.mssante.fr', recipients: [x, x2],
      raw: writeMime({
        headers: {
          From: 'Dr Jean Dupont <jean.dupont@medecin.mssante.fr>', To: `Dr Alice Martin <${x}>`, Cc: `Camille Roux <${y}>, ${x2}, ${z}`,
          Subject: 'Avis partagé', 'Message-ID': `<${crypto.randomUUID()}@medecin.mssante.fr>`, Date: new Date().toUTCString(),
        },
        text: 'Chers confrères,\nvoici mon avis.\n', attachments: [],
      }),
    });
    expect(outcomes.map((o) => o.result)).toEqual(['delivered', 'delivered']);
    const id = outcomes[0].reply.match(/queued as ([0-9A-Z]{26})/)![1];
    for (let i = 0; i < 200 && (await w.gw.store.message(id))?.state !== 'done'; i++) await settle(50);
    expect((await w.gw.store.message(id))?.state).toBe('done');
    await settle(300);
    const alice = w.relay.inbox('dr.alice.martin');
    const dupuis = w.relay.inbox('cab.dupuis');
    expect(alice.length).toBe(aliceBefore + 1);
    expect(dupuis.length).toBe(dupuisBefore + 1);
    expect(w.relay.rejected.length).toBe(rejectedBefore);
    for (const [raw, holder] of [[alice[alice.length - 1], 'dr.alice.martin'], [dupuis[dupuis.length - 1], 'cab.dupuis']] as const) {
      const got = await openLnpMail(w.relay.keys, raw, { now: new Date(), holder });
      expect(got.mail.from).toBe('jean.dupont.med@interop.lnp.test');
      expect(got.mail.to).toEqual(['dr.alice.martin@medical33.lnp.test']);
      expect(got.mail.cc).toEqual(['camille.roux.med@interop.lnp.test', 'cab.dupuis@medical33.lnp.test']);
      expect(got.dests).toEqual(['dr.alice.martin', 'cab.dupuis']); // the envelope of this copy, never the display-only co-recipients
      expect(got.text).toContain('voici mon avis');
    }
    // Nothing came back to the national side for Y: its copy is the sender's operator's business.
    expect(operator.received.slice(operatorBefore).filter((m) => m.to.includes(y))).toEqual([]);
    const trace = (await w.gw.store.trace(id))!;
    expect(trace.events.filter((e) => e.stage === 'translate').map((e) => e.detail)).toEqual(['1 To/Cc address(es) with no address on legacy left out of the headers']);
    expect(JSON.stringify(trace)).not.toContain('hopital-sans-alias'); // counted, never named
  });
});
