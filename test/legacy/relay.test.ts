/** The relay simulator itself (SPEC §6): submission → inbox / gateway, and refusals. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { startLegacyRelay, submitToRelay, type LegacyRelay } from '../simulators/legacy-relay.js';
import { NOW, fixtureStore, sha256 } from './fixtures.js';

const keys = fixtureStore();
const subscribers = [
  { local: 'dr.alice.martin', zone: 'medical33', password: 'alice-pw' },
  { local: 'cab.dupuis', zone: 'medical33', password: 'dupuis-pw' },
  { local: 'labo.bio33', zone: 'medical33', password: 'labo-pw' },
  { local: 'passerelle', zone: 'gateway', password: 'gw-pw' },
];
const alice = { local: 'dr.alice.martin', zone: 'medical33', password: 'alice-pw' };
const dupuis = { local: 'cab.dupuis', zone: 'medical33', password: 'dupuis-pw' };

/** A stand-in gateway: answers 451 to the first DATA, then 250. */
let gateway: SMTPServer;
let gatewayPort = 0;
const received: { from: string; to: string[] }[] = [];
let dataCount = 0;
let relay: LegacyRelay;

beforeAll(async () => {
  gateway = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () => {
        dataCount++;
        if (dataCount === 1) {
          const e = new Error('4.3.0 try again later') as Error & { responseCode: number };
          e.responseCode = 451;
          return cb(e);
        }
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) });
        cb(null, 'queued');
      });
    },
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', () => r()));
  gatewayPort = (gateway.server.address() as AddressInfo).port;
  relay = await startLegacyRelay({ keys, domain: 'lnp.test', gatewayLocal: 'passerelle', subscribers, gateway: { host: '127.0.0.1', port: gatewayPort }, now: () => NOW, gatewayRetryDelayMs: 20 });
});

afterAll(async () => {
  await relay?.close();
  await new Promise<void>((r) => gateway.close(() => r()));
});

describe('legacy relay simulator', () => {
  it('delivers to network subscribers, re-sealed for each, with X-LNP-Transit', async () => {
    const pdf = new Uint8Array(5000).map((_, i) => i % 256);
    const res = await submitToRelay(relay, {
      ...alice,
      to: ['cab.dupuis@medical33.lnp.test'],
      cc: ['labo.bio33@medical33.lnp.test'],
      text: 'Courrier de liaison.\n',
      attachments: [{ name: 'cr.pdf', data: pdf }],
      subject: 'Courrier',
    });
    expect(res.response).toMatch(/^250/);
    for (const local of ['cab.dupuis', 'labo.bio33']) {
      const [raw] = await relay.waitForInbox(local, 1, 5000);
      const m = await openLnpMail(keys, raw!, { now: NOW, holder: local });
      expect(m.mail.transit).toBe('relay1');
      expect(m.mail.from).toBe('dr.alice.martin@medical33.lnp.test');
      expect(m.text).toBe('Courrier de liaison.\r\n');
      expect(m.dests).toEqual(['cab.dupuis', 'labo.bio33']);
      expect(m.attachments.map((a) => sha256(a.data))).toEqual([sha256(pdf)]);
    }
  });

  it('sends each interop recipient its own copy sealed for the gateway, retrying a temporary failure', async () => {
    await submitToRelay(relay, {
      ...dupuis,
      to: ['jean.dupont.med@interop.lnp.test', 'chu.bordeaux.labo@interop.lnp.test'],
      cc: ['dr.alice.martin@medical33.lnp.test'],
      text: 'Pouvez-vous voir ce patient ?\r\n',
    });
    const deliveries = await relay.waitForGatewayDeliveries(2, 10_000);
    expect(deliveries.map((d) => d.recipient).sort()).toEqual(['chu.bordeaux.labo@interop.lnp.test', 'jean.dupont.med@interop.lnp.test']);
    expect(deliveries.every((d) => /^250/.test(d.reply))).toBe(true);
    expect(deliveries.some((d) => d.attempts === 2)).toBe(true); // the first 451 was retried
    expect(received.map((r) => r.to)).toEqual(expect.arrayContaining([['jean.dupont.med@interop.lnp.test'], ['chu.bordeaux.labo@interop.lnp.test']]));
    expect(received.every((r) => r.from === 'cab.dupuis@medical33.lnp.test')).toBe(true);
    for (const d of deliveries) {
      const m = await openLnpMail(keys, d.raw, { now: NOW, holder: 'passerelle' });
      expect(m.dests).toEqual(['jean.dupont.med', 'chu.bordeaux.labo', 'dr.alice.martin']);
      expect(m.text).toBe('Pouvez-vous voir ce patient ?\r\n');
    }
    expect(relay.inbox('dr.alice.martin')).toHaveLength(1);
  });

  it('takes the gateway’s submission: From is the interop address, envelope sender its own', async () => {
    await submitToRelay(relay, {
      local: 'passerelle',
      zone: 'gateway',
      password: 'gw-pw',
      from: 'jean.dupont.med@interop.lnp.test',
      to: ['labo.bio33@medical33.lnp.test'],
      text: 'Réponse.',
    });
    const box = await relay.waitForInbox('labo.bio33', 2, 5000);
    const m = await openLnpMail(keys, box[1]!, { now: NOW, holder: 'labo.bio33' });
    expect(m.mail.from).toBe('jean.dupont.med@interop.lnp.test');
    expect(m.text).toBe('Réponse.');
  });

  describe('refusals', () => {
    const refusal = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        return (err as { responseCode?: number }).responseCode;
      }
      return 'accepted';
    };
    const base = { ...alice, to: ['cab.dupuis@medical33.lnp.test'], text: 'x' };

    it('wrong password', async () => {
      expect(await refusal(submitToRelay(relay, { ...base, password: 'nope' }))).toBe(535);
    });
    it('envelope sender other than the authenticated subscriber', async () => {
      expect(await refusal(submitToRelay(relay, { ...base, mailFrom: 'cab.dupuis@medical33.lnp.test' }))).toBe(553);
    });
    it('mail carrying X-LNP-Transit', async () => {
      expect(await refusal(submitToRelay(relay, { ...base, extraHeaders: { 'X-LNP-Transit': 'relay1' } }))).toBe(554);
    });
    it('destination list not matching the envelope', async () => {
      expect(await refusal(submitToRelay(relay, { ...base, envelopeTo: ['cab.dupuis@medical33.lnp.test', 'labo.bio33@medical33.lnp.test'] }))).toBe(554);
    });
    it('payload sealed for someone else', async () => {
      expect(await refusal(submitToRelay(relay, { ...base, holder: 'cab.dupuis' }))).toBe(550);
    });
    it('unknown recipient', async () => {
      expect(await refusal(submitToRelay(relay, { ...base, to: ['nobody@medical33.lnp.test'] }))).toBe(550);
    });
    it('records every refusal', () => {
      expect(relay.rejected.map((r) => r.code)).toEqual([535, 553, 554, 554, 550, 550]);
    });
  });
});

describe('legacy relay simulator with STARTTLS', () => {
  let dir: string;
  let tlsRelay: LegacyRelay;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lnp-relay-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=relay.lnp.test'], { stdio: 'ignore' });
    tlsRelay = await startLegacyRelay({
      keys,
      domain: 'lnp.test',
      gatewayLocal: 'passerelle',
      subscribers,
      tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') },
      now: () => NOW,
    });
  });
  afterAll(async () => {
    await tlsRelay?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a submission over STARTTLS', async () => {
    const res = await submitToRelay(tlsRelay, { ...alice, to: ['cab.dupuis@medical33.lnp.test'], text: 'tls', requireTls: true });
    expect(res.response).toMatch(/^250/);
    expect(await tlsRelay.waitForInbox('cab.dupuis', 1, 5000)).toHaveLength(1);
  });
});
