/**
 * The message store contract: one suite, run against every implementation of
 * `MessageStore` (SQLite today; PostgreSQL and D1 pass the same suite), as Hono runs one
 * router suite against every router. Times are given to the store, never read by it: the
 * suite uses a clock of its own, far from the real one.
 *
 * @example
 * messageStoreContract('SQLite', async () => { const s = SqliteStore.open(path); return { store: s, close: () => s.close() }; });
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { Claimant, MessageStore } from '../../core/ports/message-store.js';

export interface StoreUnderTest {
  store: MessageStore;
  close(): Promise<void>;
}

const raw = new TextEncoder().encode('Message-ID: <1@x>\r\n\r\nhello\r\n');
const T = 1_000_000; // the suite's clock: the store must never read its own
const A: Claimant = { owner: 'node-a/1', leaseMs: 10_000 };
const B: Claimant = { owner: 'node-b/1', leaseMs: 10_000 };

export function messageStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`MessageStore contract: ${name}`, () => {
    let s: StoreUnderTest;
    let store: MessageStore;
    beforeEach(async () => {
      s = await open();
      store = s.store;
    });
    afterEach(async () => {
      await s.close();
    });

    const accept = (over: Partial<Parameters<MessageStore['accept']>[0]> = {}, now = T) =>
      store.accept({ source: 'legacy', mailFrom: 'a@x.lnp.test', recipients: ['b@y'], messageId: null, raw, ...over }, now);
    const routed = async (recipients = ['b@y'], now = T) => {
      const { id } = await accept({ recipients }, now);
      await store.recordRouting(id, { routes: recipients.map((r) => ({ recipient: r, network: 'mssante' as const, address: r })), failures: [], events: [] }, now);
      return id;
    };

    it('commits a message, its raw bytes and one delivery per recipient, at the time it is given', async () => {
      const { id, duplicates, envelope } = await accept({ recipients: ['b@y', 'c@y'], messageId: '<1@x>' });
      expect(duplicates).toEqual([]);
      expect(envelope).toMatchObject({ id, receivedAt: T, recipients: ['b@y', 'c@y'] });
      expect(await store.raw(id)).toEqual(raw);
      expect((await store.envelope(id))?.recipients).toEqual(['b@y', 'c@y']);
      expect((await store.pendingDeliveries(id)).map((d) => d.state)).toEqual(['pending', 'pending']);
      expect((await store.message(id))).toMatchObject({ state: 'received', receivedAt: T, messageId: '<1@x>' });
      const trace = await store.trace(id);
      expect(trace?.events[0]).toMatchObject({ stage: 'receive', at: T });
    });

    it('keeps every one of many concurrent accepts', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => accept({ messageId: `<${i}@x>` })));
      expect(new Set(results.map((r) => r.id)).size).toBe(50);
      expect((await store.summary()).deliveries.pending).toBe(50);
    });

    it('fails only the write that fails among writes made together (a group commit keeps the others, their rows whole)', async () => {
      // Same turn of the event loop: one batch where the engine groups its commits.
      const first = [accept({ messageId: '<g1@x>' }), accept({ messageId: '<g2@x>' })];
      const bad = store.recordOutcomes('NO-SUCH-MESSAGE', [], [], T);
      const then = [accept({ messageId: '<g3@x>' }), accept({ messageId: '<g4@x>' })];
      const settled = await Promise.allSettled([...first, bad, ...then]);
      expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((await store.summary()).messages).toEqual({ received: 4 });
      for (const r of settled) {
        if (r.status !== 'fulfilled') continue;
        const { id } = r.value as Awaited<ReturnType<MessageStore['accept']>>;
        expect(await store.raw(id)).toEqual(raw);
        expect((await store.pendingDeliveries(id))).toHaveLength(1);
        expect((await store.trace(id))?.events.map((e) => e.stage)).toEqual(['receive']);
      }
    });

    it('judges no received message at acceptance: a resend is told after opening (claimContent)', async () => {
      await accept({ messageId: '<dup@x>' });
      expect((await accept({ messageId: '<dup@x>' })).duplicates).toEqual([]);
    });

    describe('claimContent: a duplicate is the same Message-ID, recipient and content', () => {
      const D1 = 'a'.repeat(64);
      const D2 = 'b'.repeat(64);
      const acc = (recipients: string[], source: 'legacy' | 'mssante' = 'legacy') => accept({ recipients, source, messageId: '<m@x>' });
      const claim = (id: string, digest: string, recipients: string[], network: 'legacy' | 'mssante' = 'legacy') =>
        store.claimContent(id, { network, messageId: '<m@x>', digest, recipients }, T);
      const details = async (id: string) => (await store.trace(id))!.events.filter((e) => e.stage === 'duplicate').map((e) => `${e.recipient}: ${e.detail}`);

      it('the first copy claims; a second with the same content is a duplicate, its delivery removed, no notice due', async () => {
        const a = await acc(['b@y']);
        const b = await acc(['b@y']);
        expect(await claim(a.id, D1, ['b@y'])).toEqual({ fresh: ['b@y'], duplicates: [], reused: [], state: 'received' });
        expect(await claim(b.id, D1, ['b@y'])).toEqual({ fresh: [], duplicates: [{ recipient: 'b@y', of: a.id }], reused: [], state: 'duplicate' });
        expect((await store.message(b.id))?.state).toBe('duplicate');
        expect(await store.deliveries(b.id)).toEqual([]);
        expect(await details(b.id)).toEqual([`b@y: duplicate of message ${a.id}: same Message-ID, same content; not delivered again`]);
        expect((await store.noticesDue(10)).map((n) => n.id)).not.toContain(b.id);
        expect(await details(a.id)).toEqual([]);
      });

      it('the same Message-ID with different content is a new message, whose trace names the one it reuses the Message-ID of', async () => {
        const a = await acc(['b@y']);
        const c = await acc(['b@y']);
        await claim(a.id, D1, ['b@y']);
        expect(await claim(c.id, D2, ['b@y'])).toEqual({ fresh: ['b@y'], duplicates: [], reused: [{ recipient: 'b@y', of: a.id }], state: 'received' });
        expect((await store.pendingDeliveries(c.id)).map((d) => d.recipient)).toEqual(['b@y']);
        expect(await details(c.id)).toEqual([`b@y: reuses the Message-ID of message ${a.id} with different content: a new message, not a duplicate`]);
        const e = await acc(['b@y']);
        expect((await claim(e.id, D2, ['b@y'])).duplicates).toEqual([{ recipient: 'b@y', of: c.id }]);
      });

      it('decides per recipient: a copy naming a new recipient too delivers only to that one', async () => {
        const a = await acc(['b@y']);
        const b = await acc(['b@y', 'c@y']);
        await claim(a.id, D1, ['b@y']);
        expect(await claim(b.id, D1, ['b@y', 'c@y'])).toMatchObject({ fresh: ['c@y'], duplicates: [{ recipient: 'b@y', of: a.id }], state: 'received' });
        expect((await store.deliveries(b.id)).map((d) => d.recipient)).toEqual(['c@y']);
      });

      it('a message run again (restart, release) keeps its claim and writes no second event', async () => {
        const a = await acc(['b@y']);
        const c = await acc(['b@y']);
        await claim(a.id, D1, ['b@y']);
        await claim(c.id, D2, ['b@y']);
        expect(await claim(a.id, D1, ['b@y'])).toEqual({ fresh: ['b@y'], duplicates: [], reused: [], state: 'received' });
        expect(await claim(c.id, D2, ['b@y'])).toEqual({ fresh: ['b@y'], duplicates: [], reused: [], state: 'received' });
        expect(await details(c.id)).toHaveLength(1);
      });

      it('one that could not be opened is named so; the same bytes again are a duplicate', async () => {
        const a = await acc(['b@y']);
        const b = await acc(['b@y']);
        const c = await acc(['b@y']);
        await claim(a.id, 'raw:' + D1, ['b@y']);
        expect((await claim(b.id, 'raw:' + D1, ['b@y'])).state).toBe('duplicate');
        expect((await claim(c.id, D1, ['b@y'])).reused).toEqual([{ recipient: 'b@y', of: a.id }]);
        expect((await details(c.id))[0]).toMatch(/reuses the Message-ID of message \w+, which could not be opened: a new message/);
      });

      it('networks are apart: the same Message-ID from the other network is not a duplicate', async () => {
        const a = await acc(['b@y']);
        const b = await acc(['b@y'], 'mssante');
        await claim(a.id, D1, ['b@y']);
        expect((await claim(b.id, D1, ['b@y'], 'mssante')).fresh).toEqual(['b@y']);
      });

      it('concurrent claims of two copies: exactly one holds the recipient', async () => {
        const a = await acc(['b@y']);
        const b = await acc(['b@y']);
        const [ra, rb] = await Promise.all([claim(a.id, D1, ['b@y']), claim(b.id, D1, ['b@y'])]);
        expect([ra.fresh.length, rb.fresh.length].sort()).toEqual([0, 1]);
      });
    });

    it('accepts a keyed notice once, routed at once', async () => {
      const n = { source: 'gateway' as const, mailFrom: '', recipients: ['s@x'], noticeKey: 'failure:1', routes: { 's@x': { network: 'legacy' as const, address: 's@x' } } };
      const first = await accept(n);
      expect((await store.message(first.id))?.state).toBe('routed');
      expect((await store.deliveries(first.id))[0]).toMatchObject({ state: 'queued', targetNetwork: 'legacy' });
      expect((await accept(n)).duplicates).toEqual(['s@x']);
    });

    it('gives a message to process to one worker at a time, and to another once its claim lapses', async () => {
      const { id } = await accept({ claimedBy: A });
      expect(await store.claimUnprocessed(T + 1, 10, B)).toEqual([]);
      const unclaimed = (await accept({}, T + 2)).id;
      expect(await store.claimUnprocessed(T + 3, 10, B)).toEqual([unclaimed]);
      expect(await store.claimUnprocessed(T + 3, 10, B, T)).toEqual([]); // only those received before
      expect(await store.claimUnprocessed(T + A.leaseMs + 1, 10, B)).toEqual([id]);
    });

    it('claims each due delivery once, with the worker id and a lease', async () => {
      const id = await routed(['b@y', 'c@y']);
      expect(await store.claimDue(T - 1, 10, A)).toEqual([]); // not due yet
      const claimed = await store.claimDue(T, 10, A);
      expect(claimed.map((d) => [d.messageRef, d.state])).toEqual([[id, 'sending'], [id, 'sending']]);
      expect(await store.claimDue(T + 5_000, 10, B)).toEqual([]);
      expect(await store.claimDue(T + 5_000, 10, A)).toEqual([]);
    });

    it('lets any worker reclaim a send whose lease lapsed, flagged uncertain', async () => {
      const id = await routed();
      await store.claimDue(T, 10, A);
      const again = await store.claimDue(T + A.leaseMs, 10, B);
      expect(again).toHaveLength(1);
      expect(again[0]).toMatchObject({ messageRef: id, uncertain: true, state: 'sending' });
      const trace = await store.trace(id);
      expect(trace?.events.some((e) => e.stage === 'recover' && e.at === T + A.leaseMs)).toBe(true);
    });

    it('keeps a lease its worker renews', async () => {
      await routed();
      await store.claimDue(T, 10, A);
      expect(await store.renewClaims(A, T + 9_000)).toBe(1);
      expect(await store.claimDue(T + 12_000, 10, B)).toEqual([]);
      expect(await store.claimDue(T + 19_000, 10, B)).toHaveLength(1);
    });

    it('renews only the claims in hand when told which: the others lapse and are taken up again, flagged uncertain', async () => {
      await routed();
      await routed(['c@y']);
      const held = (await accept({ claimedBy: A })).id;
      const dropped = (await accept({ claimedBy: A })).id;
      const [kept, lost] = await store.claimDue(T, 10, A);
      expect(await store.renewClaims(A, T + 9_000, { deliveries: [kept!.id], messages: [held] })).toBe(2);
      const again = await store.claimDue(T + 12_000, 10, B);
      expect(again.map((d) => [d.id, d.uncertain])).toEqual([[lost!.id, true]]);
      expect(await store.claimUnprocessed(T + 12_000, 10, B)).toEqual([dropped]);
    });

    it('lets a restarted node take back its previous run\'s claims at once, not another node\'s', async () => {
      const mine = await routed();
      const theirs = await routed(['c@y']);
      const [d1] = await store.claimDue(T, 1, A);
      const [d2] = await store.claimDue(T, 1, B);
      expect([d1!.messageRef, d2!.messageRef]).toEqual([mine, theirs]);
      const processing = (await accept({ claimedBy: A })).id;
      const r = await store.releaseClaimsOfNode('node-a', 'node-a/2', T + 1);
      expect(r).toEqual({ requeued: 1, unprocessed: 1 });
      const again = await store.claimDue(T + 1, 10, { owner: 'node-a/2', leaseMs: 10_000 });
      expect(again.map((d) => [d.messageRef, d.uncertain])).toEqual([[mine, true]]);
      expect(await store.claimUnprocessed(T + 1, 10, { owner: 'node-a/2', leaseMs: 10_000 })).toEqual([processing]);
    });

    it('settles a message whose every recipient failed at routing, its notices due until queued', async () => {
      const { id } = await accept({ recipients: ['b@y', 'c@y'] });
      const state = await store.recordRouting(id, { routes: [], failures: [{ recipient: 'b@y', reply: '550 5.1.1 x' }, { recipient: 'c@y', reply: '550 5.1.1 x' }], events: [] }, T);
      expect(state).toBe('done');
      expect((await store.noticesDue(10)).map((n) => n.id)).toEqual([id]);
      expect(await store.noticesDue(10, T)).toEqual([]); // settled at T, not before
      await store.noticesQueued(id);
      expect(await store.noticesDue(10)).toEqual([]);
    });

    it('records outcomes and settles the message once nothing is left to try', async () => {
      const id = await routed(['b@y', 'c@y']);
      const [d1, d2] = await store.claimDue(T, 10, A);
      let state = await store.recordOutcomes(id, [
        { deliveryId: d1!.id, state: 'delivered', reply: '250 ok' },
        { deliveryId: d2!.id, state: 'queued', nextAttemptAt: T + 60_000, reply: '451 later' },
      ], [{ stage: 'deliver', level: 'info', detail: 'one delivered' }], T + 1);
      expect(state).toBe('routed');
      expect(await store.claimDue(T + 59_999, 10, A)).toEqual([]);
      const [again] = await store.claimDue(T + 60_000, 10, A);
      expect(again).toMatchObject({ id: d2!.id, attempts: 1, uncertain: false });
      state = await store.recordOutcomes(id, [{ deliveryId: d2!.id, state: 'failed', reply: '550 no' }], [], T + 60_001);
      expect(state).toBe('done');
      expect((await store.deliveries(id)).map((d) => [d.state, d.attempts, d.lastError])).toEqual([['delivered', 1, '250 ok'], ['failed', 2, '550 no']]);
    });

    it('quarantines in one commit: deliveries, state, stage, reason, reply, event and notice due', async () => {
      const id = await routed(['b@y']);
      const [d] = await store.claimDue(T, 10, A);
      await store.quarantine(id, { stage: 'translate', reply: '550 5.6.3 x', reason: '550 5.6.3 x (rule)', deliveryIds: [d!.id], events: [{ stage: 'seal', level: 'info', detail: 'e' }] }, T + 1);
      expect(await store.message(id)).toMatchObject({ state: 'quarantined', stage: 'translate', reason: '550 5.6.3 x (rule)', reply: '550 5.6.3 x' });
      expect((await store.deliveries(id))[0]).toMatchObject({ state: 'quarantined', lastError: '550 5.6.3 x' });
      expect(await store.noticesDue(10)).toEqual([{ id, state: 'quarantined', stage: 'translate', reply: '550 5.6.3 x', relatedId: null }]);
      expect((await store.trace(id))?.events.filter((e) => e.at === T + 1).map((e) => e.detail)).toEqual(['e', 'quarantined: 550 5.6.3 x (rule)']);
      expect(await store.claimDue(T + 100_000, 10, B)).toEqual([]);
    });

    it('releases a quarantined message for another run, or drops it keeping its trace', async () => {
      const a = (await accept()).id;
      const b = (await accept()).id;
      for (const id of [a, b]) await store.quarantine(id, { stage: 'open', reply: '550 5.6.0 x', reason: 'x' }, T);
      expect(await store.release(a, T + 1)).toBe(true);
      expect(await store.release(a, T + 1)).toBe(false);
      expect(await store.message(a)).toMatchObject({ state: 'received', stage: null, reply: null });
      expect((await store.pendingDeliveries(a))).toHaveLength(1);
      expect(await store.drop(b, T + 1)).toBe(true);
      expect(await store.raw(b)).toBeNull();
      expect((await store.message(b))?.state).toBe('dropped');
      expect((await store.listMessages('dropped', 10)).map((m) => m.id)).toEqual([b]);
    });

    it('names the operator of a release or a drop in the trace', async () => {
      const a = (await accept()).id;
      const b = (await accept()).id;
      for (const id of [a, b]) await store.quarantine(id, { stage: 'open', reply: '550 5.6.0 x', reason: 'x' }, T);
      expect(await store.release(a, T + 1, 'ops-bordeaux')).toBe(true);
      expect(await store.drop(b, T + 1, 'ops-bordeaux')).toBe(true);
      for (const id of [a, b]) expect((await store.trace(id))!.events.at(-1)!.detail).toMatch(/^(released|dropped) by an operator \(ops-bordeaux\)/);
    });

    it('makes a message\'s queued deliveries due now on an operator\'s request, and says so in the trace', async () => {
      const id = await routed(['b@y', 'c@y']);
      const [d] = await store.claimDue(T, 1, A);
      await store.recordOutcomes(id, [{ deliveryId: d!.id, state: 'queued', nextAttemptAt: T + 3_600_000, reply: '451 4.4.1 later' }], [], T + 1);
      const other = await routed(['z@y'], T + 2);
      expect(await store.retryNow(id, T + 5, 'ops')).toBe(2);
      expect((await store.claimDue(T + 5, 10, B)).map((x) => x.messageRef).sort()).toEqual([id, id, other].sort());
      expect((await store.trace(id))!.events.at(-1)).toMatchObject({ stage: 'queue', detail: 'retry now requested by an operator (ops) (2 deliveries)' });
      expect(await store.retryNow(id, T + 6)).toBe(0);
    });

    it('holds the deliveries to a network on every node until it is released', async () => {
      const toNational = await routed(['b@y']);
      const { id: toLegacy } = await accept({ source: 'mssante', recipients: ['c@lnp'] });
      await store.recordRouting(toLegacy, { routes: [{ recipient: 'c@lnp', network: 'legacy', address: 'c@lnp' }], failures: [], events: [] }, T);
      expect(await store.holdNetwork('mssante', true, T, 'ops')).toBe(true);
      expect(await store.holdNetwork('mssante', true, T + 1, 'other')).toBe(false);
      expect(await store.holds()).toEqual([{ network: 'mssante', since: T, by: 'ops' }]);
      expect((await store.claimDue(T + 10, 10, A)).map((d) => d.messageRef)).toEqual([toLegacy]);
      expect(await store.claimDue(T + 10, 10, B)).toEqual([]);
      expect(await store.holdNetwork('mssante', false, T + 20, 'ops')).toBe(true);
      expect(await store.holdNetwork('mssante', false, T + 21, 'ops')).toBe(false);
      expect(await store.holds()).toEqual([]);
      expect((await store.claimDue(T + 30, 10, B)).map((d) => d.messageRef)).toEqual([toNational]);
    });

    it('searches messages by state, networks, domains, time, Message-ID and stage, newest first, by pages', async () => {
      const l1 = (await accept({ mailFrom: 'labo@Medical33.lnp.test', recipients: ['dr.a@medecin.mssante.fr'], messageId: '<l1@x>' }, T)).id;
      const l2 = (await accept({ mailFrom: 'cab@medical47.lnp.test', recipients: ['dr.b@pharma.mssante.fr', 'dr.c@medecin.mssante.fr'], messageId: '<l2@x>' }, T + 10)).id;
      const n1 = (await accept({ source: 'mssante', mailFrom: 'dr.a@medecin.mssante.fr', recipients: ['cab@medical47.lnp.test'], messageId: '<n1@x>' }, T + 20)).id;
      const odd = (await accept({ mailFrom: 'x@a_b%.test', recipients: ['y@z'] }, T + 30)).id;
      await store.recordRouting(l2, { routes: [{ recipient: 'dr.b@pharma.mssante.fr', network: 'mssante', address: 'dr.b@pharma.mssante.fr' }], failures: [], events: [] }, T + 11);
      await store.quarantine(n1, { stage: 'open', reply: '550 5.6.0 x', reason: 'x' }, T + 21);
      const ids = async (q: Partial<Parameters<MessageStore['searchMessages']>[0]>) => (await store.searchMessages({ limit: 10, ...q })).map((m) => m.id);
      expect(await ids({})).toEqual([odd, n1, l2, l1]);
      expect(await ids({ states: ['quarantined'] })).toEqual([n1]);
      expect(await ids({ states: ['received', 'quarantined'] })).toEqual([odd, n1, l1]);
      expect(await ids({ source: 'legacy' })).toEqual([odd, l2, l1]);
      expect(await ids({ target: 'mssante' })).toEqual([l2]);
      expect(await ids({ senderDomain: 'MEDICAL33.lnp.test' })).toEqual([l1]);
      expect(await ids({ senderDomain: 'lnp.test' })).toEqual([]);
      expect(await ids({ senderDomain: 'a_b%.test' })).toEqual([odd]);
      expect(await ids({ senderDomain: 'a_b_.test' })).toEqual([]);
      expect(await ids({ recipientDomain: 'medecin.mssante.fr' })).toEqual([l2, l1]);
      expect(await ids({ since: T + 10, until: T + 30 })).toEqual([n1, l2]);
      expect(await ids({ messageId: 'l2@x' })).toEqual([l2]);
      expect(await ids({ messageId: '<l2@x>' })).toEqual([l2]);
      expect(await ids({ stage: 'open' })).toEqual([n1]);
      expect(await ids({ limit: 2 })).toEqual([odd, n1]);
      expect(await ids({ limit: 2, before: n1 })).toEqual([l2, l1]);
      expect((await store.searchMessages({ limit: 1, states: ['quarantined'] }))[0]).toMatchObject({ id: n1, source: 'mssante', state: 'quarantined', stage: 'open' });
    });

    it('settles a relay bounce once: only deliveries still delivered change, and the bounce names them', async () => {
      const original = await routed(['b@y', 'c@y']);
      const ds = await store.claimDue(T, 10, A);
      await store.recordOutcomes(original, ds.map((d) => ({ deliveryId: d.id, state: 'delivered' as const, reply: '250 ok' })), [], T);
      const bounce = (await accept({ mailFrom: '', recipients: ['gw@x'] })).id;
      const mark = (id: number) => ({ deliveryId: id, reply: '550 5.2.1 suspended', event: { stage: 'bounce', level: 'error' as const, detail: 'bounced' } });
      expect(await store.recordBounce(bounce, original, [mark(ds[0]!.id)], T + 1)).toEqual([ds[0]!.id]);
      expect((await store.bouncedBy(bounce)).map((d) => [d.id, d.state, d.lastError])).toEqual([[ds[0]!.id, 'failed', '550 5.2.1 suspended']]);
      expect(await store.message(bounce)).toMatchObject({ state: 'done', relatedId: original });
      expect((await store.noticesDue(10)).find((n) => n.id === bounce)).toMatchObject({ state: 'done', relatedId: original });
      const second = (await accept({ mailFrom: '', recipients: ['gw@x'] })).id;
      expect(await store.recordBounce(second, original, [mark(ds[0]!.id)], T + 2)).toEqual([]);
      expect((await store.noticesDue(10)).map((n) => n.id)).not.toContain(second);
    });

    describe('purgeRaw: retention of raw bytes, trace kept', () => {
      const CUT = T + 1_000;
      /** A message received at `receivedAt`, delivered at `at`, its notices queued: done. */
      const delivered = async (at = T + 10, receivedAt = T) => {
        const id = await routed(['b@y'], receivedAt);
        const ds = await store.claimDue(T + 10, 10, A);
        expect(await store.recordOutcomes(id, ds.map((d) => ({ deliveryId: d.id, state: 'delivered' as const, reply: '250 ok' })), [], at)).toBe('done');
        await store.noticesQueued(id);
        return id;
      };
      const purged = async (id: string) => (await store.trace(id))!.events.filter((e) => e.stage === 'retention');

      it('erases the raw bytes of messages done before the cutoff, keeping their rows, deliveries and events, with a purged event', async () => {
        const id = await delivered();
        const before = (await store.trace(id))!;
        expect(await store.purgeRaw(CUT, 100, T + 5_000)).toBe(1);
        expect(await store.raw(id)).toBeNull();
        const after = (await store.trace(id))!;
        expect(after.message).toEqual(before.message);
        expect(after.deliveries).toEqual(before.deliveries);
        expect(after.events.slice(0, before.events.length)).toEqual(before.events);
        expect(await purged(id)).toEqual([{ at: T + 5_000, stage: 'retention', level: 'info', recipient: null,
          detail: `purged: raw bytes erased by the retention (done before ${new Date(CUT).toISOString()}); trace kept` }]);
      });

      it('keeps what is not done before the cutoff: in progress, quarantined, notices owed, settled since, and a duplicate purged', async () => {
        const done = await delivered();
        const recent = await delivered(CUT);
        const inProgress = await routed(['c@y']);
        const quarantined = (await accept()).id;
        await store.quarantine(quarantined, { stage: 'open', reply: '550 5.6.0 x', reason: 'x' }, T + 1);
        const owing = (await accept({ recipients: ['d@y'] })).id;
        expect(await store.recordRouting(owing, { routes: [], failures: [{ recipient: 'd@y', reply: '550 5.1.1 x' }], events: [] }, T + 1)).toBe('done');
        const first = (await accept({ messageId: '<p@x>', recipients: ['e@y'] })).id;
        const dup = (await accept({ messageId: '<p@x>', recipients: ['e@y'] })).id;
        const claim = { network: 'legacy' as const, messageId: '<p@x>', digest: 'c'.repeat(64), recipients: ['e@y'] };
        await store.claimContent(first, claim, T + 1);
        expect((await store.claimContent(dup, claim, T + 1)).state).toBe('duplicate');

        expect(await store.purgeRaw(CUT, 100, T + 5_000)).toBe(2);
        expect(await store.raw(done)).toBeNull();
        expect(await store.raw(dup)).toBeNull();
        for (const id of [recent, inProgress, quarantined, owing, first]) {
          expect(await store.raw(id)).toEqual(raw);
          expect(await purged(id)).toEqual([]);
        }
        // Once its notices are queued, the one that owed them goes too.
        await store.noticesQueued(owing);
        expect(await store.purgeRaw(CUT, 100, T + 6_000)).toBe(1);
        expect(await store.raw(owing)).toBeNull();
      });

      it('works in batches, oldest first, and finds nothing more to do when run again', async () => {
        const ids = [await delivered(T + 10, T + 2), await delivered(T + 10, T + 1), await delivered(T + 10, T + 3)];
        expect(await store.purgeRaw(CUT, 2, T + 5_000)).toBe(2);
        expect(await store.raw(ids[2]!)).toEqual(raw); // received last
        expect(await store.purgeRaw(CUT, 2, T + 5_001)).toBe(1);
        expect(await store.purgeRaw(CUT, 2, T + 5_002)).toBe(0);
        for (const id of ids) expect(await purged(id)).toHaveLength(1);
      });
    });

    it('counts deliveries and messages per state', async () => {
      expect((await store.summary()).oldestOpenAt).toBeNull();
      await routed(['b@y'], T + 5);
      await accept({}, T + 9);
      const s = await store.summary();
      expect(s.deliveries).toMatchObject({ queued: 1, pending: 1 });
      expect(s.messages).toMatchObject({ routed: 1, received: 1 });
      expect(s.nextDue).toBe(T + 5);
      // The oldest message with a delivery still to make: what an alert on a stuck queue reads.
      expect(s.oldestOpenAt).toBe(T + 5);
    });
  });
}
