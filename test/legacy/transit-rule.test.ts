/**
 * The transit rule of the legacy listener (issue 10, item 9), over real SMTP on loopback: mail
 * without `X-LNP-Transit` in its header block did not come through the relay (SPEC §5) and is
 * refused at DATA with `550 5.7.1`, nothing committed; relay bounces (null sender, the
 * gateway's own address alone) are the one exception.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { startLegacyListener, type RunningListener } from '../../adapters/legacy/inbound-listener.js';
import type { AcceptInput, AcceptResult } from '../../core/ports/message-store.js';
import { silentLogger } from '../../core/log/logger.js';
import { REPLY_CODES } from '../../core/errors/reply-codes.js';

const OWN = 'passerelle@gateway.lnp.test';
const INTEROP = 'jean.dupont.med@interop.lnp.test';
const SENDER = 'cab.dupuis@medical33.lnp.test';

const mail = (head: string[], body = '$LNP1\r\n#BINASCII1#\r\n') =>
  [`From: ${SENDER}`, `To: ${INTEROP}`, 'Subject: Message', 'Message-ID: <t-1@medical33.lnp.test>', 'X-LNP-Version: 1', ...head, '', body].join('\r\n');

describe('legacy listener: the transit rule', () => {
  let listener: RunningListener;
  const accepted: AcceptInput[] = [];
  const sink = {
    async accept(input: AcceptInput): Promise<AcceptResult> {
      accepted.push(input);
      return {
        id: '01JD2Z6Q7X0000000000000000', duplicates: [],
        envelope: { id: '01JD2Z6Q7X0000000000000000', source: 'legacy', mailFrom: input.mailFrom, recipients: input.recipients, messageId: null, receivedAt: 0, size: 0, rawRef: 'db:x' },
      };
    },
  };
  const resolver = {
    resolve: async (a: string) => (a === INTEROP ? { network: 'mssante' as const, address: 'j@m.fr', status: 'active' as const } : null),
    aliasFor: async () => null,
  };

  beforeAll(async () => {
    listener = await startLegacyListener({ host: '127.0.0.1', port: 0, maxSize: 1e6, allowedRelays: [], domain: 'lnp.test', sink, resolver, log: silentLogger, ownAddress: OWN });
  });
  afterAll(async () => listener?.close());
  beforeEach(() => {
    accepted.length = 0;
  });

  const send = async (from: string, to: string[], raw: string) => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, logger: false });
    try {
      return await t.sendMail({ envelope: { from, to }, raw: Buffer.from(raw, 'latin1') });
    } finally {
      t.close();
    }
  };
  const refusedAtData = { responseCode: 550, command: 'DATA', response: expect.stringMatching(/^550 5\.7\.1 Mail must come through the network relay/) };

  it('has its own error kind: 550 5.7.1', () => {
    expect(REPLY_CODES.NOT_RELAYED).toMatchObject({ code: 550, status: '5.7.1' });
  });

  it('accepts mail the relay delivered (X-LNP-Transit in the header block, any case, folded)', async () => {
    expect((await send(SENDER, [INTEROP], mail(['X-LNP-Transit: relay1']))).response).toMatch(/^250 /);
    expect((await send(SENDER, [INTEROP], mail(['x-lnp-transit:', ' relay1']))).response).toMatch(/^250 /);
    expect(accepted).toHaveLength(2);
  });

  it('refuses at DATA mail without it, and commits nothing', async () => {
    await expect(send(SENDER, [INTEROP], mail([]))).rejects.toMatchObject(refusedAtData);
    expect(accepted).toHaveLength(0);
  });

  it('refuses an empty X-LNP-Transit, and one that is not in the message\'s own header block', async () => {
    await expect(send(SENDER, [INTEROP], mail(['X-LNP-Transit: ']))).rejects.toMatchObject(refusedAtData);
    // In the body (after the blank line) it is text, not a header field.
    await expect(send(SENDER, [INTEROP], mail([], 'X-LNP-Transit: relay1\r\n$LNP1\r\n'))).rejects.toMatchObject(refusedAtData);
    // In the header of a MIME part: not the mail's header block either.
    const multipart = mail(['Content-Type: multipart/mixed; boundary="b"'],
      '--b\r\nX-LNP-Transit: relay1\r\nContent-Type: text/plain\r\n\r\n$LNP1\r\n--b--\r\n');
    await expect(send(SENDER, [INTEROP], multipart)).rejects.toMatchObject(refusedAtData);
    expect(accepted).toHaveLength(0);
  });

  it('lets a relay bounce through without it: null sender, the gateway\'s own address alone', async () => {
    const report = ['From: MAILER-DAEMON@relay.lnp.test', `To: ${OWN}`, 'Subject: Undelivered Mail Returned to Sender',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"', '', '--B1--', ''].join('\r\n');
    expect((await send('', [OWN], report)).response).toMatch(/^250 /);
    expect(accepted.map((a) => [a.mailFrom, a.recipients])).toEqual([['', [OWN]]]);
  });

  it('does not extend that exception to the null sender writing to an interop address', async () => {
    await expect(send('', [INTEROP], mail([]))).rejects.toMatchObject(refusedAtData);
    expect(accepted).toHaveLength(0);
  });
});
