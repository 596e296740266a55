/**
 * The contract every network adapter keeps, as one suite run against each adapter (as Hono
 * runs one router suite against every router). An adapter's test file calls
 * `adapterContract(name, makeFixture)` with a fixture that wires the adapter to a real peer
 * on loopback.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { NetworkAdapter } from '../../core/ports/adapter.js';
import type { OutboundMessage } from '../../core/model/message.js';
import type { Envelope } from '../../core/model/envelope.js';

export type PeerMode = 'accept' | 'temporary' | 'permanent' | 'down';

export interface ContractFixture {
  adapter: NetworkAdapter;
  /** Addresses on this network that the peer accepts (at least two). */
  recipients: string[];
  /** The author as recipients on this network see it (an alias of the other network). */
  from: string;
  /** What the peer does with the next hand-overs. */
  setPeer(mode: PeerMode): Promise<void>;
  /** Raw messages the peer accepted so far, as the adapter could read them back (after any relay step). */
  receivedRaw(): Promise<Uint8Array[]>;
  close(): Promise<void>;
}

const PDF = new TextEncoder().encode('%PDF-1.4\n% test document\n%%EOF\n');

function outbound(f: ContractFixture, over: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    sourceId: '01JD2Z6Q7XK3M9V4T8B2C5D7FG',
    target: f.adapter.network,
    from: f.from,
    to: [f.recipients[0]],
    cc: [f.recipients[1]],
    subject: 'Contract test',
    priority: 'normal',
    content: {
      kind: 'letter',
      text: 'Cher confrère,\r\nveuillez trouver ci-joint le compte rendu.\r\nBien à vous.\r\n',
      attachments: [{ filename: 'compte-rendu.pdf', contentType: 'application/pdf', data: PDF }],
    },
    headers: { 'Message-ID': '<contract.1@passerelle.test>' },
    ...over,
  };
}

function envelopeFor(f: ContractFixture, recipients: string[]): Envelope {
  return { id: '01JD2Z6Q7XK3M9V4T8B2C5D7FH', source: f.adapter.network, mailFrom: f.from, recipients, messageId: null, receivedAt: Date.now(), size: 0, rawRef: 'test' };
}

export function adapterContract(name: string, make: () => Promise<ContractFixture>): void {
  describe(`adapter contract: ${name}`, () => {
    let f: ContractFixture;
    beforeEach(async () => {
      f = await make();
    });
    afterEach(async () => {
      await f.close();
    });

    it('names its network and recognises its own addresses', () => {
      expect(['legacy', 'mssante']).toContain(f.adapter.network);
      for (const r of f.recipients) expect(f.adapter.isNetworkAddress(r)).toBe(true);
      expect(f.adapter.isNetworkAddress(f.adapter.ownAddress)).toBe(true);
      expect(f.adapter.isNetworkAddress('not an address')).toBe(false);
    });

    it('seals to an RFC 5322 message for exactly the To and Cc recipients', async () => {
      const sealed = await f.adapter.seal(outbound(f));
      expect(sealed.target).toBe(f.adapter.network);
      expect(sealed.recipients.map((r) => r.toLowerCase())).toEqual([f.recipients[0], f.recipients[1]].map((r) => r.toLowerCase()));
      const text = new TextDecoder('latin1').decode(sealed.raw);
      const head = text.slice(0, text.indexOf('\r\n\r\n'));
      expect(head).toMatch(/^Message-ID: <contract\.1@passerelle\.test>$/im);
      expect(head).toMatch(/^From: .*$/im);
      expect(head).toMatch(/^MIME-Version: 1\.0$/im);
      expect(text.replace(/\r\n/g, '')).not.toMatch(/\n/);
    });

    it('hands over to the peer, and what arrives opens back to the same text and files', async () => {
      const sealed = await f.adapter.seal(outbound(f));
      const outcomes = await f.adapter.deliver(sealed);
      expect(outcomes.map((o) => o.result)).toEqual(['delivered', 'delivered']);
      const raws = await f.receivedRaw();
      expect(raws.length).toBeGreaterThanOrEqual(1);
      const opened = await f.adapter.open(raws[0], envelopeFor(f, [f.recipients[0]]));
      expect(opened.content.kind).toBe('letter');
      expect(opened.content.text.replace(/\r\n/g, '\n').trim()).toBe('Cher confrère,\nveuillez trouver ci-joint le compte rendu.\nBien à vous.');
      expect(opened.content.attachments).toHaveLength(1);
      expect(opened.content.attachments[0].filename).toBe('compte-rendu.pdf');
      expect(Array.from(opened.content.attachments[0].data)).toEqual(Array.from(PDF));
    });

    it('reports a temporary refusal as temporary, per recipient, without throwing', async () => {
      await f.setPeer('temporary');
      const outcomes = await f.adapter.deliver(await f.adapter.seal(outbound(f)));
      expect(outcomes).toHaveLength(2);
      for (const o of outcomes) {
        expect(o.result).toBe('temporary');
        expect(o.reply).toMatch(/^4\d\d/);
      }
    });

    it('reports a permanent refusal as permanent', async () => {
      await f.setPeer('permanent');
      const outcomes = await f.adapter.deliver(await f.adapter.seal(outbound(f)));
      for (const o of outcomes) {
        expect(o.result).toBe('permanent');
        expect(o.reply).toMatch(/^5\d\d/);
      }
    });

    it('reports a peer that is down as temporary', async () => {
      await f.setPeer('down');
      const outcomes = await f.adapter.deliver(await f.adapter.seal(outbound(f)));
      expect(outcomes.map((o) => o.result)).toEqual(['temporary', 'temporary']);
    });

    it('writes a failure notice for its own network that seals', async () => {
      const notice = await f.adapter.failureNotice({
        original: envelopeFor(f, [f.recipients[0]]), originalMessageId: '<orig@x.test>', to: f.recipients[0],
        failures: [{ recipient: 'someone@elsewhere.test', reply: '550 5.1.1 Recipient address unknown' }], reason: 'Delivery failed',
      });
      expect(notice.target).toBe(f.adapter.network);
      expect(notice.content.kind).toBe('notification');
      expect(notice.content.text).toContain('550 5.1.1');
      const sealed = await f.adapter.seal(notice);
      expect(sealed.recipients).toEqual([f.recipients[0]]);
    });

    it('seals text its network cannot carry as it is without failing', async () => {
      const m = outbound(f, { content: { kind: 'letter', text: 'Cœur, 5 € — “résultats” …\r\n', attachments: [] } });
      const sealed = await f.adapter.seal(m);
      expect(sealed.raw.byteLength).toBeGreaterThan(0);
    });
  });
}
