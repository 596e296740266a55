/**
 * Several nodes on one PostgreSQL, on a private server: what the engine's line (`link.ts`)
 * adds to the store.
 *
 * - wake-ups: a commit on one node that makes deliveries due (routing) or a message ready to
 *   process (a release) reaches the other nodes' `onWork` at once, not the node itself; and a
 *   message accepted on node A, whose deliveries are held, is delivered by node B within a
 *   second although both poll only every minute;
 * - two running nodes cannot share a node id (`lockNode`);
 * - the database away (the server stopped, then started again on the same port): the store
 *   says so (`availability`, one change each way), an accept fails at once with
 *   `STORE_UNAVAILABLE` (451 4.3.0) and nothing of it is committed, a write issued meanwhile
 *   waits and is committed once the server is back, and the store works again on its own
 *   (the pool and the line reconnect), telling the other nodes' subscribers to look for work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../storage/postgres/postgres-store.js';
import { PostgresLink } from '../../storage/postgres/link.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { Gateway } from '../../core/pipeline/gateway.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import type { DeliveryOutcome, NetworkAdapter } from '../../core/ports/adapter.js';
import type { OpenedMessage, OutboundMessage, SealedMessage } from '../../core/model/message.js';
import type { Envelope } from '../../core/model/envelope.js';
import type { NetworkId } from '../../core/model/network.js';
import type { StoreAvailability, WorkKind } from '../../core/ports/message-store.js';

const why = postgresUnavailable();
if (why) console.warn(`[PostgreSQL nodes tests skipped] ${why}`);

const enc = new TextEncoder();
const raw = enc.encode('Message-ID: <1@x>\r\n\r\nhello\r\n');
const W = { owner: 'a/1', leaseMs: 60_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(f: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** An adapter that opens anything as a letter and records who handed what over. */
class RecordingAdapter implements NetworkAdapter {
  readonly ownAddress: string;
  delivered: { by: string; at: number; recipients: string[] }[] = [];
  constructor(readonly network: NetworkId, private readonly node: string) {
    this.ownAddress = `gateway@${network}.test`;
  }
  isNetworkAddress(a: string) { return a.endsWith(`@${this.network}.test`); }
  async open(r: Uint8Array, envelope: Envelope): Promise<OpenedMessage> {
    return { envelope, from: envelope.mailFrom, to: envelope.recipients, cc: [], subject: 's', content: { kind: 'letter', text: new TextDecoder().decode(r), attachments: [] }, meta: {} };
  }
  async seal(m: OutboundMessage): Promise<SealedMessage> {
    return { target: this.network, mailFrom: m.from, recipients: m.to, raw: enc.encode('sealed') };
  }
  async deliver(m: SealedMessage): Promise<DeliveryOutcome[]> {
    this.delivered.push({ by: this.node, at: Date.now(), recipients: m.recipients });
    return m.recipients.map((recipient) => ({ recipient, result: 'delivered' as const, reply: '250 ok' }));
  }
  async failureNotice(n: Parameters<NetworkAdapter['failureNotice']>[0]): Promise<OutboundMessage> {
    return { sourceId: n.original.id, target: this.network, from: this.ownAddress, to: [n.to], cc: [], subject: 'failure', priority: 'normal',
      content: { kind: 'letter', text: n.reason, attachments: [] }, headers: {} };
  }
  async close() {}
}

describe.skipIf(why !== null)('several nodes on one PostgreSQL', () => {
  let server: PostgresServer;
  let url: string;
  let n = 0;
  const open = (schema: string) => PostgresStore.open(url, { schema, max: 4, holdMs: 20_000 });

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase('nodes');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('tells the other nodes, not itself, of deliveries made due and of a message released', async () => {
    const schema = `w_${++n}`;
    const a = await open(schema);
    const b = await open(schema);
    const other = await open(`w_${++n}`); // another gateway's tables: not its business
    try {
      const heard = { a: [] as WorkKind[], b: [] as WorkKind[], other: [] as WorkKind[] };
      a.onWork((k) => heard.a.push(k));
      b.onWork((k) => heard.b.push(k));
      other.onWork((k) => heard.other.push(k));
      const { id } = await a.accept({ source: 'legacy', mailFrom: 'x@legacy.test', recipients: ['r@mssante.test'], messageId: '<1@x>', raw, claimedBy: W }, 1000);
      await sleep(300);
      expect(heard.b, 'a message accepted and claimed by its node is no news to the others').toEqual([]);
      await a.recordRouting(id, { routes: [{ recipient: 'r@mssante.test', network: 'mssante', address: 'r@mssante.test' }], failures: [], events: [] }, 1001);
      await until(() => heard.b.includes('deliveries'), 2000, 'node B to hear of the due delivery');
      // A quarantined message released by an operator (a command on any node): ready to process.
      const q = await a.accept({ source: 'legacy', mailFrom: 'x@legacy.test', recipients: ['s@mssante.test'], messageId: '<2@x>', raw, claimedBy: W }, 1002);
      await a.quarantine(q.id, { stage: 'open', reply: '550 5.6.0 no', reason: 'test' }, 1003);
      expect(await b.release(q.id, 1004)).toBe(true);
      await until(() => heard.a.includes('messages'), 2000, 'node A to hear of the release');
      await sleep(200);
      expect(heard.a).not.toContain('deliveries'); // its own routing commit is not news to it
      expect(heard.b).not.toContain('messages');
      expect(heard.other).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('delivers on node B what node A accepted while A holds its deliveries, within a second, polling every minute', async () => {
    const schema = `w_${++n}`;
    const sa = await open(schema);
    const sb = await open(schema);
    const adapters = (node: string) => ({ legacy: new RecordingAdapter('legacy', node), mssante: new RecordingAdapter('mssante', node) });
    const ad = { a: adapters('a'), b: adapters('b') };
    const resolver = { resolve: async (x: string) => ({ network: 'mssante' as const, address: x.replace('@interop.legacy.test', '@mssante.test'), status: 'active' as const }),
      aliasFor: async (x: string) => x.replace('@legacy.test', '@interop.mssante.test') };
    const common = { resolver, pollMs: 60_000, leaseMs: 60_000, concurrency: 4 };
    const ga = new Gateway({ ...common, store: sa, adapters: ad.a, node: 'node-a', holdDeliveries: true });
    const gb = new Gateway({ ...common, store: sb, adapters: ad.b, node: 'node-b' });
    await ga.start();
    await gb.start();
    try {
      // Let both workers settle into idleness (their start-up claims are done).
      await sleep(300);
      const latencies: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        await ga.accept({ source: 'legacy', mailFrom: 'cab@legacy.test', recipients: [`dr.${i}@interop.legacy.test`], messageId: `<m${i}@legacy.test>`, raw });
        const got = await until(() => ad.b.mssante.delivered.find((d) => d.recipients.includes(`dr.${i}@mssante.test`)), 3000, `node B to deliver message ${i}`);
        latencies.push(got!.at - t0);
      }
      console.log(`accepted on node A, delivered by node B: ${latencies.join(', ')} ms (poll interval 60 s)`);
      expect(ad.a.mssante.delivered, 'node A holds its deliveries').toEqual([]);
      expect(Math.max(...latencies), `accept on A → delivered by B: ${latencies.join(', ')} ms`).toBeLessThan(1000);
    } finally {
      await ga.stop();
      await gb.stop();
      await Promise.all([sa.close(), sb.close()]);
    }
  });

  it('refuses a second running node with the same node id, and frees the id with its session', async () => {
    const schema = `w_${++n}`;
    const a = await open(schema);
    const b = await open(schema);
    try {
      await a.lockNode('gw1');
      await expect(b.lockNode('gw1')).rejects.toThrow(/node id 'gw1' is in use by another running node/);
      await b.lockNode('gw2');
      await a.close();
      const c = await open(schema);
      await c.lockNode('gw1'); // a's session ended: its id is free again
      await c.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('while the server is stopped: says so once, refuses accepts at once, keeps other writes until it is back, then recovers on its own', async () => {
    const schema = `w_${++n}`;
    const a = await open(schema);
    const b = await open(schema);
    try {
      const changes: StoreAvailability[] = [];
      a.onAvailability((s) => changes.push(s));
      const heardB: WorkKind[] = [];
      b.onWork((k) => heardB.push(k));
      const { id } = await a.accept({ source: 'legacy', mailFrom: 'x@legacy.test', recipients: ['r@mssante.test'], messageId: '<1@x>', raw, claimedBy: W }, 1000);

      const tHalt = Date.now();
      await server.halt();
      await until(() => !a.availability().available, 3000, 'the store to notice the server is gone');
      const away = a.availability();
      expect(away.available).toBe(false);
      if (!away.available) expect(away.since).toBeGreaterThanOrEqual(tHalt - 100);

      // An accept is answered at once, with the reply of STORE_UNAVAILABLE: the listener says 451 4.3.0.
      const t0 = Date.now();
      const refused = await a.accept({ source: 'legacy', mailFrom: 'x@legacy.test', recipients: ['r@mssante.test'], messageId: '<lost@x>', raw }, 2000)
        .then(() => null, (e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(500);
      expect(refused).toBeInstanceOf(GatewayError);
      expect((refused as GatewayError).reply).toBe('451 4.3.0 Local error in processing, try again later');
      expect((refused as GatewayError).detail).toMatch(/^database unreachable since \d{4}-\d\d-\d\dT/);

      // A stage's write waits for the server.
      let eventsDone = false;
      const write = a.events(id, [{ stage: 'test', level: 'info', detail: 'written during the outage' }], 2001).then(() => (eventsDone = true));
      await sleep(5000 - (Date.now() - tHalt));
      expect(eventsDone).toBe(false);
      await server.start();
      const tBack = Date.now();
      await write;
      await until(() => a.availability().available && b.availability().available, 5000, 'both stores to see the server again');
      const recoverMs = Date.now() - tBack;
      expect(recoverMs, 'reconnected with backoff capped at 2 s').toBeLessThan(4000);
      expect(changes.map((c) => c.available)).toEqual([false, true]);
      await until(() => heardB.length > 0, 2000, 'node B to be told to look for what it missed');

      // Nothing of the refused accept was committed; the held write was, once.
      const all = await Promise.all((['received', 'routed', 'done', 'duplicate'] as const).map((s) => a.listMessages(s, 100)));
      expect(all.flat().map((m) => m.messageId)).toEqual(['<1@x>']);
      expect((await a.trace(id))!.events.filter((e) => e.stage === 'test')).toHaveLength(1);
      // And it works again, on both nodes.
      await a.accept({ source: 'legacy', mailFrom: 'x@legacy.test', recipients: ['r@mssante.test'], messageId: '<2@x>', raw }, 3000);
      expect((await b.summary()).messages.received).toBe(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);

  it('after a query lost for want of the server, is back only when the server takes new sessions, not when the line alone still answers', async () => {
    // What a server shutting down looks like for a moment: sessions still open answer, new ones are refused.
    const db = await server.createDatabase('refusing');
    const link = new PostgresLink({ url: db, channel: 'passerelle_refusing', onNotify: () => undefined, reconnect: { initialMs: 50, maxMs: 200 } });
    await link.start();
    const changes: boolean[] = [];
    link.onAvailability((s) => changes.push(s.available));
    try {
      await server.psql(`ALTER DATABASE refusing WITH ALLOW_CONNECTIONS false`);
      link.lost(new Error('Connection terminated unexpectedly'), link.epoch());
      expect(link.availability().available).toBe(false);
      await sleep(500);
      expect(link.availability().available, 'still away: no new session is accepted').toBe(false);
      await server.psql(`ALTER DATABASE refusing WITH ALLOW_CONNECTIONS true`);
      await until(() => link.availability().available, 5000, 'the line to see the server take sessions again');
      expect(changes).toEqual([false, true]);
    } finally {
      await link.close();
    }
  }, 30_000);

  it('counts a late failure of a query begun before the server came back as that outage, not a new one', async () => {
    const link = new PostgresLink({ url, channel: 'passerelle_epoch', onNotify: () => undefined, reconnect: { initialMs: 50, maxMs: 200 } });
    await link.start();
    const changes: boolean[] = [];
    link.onAvailability((s) => changes.push(s.available));
    try {
      const cut = new Error('Connection terminated unexpectedly');
      const before = link.epoch();
      await server.halt();
      await until(() => !link.availability().available, 5000, 'the line to notice the server is gone');
      await server.start();
      await until(() => link.availability().available, 5000, 'the line to see the server again');
      expect(link.epoch()).toBe(before + 1);
      // A pooled query cut in the outage reports it only now: nothing changes.
      link.lost(cut, before);
      expect(link.availability().available).toBe(true);
      // A query begun since the return that fails for want of the server: away, then back once the line answers.
      link.lost(cut, link.epoch());
      expect(link.availability().available).toBe(false);
      await until(() => link.availability().available, 5000, 'the line to answer again');
      expect(changes).toEqual([false, true, false, true]);
    } finally {
      await link.close();
    }
  }, 30_000);
});
