/**
 * `npm run bench postgres-drivers`: the same `PostgresStore` over node-postgres (`pg`) and
 * postgres.js (`postgres`), on a private PostgreSQL server (fsync and synchronous_commit
 * on), to choose the engine's driver. The SQLite store on the same machine is measured in
 * the same run for scale.
 *
 * - accept: `store.accept` of a 4 KB message to one recipient (a fresh Message-ID, so a
 *   `seen` row each), 32 at once; with group commit (the default) and without it (one
 *   transaction per accept, many connections);
 * - claim: `claimDue` of 16 due deliveries at a time by 4 workers, until 4,000 queued ones
 *   are all claimed;
 * - claim + outcome: the delivery path's store work, 4 workers each claiming 8 and writing
 *   their outcomes (`recordOutcomes`, message settled).
 *
 * Every figure is the median of BENCH_RUNS runs (default 5), the variants measured in turn
 * run after run after one warm-up run each; a fresh schema (or SQLite file) per run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, ratePerSecond, ratio, type Measurement } from './harness.js';
import { postgresUnavailable, startPostgres } from '../test/support/postgres-server.js';
import { PostgresStore } from '../storage/postgres/postgres-store.js';
import { migratePostgres } from '../storage/postgres/database.js';
import { nodePostgresClient } from '../storage/postgres/node-postgres-client.js';
import { postgresJsClient } from './support/postgres-js-client.js';
import type { SqlClient, SqlClientOptions } from '../storage/postgres/sql-client.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { MessageStore } from '../core/ports/message-store.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const POOL = 10;
const raw = new Uint8Array(4096).fill(0x41);

const DRIVERS: { name: string; make: (url: string, o: SqlClientOptions) => SqlClient }[] = [
  { name: 'node-postgres', make: nodePostgresClient },
  { name: 'postgres.js', make: postgresJsClient },
];

let schemas = 0;
async function pgStore(url: string, driver: (typeof DRIVERS)[number], groupCommit: boolean): Promise<PostgresStore> {
  const schema = `bench_${++schemas}`;
  await migratePostgres(url, schema);
  // Without group commit, each write is a transaction of its own, as many at once as the pool has sessions.
  return new PostgresStore(driver.make(url, { max: POOL, schema }), { groupCommit, maxWriters: groupCommit ? 1 : POOL });
}

let seq = 0;
const acceptOne = (store: MessageStore, now: number, routed = false) =>
  store.accept({
    source: 'mssante', mailFrom: 'a@x.mssante.fr', recipients: ['b@y.lnp.test'], messageId: `<${++seq}@bench>`, raw,
    ...(routed ? { routes: { 'b@y.lnp.test': { network: 'legacy' as const, address: 'b@y.lnp.test' } } } : {}),
  }, now);

async function acceptRate(open: () => Promise<MessageStore>): Promise<number> {
  const store = await open();
  try {
    return await ratePerSecond(() => acceptOne(store, Date.now()), 32, SECONDS);
  } finally {
    await store.close();
  }
}

/** Fills a store with `n` queued deliveries (routed at acceptance), in batches. */
async function fill(store: MessageStore, n: number): Promise<void> {
  for (let i = 0; i < n; i += 200) await Promise.all(Array.from({ length: Math.min(200, n - i) }, () => acceptOne(store, 1, true)));
}

async function claimRate(open: () => Promise<MessageStore>, withOutcome: boolean): Promise<number> {
  const store = await open();
  try {
    const total = 4000;
    await fill(store, total);
    let claimed = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 4 }, async (_, w) => {
      const by = { owner: `bench/${w}`, leaseMs: 60_000 };
      for (;;) {
        const ds = await store.claimDue(2, withOutcome ? 8 : 16, by);
        if (ds.length === 0) return;
        claimed += ds.length;
        if (withOutcome) {
          await Promise.all(ds.map((d) => store.recordOutcomes(d.messageRef, [{ deliveryId: d.id, state: 'delivered', reply: '250 ok' }], [], 3)));
        }
      }
    }));
    if (claimed !== total) throw new Error(`claimed ${claimed} of ${total}`);
    return claimed / ((performance.now() - t0) / 1000);
  } finally {
    await store.close();
  }
}

/**
 * Measures several variants run after run, in turn (A B C, A B C…), so that the load of a
 * shared machine falls on all of them alike; prints each one's runs and median.
 */
async function interleaved(unit: string, variants: { name: string; run: () => Promise<number> }[]): Promise<Measurement[]> {
  const runs = variants.map(() => [] as number[]);
  for (const v of variants) await v.run(); // warm-up: connections, prepared statements, plans
  for (let i = 0; i < RUNS; i++) for (const [k, v] of variants.entries()) runs[k]!.push(await v.run());
  return variants.map((v, k) => {
    const m = { name: v.name, unit, runs: runs[k]!, median: median(runs[k]!) };
    process.stdout.write(`    ${v.name}: runs ${m.runs.map((x) => x.toFixed(0)).join(', ')} ${unit} → median ${m.median.toFixed(0)} ${unit}\n`);
    return m;
  });
}

export default async function main(): Promise<void> {
  const why = postgresUnavailable();
  if (why) {
    process.stdout.write(`  skipped: ${why}\n`);
    return;
  }
  const server = await startPostgres({ settings: { max_connections: '200' } });
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-bench-pg-'));
  try {
    const url = await server.createDatabase('bench');
    let sqliteN = 0;
    const sqlite = async () => SqliteStore.open(join(dir, `s${++sqliteN}.db`));
    const [pgD, jsD] = DRIVERS as [(typeof DRIVERS)[number], (typeof DRIVERS)[number]];

    process.stdout.write(`  accept, 4 KB, 32 at once, ${SECONDS} s a run (accepts/s):\n`);
    const [pgG, jsG, pgT, jsT, sq] = await interleaved('accepts/s', [
      { name: `${pgD.name}, group commit`, run: () => acceptRate(() => pgStore(url, pgD, true)) },
      { name: `${jsD.name}, group commit`, run: () => acceptRate(() => pgStore(url, jsD, true)) },
      { name: `${pgD.name}, a transaction each`, run: () => acceptRate(() => pgStore(url, pgD, false)) },
      { name: `${jsD.name}, a transaction each`, run: () => acceptRate(() => pgStore(url, jsD, false)) },
      { name: 'SQLite (group commit, fsync)', run: () => acceptRate(sqlite) },
    ]) as [Measurement, Measurement, Measurement, Measurement, Measurement];
    process.stdout.write(`  claim, 16 at a time, 4 workers, 4000 deliveries (claims/s):\n`);
    const [pgC, jsC] = await interleaved('claims/s', [
      { name: pgD.name, run: () => claimRate(() => pgStore(url, pgD, true), false) },
      { name: jsD.name, run: () => claimRate(() => pgStore(url, jsD, true), false) },
    ]) as [Measurement, Measurement];
    process.stdout.write(`  claim 8 + outcomes, 4 workers, 4000 deliveries (deliveries/s):\n`);
    const [pgO, jsO, sqO] = await interleaved('deliveries/s', [
      { name: `${pgD.name} (claim + outcome)`, run: () => claimRate(() => pgStore(url, pgD, true), true) },
      { name: `${jsD.name} (claim + outcome)`, run: () => claimRate(() => pgStore(url, jsD, true), true) },
      { name: 'SQLite (claim + outcome)', run: () => claimRate(sqlite, true) },
    ]) as [Measurement, Measurement, Measurement];
    process.stdout.write('  ratios:\n');
    for (const line of [
      ratio(jsG, pgG), ratio(jsT, pgT), ratio(jsC, pgC), ratio(jsO, pgO),
      ratio(pgG, pgT), ratio(jsG, jsT), ratio(pgG, sq), ratio(pgO, sqO),
    ]) process.stdout.write(`    ${line}\n`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
