/**
 * The pipeline's stages as units: each is a function of a context and a job, run here over a
 * real store (SQLite in memory) with fake adapters and a fake clock: no sockets.
 */
import { webCryptoSha256 } from '../../lib/sha256.js';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { OpenedCache, type PipelineContext } from '../../core/pipeline/context.js';
import { openStage } from '../../core/pipeline/stages/open.js';
import { routeStage } from '../../core/pipeline/stages/route.js';
import { deliverStage } from '../../core/pipeline/stages/deliver.js';
import { settledNotices } from '../../core/pipeline/notices/settled.js';
import { passThroughTranslator } from '../../core/ports/translator.js';
import { RetrySchedule } from '../../core/queue/retry-schedule.js';
import { silentLogger } from '../../core/log/logger.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import { decodeOutbound } from '../../core/pipeline/outbound-codec.js';
import type { DeliveryOutcome, NetworkAdapter } from '../../core/ports/adapter.js';
import type { OpenedMessage, OutboundMessage, SealedMessage } from '../../core/model/message.js';
import type { Envelope } from '../../core/model/envelope.js';
import type { NetworkId } from '../../core/model/network.js';
import type { Route } from '../../core/ports/route-resolver.js';
import type { PipelineObserver } from '../../core/ports/observer.js';

const enc = new TextEncoder();
const W = { owner: 'test/1', leaseMs: 60_000 };

class FakeAdapter implements NetworkAdapter {
  readonly ownAddress: string;
  sealed: OutboundMessage[] = [];
  outcome: DeliveryOutcome['result'] = 'delivered';
  failOpen: GatewayError | null = null;
  constructor(readonly network: NetworkId) {
    this.ownAddress = `gateway@${network}.test`;
  }
  isNetworkAddress(a: string) { return a.endsWith(`@${this.network}.test`); }
  async open(raw: Uint8Array, envelope: Envelope): Promise<OpenedMessage> {
    if (this.failOpen) throw this.failOpen;
    return { envelope, from: envelope.mailFrom, to: envelope.recipients, cc: [], subject: 's', content: { kind: 'letter', text: new TextDecoder().decode(raw), attachments: [] }, meta: {} };
  }
  async seal(m: OutboundMessage): Promise<SealedMessage> {
    this.sealed.push(m);
    return { target: this.network, mailFrom: m.from, recipients: m.to, raw: enc.encode('sealed') };
  }
  async deliver(m: SealedMessage): Promise<DeliveryOutcome[]> {
    return m.recipients.map((r) => ({ recipient: r, result: this.outcome, reply: this.outcome === 'delivered' ? '250 ok' : this.outcome === 'temporary' ? '451 4.4.1 later' : '550 5.1.1 no' }));
  }
  async failureNotice(n: Parameters<NetworkAdapter['failureNotice']>[0]): Promise<OutboundMessage> {
    return { sourceId: n.original.id, target: this.network, from: this.ownAddress, to: [n.to], cc: [], subject: `failure: ${n.reason}`, priority: 'normal',
      content: { kind: 'letter', text: n.failures.map((f) => `${f.recipient}: ${f.reply}`).join('\n'), attachments: [] }, headers: {} };
  }
  async close() {}
}

describe('pipeline stages', () => {
  let store: SqliteStore;
  let ctx: PipelineContext;
  let now: number;
  let legacy: FakeAdapter;
  let national: FakeAdapter;
  let woken: number;
  let observed: string[];
  const observer: PipelineObserver = {
    accepted: (source) => observed.push(`accepted ${source}`),
    outcome: (from, to, result, code, latencyMs, attempt) => observed.push(`${from}>${to} ${result} ${code} ${latencyMs}ms #${attempt}`),
    quarantined: (stage, kind) => observed.push(`quarantined ${stage} ${kind}`),
    timing: (stage, network, ms) => observed.push(`${stage} ${network} ${ms >= 0 ? 'timed' : 'negative'}`),
  };
  const routes: Record<string, Route> = {
    'dr.a@interop.legacy.test': { network: 'mssante', address: 'dr.a@mssante.test', status: 'active' },
    'dr.s@interop.legacy.test': { network: 'mssante', address: 'dr.s@mssante.test', status: 'suspended' },
  };

  beforeEach(() => {
    store = SqliteStore.open(':memory:');
    now = 5_000_000;
    legacy = new FakeAdapter('legacy');
    national = new FakeAdapter('mssante');
    woken = 0;
    observed = [];
    ctx = {
      store, adapters: { legacy, mssante: national }, translator: passThroughTranslator, log: silentLogger, observer,
      resolver: {
        resolve: async (a) => routes[a.toLowerCase()] ?? null,
        aliasFor: async (a, target) => (target === 'mssante' ? a.replace('@legacy.test', '@interop.mssante.test') : null),
      },
      schedule: RetrySchedule.from({ delays: ['5m'], maxAge: '1h' }), clock: { now: () => now }, domain: 'gw.test', sha256: webCryptoSha256,
      opened: new OpenedCache(), stats: { accepted: 0, opened: 0, delivered: 0, failed: 0, quarantined: 0 },
      settled: () => {}, wake: () => void woken++,
    };
  });
  afterEach(() => store.closeNow());

  const receive = async (recipients: string[], text = 'bonjour') => {
    const raw = enc.encode(text);
    const r = await store.accept({ source: 'legacy', mailFrom: 'cab@legacy.test', recipients, messageId: null, raw, claimedBy: W }, now);
    return { id: r.id, raw, envelope: r.envelope };
  };

  it('open → route: each recipient routed or failed with its reason, in one commit', async () => {
    const job = await receive(['dr.a@interop.legacy.test', 'dr.s@interop.legacy.test', 'nobody@interop.legacy.test']);
    const opened = await openStage(ctx, job);
    expect(opened.next).toBe('route');
    if (opened.next !== 'route') return;
    expect(await routeStage(ctx, opened.job)).toBe('routed');
    const ds = await store.deliveries(job.id);
    expect(ds.map((d) => [d.state, d.lastError?.slice(0, 9) ?? null])).toEqual([['queued', null], ['failed', '550 5.2.1'], ['failed', '550 5.1.1']]);
    expect((await store.trace(job.id))!.events.every((e) => e.at === now)).toBe(true);
  });

  it('route: when the address book cannot answer, nothing is decided (no failure, no notice): the message is routed again later', async () => {
    const job = await receive(['dr.a@interop.legacy.test']);
    const opened = await openStage(ctx, job);
    if (opened.next !== 'route') throw new Error('expected route');
    const resolver = ctx.resolver;
    ctx.resolver = { resolve: async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:5432'); }, aliasFor: async () => null };
    await expect(routeStage(ctx, opened.job)).rejects.toThrow(/ECONNREFUSED/);
    expect((await store.deliveries(job.id)).map((d) => d.state)).toEqual(['pending']);
    expect((await store.message(job.id))?.state).not.toBe('done');
    ctx.resolver = resolver;
    expect(await routeStage(ctx, opened.job)).toBe('routed');
    expect((await store.deliveries(job.id)).map((d) => d.state)).toEqual(['queued']);
  });

  it('open: what cannot be opened is quarantined in one commit, and its notice follows', async () => {
    legacy.failOpen = new GatewayError('DECRYPT_FAILED', { detail: 'no key for 2019' });
    const job = await receive(['dr.a@interop.legacy.test']);
    expect((await openStage(ctx, job)).next).toBe('quarantined');
    expect(await store.message(job.id)).toMatchObject({ state: 'quarantined', stage: 'open', reply: '550 5.7.5 Message could not be decrypted' });
    const [due] = await store.noticesDue(10);
    await settledNotices(ctx, due!);
    const notices = await store.listMessages('routed', 10);
    expect(notices).toHaveLength(1);
    const notice = decodeOutbound((await store.raw(notices[0]!.id))!);
    expect(notice.to).toEqual(['cab@legacy.test']);
    expect(notice.content.text).toContain('550 5.7.5');
    expect(await store.noticesDue(10)).toEqual([]);
    await settledNotices(ctx, due!); // again (another node, a restart): keyed, not queued twice
    expect(await store.listMessages('routed', 10)).toHaveLength(1);
  });

  it('deliver: translates, seals, hands over and records; a temporary refusal is retried on the schedule', async () => {
    const job = await receive(['dr.a@interop.legacy.test']);
    const o = await openStage(ctx, job);
    if (o.next === 'route') await routeStage(ctx, o.job);
    national.outcome = 'temporary';
    let rows = await store.claimDue(now, 10, W);
    expect(await deliverStage(ctx, { rows })).toBe('routed');
    expect(national.sealed[0]).toMatchObject({ from: 'cab@interop.mssante.test', to: ['dr.a@mssante.test'], headers: { 'Message-ID': `<${job.id}.mssante@gw.test>` } });
    expect((await store.deliveries(job.id))[0]).toMatchObject({ state: 'queued', nextAttemptAt: now + 5 * 60_000, attempts: 1 });
    now += 5 * 60_000;
    national.outcome = 'delivered';
    rows = await store.claimDue(now, 10, W);
    expect(await deliverStage(ctx, { rows })).toBe('done');
    expect((await store.deliveries(job.id))[0]).toMatchObject({ state: 'delivered', attempts: 2 });
    // Each attempt observed with its networks, reply code, latency from acceptance and number; translate, seal, hand-over timed.
    expect(observed).toEqual([
      'translate mssante timed', 'seal mssante timed', 'handover mssante timed', 'legacy>mssante deferred 451 0ms #1',
      'translate mssante timed', 'seal mssante timed', 'handover mssante timed', 'legacy>mssante delivered 250 300000ms #2',
    ]);
  });

  it('deliver: a sender with no address on the target network quarantines the message (stage route)', async () => {
    ctx.resolver.aliasFor = async () => null;
    const job = await receive(['dr.a@interop.legacy.test']);
    const o = await openStage(ctx, job);
    if (o.next === 'route') await routeStage(ctx, o.job);
    const rows = await store.claimDue(now, 10, W);
    expect(await deliverStage(ctx, { rows })).toBe('quarantined');
    expect(await store.message(job.id)).toMatchObject({ state: 'quarantined', stage: 'route', reply: '553 5.1.7 Sender address rejected' });
    expect((await store.deliveries(job.id))[0]!.state).toBe('quarantined');
    expect(national.sealed).toEqual([]);
    expect(observed).toEqual(['quarantined route BAD_SENDER']);
  });

  it('a permanent refusal settles the message and its sender gets one failure notice', async () => {
    const job = await receive(['dr.a@interop.legacy.test']);
    const o = await openStage(ctx, job);
    if (o.next === 'route') await routeStage(ctx, o.job);
    national.outcome = 'permanent';
    expect(await deliverStage(ctx, { rows: await store.claimDue(now, 10, W) })).toBe('done');
    await settledNotices(ctx, (await store.noticesDue(10))[0]!);
    const [n] = await store.listMessages('routed', 10);
    expect(decodeOutbound((await store.raw(n!.id))!).content.text).toBe('dr.a@interop.legacy.test: 550 5.1.1 no');
    expect(observed).toContain('legacy>mssante failed 550 0ms #1');
    expect(woken).toBeGreaterThan(0);
  });
});
