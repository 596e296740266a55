/**
 * The worker's claims of due deliveries, over a real store (SQLite in memory) whose claims
 * take a while to answer, as a database's do across the network.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { webCryptoSha256 } from '../../lib/sha256.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { OpenedCache, type PipelineContext } from '../../core/pipeline/context.js';
import { Worker } from '../../core/pipeline/worker.js';
import { passThroughTranslator } from '../../core/ports/translator.js';
import { RetrySchedule } from '../../core/queue/retry-schedule.js';
import { silentLogger } from '../../core/log/logger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('worker', () => {
  let store: SqliteStore;
  afterEach(() => store.closeNow());

  it('makes one claim at a time: the wakes that come while it is on its way make one more claim after it', async () => {
    store = SqliteStore.open(':memory:');
    const real = store.claimDue.bind(store);
    let claims = 0;
    store.claimDue = async (...args) => {
      claims++;
      await sleep(40);
      return real(...args);
    };
    const ctx: PipelineContext = {
      store, adapters: {}, translator: passThroughTranslator, log: silentLogger,
      observer: { accepted: () => {}, outcome: () => {}, quarantined: () => {}, timing: () => {} },
      resolver: { resolve: async () => null, aliasFor: async () => null },
      schedule: RetrySchedule.from({ delays: ['5m'], maxAge: '1h' }), clock: { now: () => Date.now() }, domain: 'gw.test', sha256: webCryptoSha256,
      opened: new OpenedCache(), stats: { accepted: 0, opened: 0, delivered: 0, failed: 0, quarantined: 0 },
      settled: () => {}, wake: () => {},
    };
    const worker = new Worker(ctx, { node: 'n1', concurrency: 8, leaseMs: 60_000, pollMs: 600_000, held: false });
    await worker.start();
    await sleep(100); // the start's own claim
    claims = 0;
    worker.wake();
    await sleep(5); // that claim is on its way
    for (let burst = 0; burst < 3; burst++) {
      for (let i = 0; i < 10; i++) worker.wake();
      await sleep(5);
    }
    await sleep(150);
    // Before: each burst started a claim of its own (four).
    expect(claims).toBe(2);
    await worker.stop();
  });
});
