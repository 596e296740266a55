/**
 * The store side of one message's path, alone: the SQLite message store driven through the
 * calls the pipeline makes for a legacy → national message (accept with the worker's claim,
 * content claim, routing, delivery claim, envelope, outcome, the notices' reads and mark),
 * 32 messages in flight, on a file with durability FULL. Figure: this thread's CPU per
 * message (`/proc/thread-self/stat`; the WAL's fsync runs in the thread pool and is not
 * counted), less sensitive to a busy machine than a rate. BENCH_MESSAGES (default 3000),
 * BENCH_RUNS (default 3).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { measure } from './harness.js';
import { threadCpuMs } from './support/thread-cpu.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 3000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const IN_FLIGHT = 32;


async function onePass(dir: string, run: number): Promise<number> {
  const store = SqliteStore.open(join(dir, `store-${run}.db`));
  const raw = new Uint8Array(10 * 1024).fill(65);
  const by = { owner: 'bench/1', leaseMs: 60_000 };
  const rcpt = 'jean.dupont.med@interop.lnp.test';
  let now = Date.now();
  const one = async (i: number) => {
    const messageId = `<store-${run}-${i}@medical33.lnp.test>`;
    const { id } = await store.accept({ source: 'legacy', mailFrom: 'labo@medical33.lnp.test', recipients: [rcpt], messageId, raw, claimedBy: by }, now);
    await store.claimContent(id, { network: 'legacy', messageId, digest: `sha256:${i}`, recipients: [rcpt] }, now);
    await store.recordRouting(id, {
      routes: [{ recipient: rcpt, network: 'mssante', address: 'jean.dupont@medecin.mssante.fr' }], failures: [],
      events: [{ stage: 'open', level: 'info', detail: 'opened: lab report, 12 result(s), 0 attachment(s)' }, { stage: 'route', level: 'info', detail: 'routed to mssante', recipient: rcpt }],
    }, now);
    const rows = await store.claimDue(now, IN_FLIGHT, by);
    for (const r of rows) {
      await store.envelope(r.messageRef);
      const state = await store.recordOutcomes(r.messageRef, [{ deliveryId: r.id, state: 'delivered', reply: '250 2.0.0 Ok' }], [
        { stage: 'seal', level: 'info', detail: 'sealed for mssante: 30000 bytes, 1 recipient(s)' },
        { stage: 'deliver', level: 'info', detail: '250 2.0.0 Ok', recipient: r.recipient },
      ], now);
      if (state === 'done') {
        await store.envelope(r.messageRef);
        await store.deliveries(r.messageRef);
        await store.noticesQueued(r.messageRef);
      }
    }
  };
  const cpu0 = threadCpuMs();
  for (let i = 0; i < MESSAGES; i += IN_FLIGHT) {
    now += 1;
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, MESSAGES - i) }, (_, k) => one(i + k)));
  }
  const ms = threadCpuMs() - cpu0;
  await store.close();
  return (ms * 1000) / MESSAGES;
}

export default async function storePath(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-bench-store-'));
  try {
    process.stdout.write(`store path: ${MESSAGES} messages (10 KB raw, one recipient), ${IN_FLIGHT} in flight, SQLite, durability FULL\n`);
    await measure('store CPU per message on this thread', 'µs', RUNS, (i) => onePass(dir, i));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
