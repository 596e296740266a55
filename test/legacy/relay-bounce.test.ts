/**
 * Relay bounces (issue 6): the relay simulator accepts a submission then bounces it with an
 * RFC 3464 report, plain or sealed for the gateway; the parser and `LegacyAdapter.open` read
 * both forms; the listener takes the gateway's own address only from the null sender.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import nodemailer from 'nodemailer';
import type { AddressInfo } from 'node:net';
import { parseRelayBounce, isDeliveryReport } from '../../adapters/legacy/relay-bounce.js';
import { LegacyAdapter, type LegacySubmitter } from '../../adapters/legacy/legacy-adapter.js';
import { isLegacyError } from '../../adapters/legacy/legacy-error.js';
import { startLegacyListener, type RunningListener } from '../../adapters/legacy/inbound-listener.js';
import { startLegacyRelay, submitToRelay, type LegacyRelay } from '../simulators/legacy-relay.js';
import type { Envelope } from '../../core/model/envelope.js';
import type { AcceptInput, AcceptResult } from '../../core/ports/message-store.js';
import { silentLogger } from '../../core/log/logger.js';
import { fixtureStore, NOW } from './fixtures.js';

const keys = fixtureStore();
const submitter: LegacySubmitter = { submit: async () => [], close: async () => {} };
const adapter = new LegacyAdapter({ keys, domain: 'lnp.test', gatewayLocal: 'passerelle', gatewayZone: 'gateway', submitter, now: () => NOW });
const OWN = 'passerelle@gateway.lnp.test';
const ORIGINAL_ID = '<01JD2Z6Q7XK3M9V4T8B2C5D7FG.legacy@passerelle.mssante.test>';

const envelope = (over: Partial<Envelope> = {}): Envelope => ({
  id: '01JD2Z6Q7X0000000000000000', source: 'legacy', mailFrom: '', recipients: [OWN], messageId: '<b@relay.lnp.test>',
  receivedAt: NOW.getTime(), size: 0, rawRef: 'db:x', ...over,
});

const REPORT = [
  'From: MAILER-DAEMON@relay.lnp.test',
  `To: ${OWN}`,
  'Subject: Undelivered Mail Returned to Sender',
  'Message-ID: <b@relay.lnp.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status;',
  ' boundary="B1"',
  '',
  'preamble',
  '--B1',
  'Content-Type: text/plain',
  '',
  'Could not deliver.',
  '--B1',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; relay.lnp.test',
  '',
  'Final-Recipient: rfc822; Cab.Dupuis@medical33.lnp.test',
  'Action: failed',
  'Status: 5.2.1',
  'Diagnostic-Code: smtp; 550 5.2.1 Subscriber',
  '  suspended',
  '',
  'Final-Recipient: rfc822;labo.bio33@medical33.lnp.test',
  'Action: delayed',
  'Status: 4.4.1',
  '',
  '--B1',
  'Content-Type: text/rfc822-headers',
  '',
  'From: jean.dupont.med@interop.lnp.test',
  `Message-ID: ${ORIGINAL_ID}`,
  'Subject: Message sécurisé - réf. B2C5D7FG',
  '',
  '--B1--',
  '',
].join('\r\n');

describe('parseRelayBounce', () => {
  it('reads per-recipient blocks, the reporting MTA and the bounced Message-ID', () => {
    const b = parseRelayBounce(REPORT);
    expect(b.reportingMta).toBe('relay.lnp.test');
    expect(b.originalMessageId).toBe(ORIGINAL_ID);
    expect(b.text).toBe('Could not deliver.');
    expect(b.recipients).toEqual([
      { recipient: 'cab.dupuis@medical33.lnp.test', action: 'failed', status: '5.2.1', diagnostic: '550 5.2.1 Subscriber suspended' },
      { recipient: 'labo.bio33@medical33.lnp.test', action: 'delayed', status: '4.4.1' },
    ]);
    expect(isDeliveryReport(new TextEncoder().encode(REPORT))).toBe(true);
  });

  it('reads a report entity alone (the text of a sealed bounce), base64 parts too', () => {
    const entity = [
      'Content-Type: multipart/report; boundary=X; report-type="delivery-status"', '',
      '--X', 'Content-Type: message/delivery-status', 'Content-Transfer-Encoding: base64', '',
      btoa('Final-Recipient: rfc822;a@b.lnp.test\r\nAction: failed\r\nStatus: 5.1.1\r\n'),
      '--X', 'Content-Type: message/rfc822', '', 'Message-ID:  <m@x>', '', 'body', '--X--', '',
    ].join('\r\n');
    const b = parseRelayBounce(entity);
    expect(b.recipients).toEqual([{ recipient: 'a@b.lnp.test', action: 'failed', status: '5.1.1' }]);
    expect(b.originalMessageId).toBe('<m@x>');
  });

  it('refuses what is not a delivery-status report, each with BAD_REPORT', () => {
    const cases = [
      'Content-Type: text/plain\r\n\r\nhello\r\n',
      REPORT.replace('report-type=delivery-status', 'report-type=disposition-notification'),
      REPORT.replace(' boundary="B1"', ' x=y'),
      REPORT.replace('--B1--', ''),
      REPORT.replace('Content-Type: message/delivery-status', 'Content-Type: text/plain'),
      REPORT.replace(/Final-Recipient/g, 'Original-Recipient'),
    ];
    for (const c of cases) {
      let err: unknown;
      try {
        parseRelayBounce(c);
      } catch (e) {
        err = e;
      }
      expect(isLegacyError(err, 'BAD_REPORT'), c.slice(0, 60)).toBe(true);
    }
  });
});

describe('LegacyAdapter.open of a relay bounce', () => {
  it('opens the plain form as a dsn notification with its blocks in meta', async () => {
    const m = await adapter.open(new TextEncoder().encode(REPORT), envelope());
    expect(m.content).toMatchObject({ kind: 'notification', notification: 'dsn', originalMessageId: ORIGINAL_ID });
    expect(m.meta.bounce).toBe('plain');
    expect(JSON.parse(m.meta.deliveryStatus as string)[0]).toMatchObject({ recipient: 'cab.dupuis@medical33.lnp.test', status: '5.2.1' });
    expect(m.from).toBe('mailer-daemon@relay.lnp.test');
  });

  it('refuses a mail to the gateway itself that is not a report (quarantined by the pipeline)', async () => {
    await expect(adapter.open(new TextEncoder().encode('From: x@y.lnp.test\r\nContent-Type: text/plain\r\n\r\nhi\r\n'), envelope()))
      .rejects.toMatchObject({ kind: 'MALFORMED_MESSAGE' });
  });
});

describe('relay simulator bounces after acceptance', () => {
  let gateway: SMTPServer;
  let relay: LegacyRelay;
  const received: { from: string; to: string[]; raw: Uint8Array }[] = [];

  beforeAll(async () => {
    gateway = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: new Uint8Array(Buffer.concat(chunks)) });
          cb(null, 'queued');
        });
      },
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', () => r()));
    relay = await startLegacyRelay({
      keys, domain: 'lnp.test', gatewayLocal: 'passerelle', now: () => NOW, bounceDelayMs: 5,
      subscribers: [
        { local: 'dr.alice.martin', zone: 'medical33', password: 'a' },
        { local: 'cab.dupuis', zone: 'medical33', password: 'c', status: 'S' },
        { local: 'labo.bio33', zone: 'medical33', password: 'l' },
        { local: 'passerelle', zone: 'gateway', password: 'g' },
      ],
      gateway: { host: '127.0.0.1', port: (gateway.server.address() as AddressInfo).port },
    });
  });

  afterAll(async () => {
    await relay?.close();
    await new Promise<void>((r) => gateway.close(() => r()));
  });

  it('accepts, delivers the others, and sends a plain report from <> to the gateway for the suspended one', async () => {
    const res = await submitToRelay(relay, { local: 'passerelle', password: 'g', zone: 'gateway', from: 'jean.dupont.med@interop.lnp.test',
      to: ['cab.dupuis@medical33.lnp.test', 'labo.bio33@medical33.lnp.test'], text: 'Bonjour\r\n' });
    expect(res.response).toMatch(/^250/);
    await relay.waitForInbox('labo.bio33', 1, 5000);
    expect(relay.inbox('cab.dupuis')).toHaveLength(0);
    const [d] = await relay.waitForGatewayDeliveries(1, 5000);
    expect(d.mailFrom).toBe('');
    expect(received[0]).toMatchObject({ from: '', to: [OWN] });
    const opened = await adapter.open(received[0]!.raw, envelope());
    const blocks = JSON.parse(opened.meta.deliveryStatus as string);
    expect(blocks).toEqual([{ recipient: 'cab.dupuis@medical33.lnp.test', action: 'failed', status: '5.2.1', diagnostic: '550 5.2.1 Subscriber suspended (statut S)' }]);
    expect(opened.content.kind === 'notification' && opened.content.originalMessageId).toBe(relay.bounces[0]!.originalMessageId);
  });

  it('seals the report for the gateway when asked, and the adapter opens it', async () => {
    relay.bounceRecipients.add('dr.alice.martin');
    relay.sealBounces = true;
    try {
      await submitToRelay(relay, { local: 'passerelle', password: 'g', zone: 'gateway', to: ['dr.alice.martin@medical33.lnp.test'], text: 'x\r\n' });
      await relay.waitForGatewayDeliveries(2, 5000);
      const raw = received[1]!.raw;
      expect(isDeliveryReport(raw)).toBe(false);
      expect(new TextDecoder().decode(raw)).toContain('$LNP1');
      const opened = await adapter.open(raw, envelope());
      expect(opened.meta.bounce).toBe('sealed');
      expect(JSON.parse(opened.meta.deliveryStatus as string)[0]).toMatchObject({ recipient: 'dr.alice.martin@medical33.lnp.test', action: 'failed', status: '5.1.1' });
      expect(opened.content.kind === 'notification' && opened.content.originalMessageId).toMatch(/^<.+>$/);
    } finally {
      relay.bounceRecipients.clear();
      relay.sealBounces = false;
    }
  });

  it('puts a bounce for an ordinary subscriber in their inbox', async () => {
    await submitToRelay(relay, { local: 'dr.alice.martin', password: 'a', zone: 'medical33', to: ['cab.dupuis@medical33.lnp.test'], text: 'x\r\n' });
    const [b] = await relay.waitForInbox('dr.alice.martin', 1, 5000);
    expect(isDeliveryReport(b!)).toBe(true);
  });
});

describe('legacy listener: the gateway\'s own address', () => {
  let listener: RunningListener;
  const accepted: AcceptInput[] = [];
  const sink = {
    async accept(input: AcceptInput): Promise<AcceptResult> {
      accepted.push(input);
      return { id: '01JD2Z6Q7X0000000000000000', duplicates: [], envelope: envelope() };
    },
  };
  const resolver = {
    resolve: async (a: string) => (a === 'jean.dupont.med@interop.lnp.test' ? { network: 'mssante' as const, address: 'j@m.fr', status: 'active' as const } : null),
    aliasFor: async () => null,
  };

  beforeAll(async () => {
    listener = await startLegacyListener({ host: '127.0.0.1', port: 0, maxSize: 1e6, allowedRelays: [], domain: 'lnp.test', sink, resolver, log: silentLogger, ownAddress: OWN });
  });
  afterAll(async () => listener?.close());

  const send = async (from: string, to: string[]) => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, logger: false });
    try {
      return await t.sendMail({ envelope: { from, to }, raw: Buffer.from(REPORT) });
    } finally {
      t.close();
    }
  };

  it('accepts a bounce (null sender) to it', async () => {
    const info = await send('', [OWN]);
    expect(info.response).toMatch(/^250/);
    expect(accepted.at(-1)).toMatchObject({ mailFrom: '', recipients: [OWN] });
  });

  it('refuses it from any other sender, and beside another recipient', async () => {
    await expect(send('cab.dupuis@medical33.lnp.test', [OWN])).rejects.toMatchObject({ responseCode: 554 });
    const a = await send('', [OWN, 'jean.dupont.med@interop.lnp.test']);
    expect(a.rejected).toEqual(['jean.dupont.med@interop.lnp.test']);
    expect(a.rejectedErrors?.[0]?.response).toMatch(/^452 4\.5\.3/);
    const b = await send('', ['jean.dupont.med@interop.lnp.test', OWN]);
    expect(b.rejected).toEqual([OWN]);
    expect(b.rejectedErrors?.[0]?.response).toMatch(/^452 4\.5\.3/);
  });
});
