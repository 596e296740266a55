/**
 * A mixed load while the national operator is down, then back but slow: lab reports and
 * letters for two national mailboxes, and mail for an address with no route. Every routable
 * message is delivered exactly once after the peer returns (retries on the schedule), every
 * unroutable one fails and its sender gets one notice through the relay, and nothing is
 * left in the queue.
 */
import { describe, it, expect } from 'vitest';
import nodemailer from 'nodemailer';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { startLegacyWorld } from '../support/legacy-world.js';
import { startNationalPeer } from '../simulators/national-peer.js';
import { sealLnpMail } from '../../adapters/legacy/lnp-codec.js';

const HPRIM = (JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/legacy-network/seal.json'), 'utf8')) as { name: string; text: string }[])
  .find((v) => v.name === 'hprim-lab-report')!.text;
const N = 600;

describe('mixed load with a national peer down, then slow', () => {
  it('delivers every routable message once after the peer returns, and bounces the rest once', async () => {
    const w = await startLegacyWorld({ queue: { retry: { delays: ['300ms', '600ms'], maxAge: '2m' }, pollInterval: '50ms', concurrency: 16 } });
    try {
      const port = w.peer.port;
      await w.peer.close(); // the operator is down
      const year = new Date().getUTCFullYear();
      const senders = ['labo.bio33', 'cab.dupuis', 'dr.alice.martin'];
      const mails = await Promise.all(Array.from({ length: N }, async (_, i) => {
        const kind = i % 10 === 9 ? 'unroutable' : i % 2 ? 'lab' : 'letter';
        const to = kind === 'unroutable' ? 'nobody.home@interop.lnp.test' : i % 3 ? 'jean.dupont.med@interop.lnp.test' : 'camille.roux.med@interop.lnp.test';
        const from = `${senders[i % 3]}@medical33.lnp.test`;
        const messageId = `<mixed-${i}@medical33.lnp.test>`;
        const { raw } = await sealLnpMail(w.relay.keys, {
          holder: 'passerelle', year, from, to: [to], cc: [], subject: `Test ${i}`, messageId, date: new Date(),
          text: kind === 'lab' ? HPRIM : `Lettre ${i}\r\n`, attachments: kind === 'letter' && i % 4 === 0 ? [{ name: 'cr.pdf', data: new Uint8Array(2000).fill(37) }] : [],
          transit: 'relay1',
        });
        return { kind, to, from, messageId, raw };
      }));
      const t = nodemailer.createTransport({ pool: true, maxConnections: 8, maxMessages: Infinity, host: '127.0.0.1', port: w.gw.ports.legacy, secure: false, ignoreTLS: true });
      const replies = await Promise.all(mails.map((m) => t.sendMail({ envelope: { from: m.from, to: [m.to] }, raw: Buffer.from(m.raw) }).then((i) => i.response)));
      t.close();
      expect(replies.every((r) => /^250 /.test(r))).toBe(true);

      const byState = (network: string) => Object.fromEntries((w.gw.sqliteStore!.sqlite
        .prepare('SELECT state, count(*) AS n FROM deliveries WHERE target_network = ? GROUP BY state').all(network) as { state: string; n: number }[])
        .map((r) => [r.state, r.n]));
      // While it is down, deliveries to the national side wait on the schedule.
      await new Promise((r) => setTimeout(r, 1500));
      expect(byState('mssante').delivered ?? 0).toBe(0);

      // The operator comes back, slow.
      const peer = await startNationalPeer({ domains: ['medecin.mssante.fr'], port });
      peer.delayMs = 15;
      try {
        const routable = mails.filter((m) => m.kind !== 'unroutable');
        const deadline = Date.now() + 90_000;
        while (Date.now() < deadline) {
          const s = (await w.gw.store.summary()).deliveries;
          if ((s.queued ?? 0) + (s.sending ?? 0) + (s.pending ?? 0) === 0 && peer.received.length >= routable.length) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(byState('mssante')).toEqual({ delivered: routable.length, failed: N - routable.length });
        expect(byState('legacy')).toEqual({ delivered: N - routable.length }); // the notices
        const counts = new Map<string, number>();
        for (const r of peer.received) {
          const ref = String((await simpleParser(r.raw)).references ?? '');
          counts.set(ref, (counts.get(ref) ?? 0) + 1);
        }
        for (const m of routable) expect(counts.get(m.messageId), m.messageId).toBe(1);
        // One notice per unroutable message, to its sender, through the relay.
        const notices = senders.reduce((n, s2) => n + w.relay.inbox(s2).length, 0);
        expect(notices).toBe(N - routable.length);
      } finally {
        await peer.close();
      }
    } finally {
      await w.close().catch(() => {});
    }
  }, 180_000);
});
