/**
 * Legacy ingest: 10 KB LNP/1 mails over 16 connections, from the first byte until every
 * message is committed (250) and opened, against a bare smtp-server sink measured in the
 * same run with the same client, their runs alternating (a round: the sink, then the gateway); both timed from the client's first connection. Targets: ≥ 500 messages/s, ≥ 30 % of the sink's rate (issue 16; it was 50 %). BENCH_WARMUP (default 1): unmeasured runs of each side first.
 *
 * Stage breakdown: then a separate run of BENCH_STAGE_MESSAGES mails (default 1000) with the
 * gateway's thread (this one; the load client is on a worker) profiled from its first byte
 * to the last message opened, kept out of the figures above; prints that thread's CPU per
 * message for each stage (`support/stage-profile.ts`: the profile's shares of the thread's CPU
 * measured by the OS). BENCH_STAGES=0 skips it; BENCH_PROFILE_OUT=FILE keeps its profile.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { makeKeyFolders, ALIASES } from '../test/support/legacy-world.js';
import { loadKeyFolder } from '../adapters/legacy/key-folder.js';
import { sealLnpMail } from '../adapters/legacy/lnp-codec.js';
import { loadConfig } from '../app/config/load-config.js';
import { startGateway } from '../app/node/start-gateway.js';
import { silentLogger } from '../core/log/logger.js';
import { ratio, report } from './harness.js';
import { runLoadInWorker } from './support/run-load.js';
import { Session } from 'node:inspector/promises';
import { formatBreakdown, scaledToCpu, stageBreakdown, type CpuProfile } from './support/stage-profile.js';
import { threadCpuMs } from './support/thread-cpu.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 3000);
const CONNECTIONS = 16;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** Unmeasured runs of each side before its measured ones (`BENCH_WARMUP`). */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const STAGE_MESSAGES = Number(process.env.BENCH_STAGE_MESSAGES ?? 1000);
const RCPT = 'jean.dupont.med@interop.lnp.test';
const FROM = 'cab.dupuis@medical33.lnp.test';

export async function sealedMails(keysDir: string): Promise<Uint8Array[]> {
  const { store } = await loadKeyFolder(keysDir);
  const year = new Date().getUTCFullYear();
  const line = 'Texte de test pour le banc de mesure, ligne de soixante-dix caract.\r\n';
  const text = line.repeat(Math.ceil(7400 / line.length));
  return Promise.all(Array.from({ length: MESSAGES }, async (_, i) => {
    const { raw } = await sealLnpMail(store, {
      holder: 'passerelle', year, from: FROM, to: [RCPT], cc: [], subject: `Bench ${i}`,
      messageId: `<bench-${i}-${Date.now()}@medical33.lnp.test>`, date: new Date(), text, attachments: [],
      extraHeaders: { 'X-LNP-Transit': 'relay1' },
    });
    return raw;
  }));
}

/** The process's CPU (every thread: gateway, workers, libuv's pool, the load client) per message, per measured run. */
const cpuPerMessage = { sink: [] as number[], gateway: [] as number[] };
/** Each measured run's acceptance latency (end of data to reply, ms: p50, p90, p99), as the load client saw it. */
const acceptMs = { sink: [] as [number, number, number][], gateway: [] as [number, number, number][] };
const cpuSince = (start: NodeJS.CpuUsage, messages: number): number => {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000 / messages;
};

async function bareSinkRate(mails: Uint8Array[]): Promise<number> {
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, size: 30 * 1024 * 1024,
    onData(stream, _s, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => cb(null, 'Ok'));
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  const cpu0 = process.cpuUsage();
  const r = await runLoadInWorker({ host: '127.0.0.1', port, connections: CONNECTIONS, mailFrom: FROM, rcptTo: RCPT, messages: mails });
  cpuPerMessage.sink.push(cpuSince(cpu0, mails.length));
  acceptMs.sink.push(r.acceptMs);
  await new Promise<void>((res) => server.close(() => res()));
  if (r.failed) throw new Error(`sink refused ${r.failed}`);
  return (r.ok / r.ms) * 1000;
}


/** Called once the gateway listens and once every mail is opened (the profiled pass). */
interface Window { start(): Promise<void>; stop(): Promise<void> }

export async function gatewayRate(root: string, keysDir: string, mails: Uint8Array[], run: number, window?: Window): Promise<number> {
  const dataDir = join(root, `data-${run}`);
  const config = loadConfig({ env: {}, overrides: { dataDir, durability: (process.env.BENCH_DURABILITY ?? 'FULL'), legacy: { keyDir: keysDir, listen: { port: 0 } }, mssante: { listen: { port: 0 } }, aliases: ALIASES, http: { port: 0 }, ...(process.env.BENCH_WORKERS && { queue: { translateWorkers: Number(process.env.BENCH_WORKERS) } }) } as never });
  const gw = await startGateway(config, { log: silentLogger, noHttp: true, holdDeliveries: true });
  // Its pipeline threads loaded first: a gateway takes mail for months; their start is not ingest work.
  await gw.threadsLoaded();
  await window?.start();
  const cpu0 = process.cpuUsage();
  const r = await runLoadInWorker({ host: '127.0.0.1', port: gw.ports.legacy, connections: CONNECTIONS, mailFrom: FROM, rcptTo: RCPT, messages: mails });
  while (gw.gateway.stats.opened < mails.length) await new Promise((res) => setTimeout(res, 2));
  // From the load client's first connection, as the sink's rate (not from before its thread loaded).
  const ms = performance.timeOrigin + performance.now() - r.startedAt;
  if (!window) {
    cpuPerMessage.gateway.push(cpuSince(cpu0, mails.length));
    acceptMs.gateway.push(r.acceptMs);
  }
  await window?.stop();
  const quarantined = gw.gateway.stats.quarantined;
  await gw.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (r.failed || quarantined) throw new Error(`gateway refused ${r.failed}, quarantined ${quarantined}`);
  return (mails.length / ms) * 1000;
}

export default async function legacyIngest(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'passerelle-bench-'));
  try {
    const keys = await makeKeyFolders(root);
    const mails = await sealedMails(keys.all);
    process.stdout.write(`legacy ingest: ${MESSAGES} messages of ${Math.round(mails[0].byteLength / 1024)} KB, ${CONNECTIONS} connections, ${RUNS} runs each, alternating (durability ${process.env.BENCH_DURABILITY ?? 'FULL'}${process.env.BENCH_WORKERS ? `, ${process.env.BENCH_WORKERS} pipeline threads` : ''})\n`);
    // One unmeasured run of each first: V8 compiles the hot paths on its background threads meanwhile.
    for (let i = 0; i < WARMUP; i++) await bareSinkRate(mails);
    for (let i = 0; i < WARMUP; i++) await gatewayRate(root, keys.gateway, mails, RUNS + i);
    // Then rounds, the sink then the gateway in each, so that a slow minute of this shared machine
    // weighs on both alike; the ratio is also given per round.
    const sinkRuns: number[] = [];
    const gwRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      sinkRuns.push(await bareSinkRate(mails));
      gwRuns.push(await gatewayRate(root, keys.gateway, mails, i));
    }
    const sink = report('bare smtp-server sink', 'msg/s', sinkRuns);
    const gw = report('gateway ingest (accept, commit, open)', 'msg/s', gwRuns);
    process.stdout.write(`  each round, gateway / sink: ${gwRuns.map((g, i) => ((g / sinkRuns[i]) * 100).toFixed(1)).join(', ')} %\n`);
    // The last RUNS of each list: the measured runs (the warm-up runs come first).
    const runsOf = (xs: number[]) => xs.slice(-RUNS).map((x) => x.toFixed(2)).join(', ');
    process.stdout.write(`  CPU per message, the whole process (load client included), measured runs: sink ${runsOf(cpuPerMessage.sink)} ms; gateway ${runsOf(cpuPerMessage.gateway)} ms\n`);
    const latencies = (xs: [number, number, number][]) => xs.slice(-RUNS).map((l) => l.map((x) => x.toFixed(1)).join('/')).join(', ');
    process.stdout.write(`  end of data to reply, p50/p90/p99 ms, measured runs: sink ${latencies(acceptMs.sink)}; gateway ${latencies(acceptMs.gateway)} (its 250 waits for the commit's fsync)\n`);
    process.stdout.write(`  ${ratio(gw, sink)}   targets: ≥ 500 msg/s (${gw.median >= 500 ? 'met' : 'NOT met'}), ≥ 30% of the sink (${gw.median >= sink.median * 0.3 ? 'met' : 'NOT met'})\n`);
    if (process.env.BENCH_STAGES !== '0' && STAGE_MESSAGES > 0) {
      const some = mails.slice(0, STAGE_MESSAGES);
      const session = new Session();
      session.connect();
      let profile: CpuProfile | null = null;
      let cpu = 0;
      await gatewayRate(root, keys.gateway, some, RUNS, {
        start: async () => { await session.post('Profiler.enable'); await session.post('Profiler.start'); cpu = -threadCpuMs(); },
        stop: async () => { cpu += threadCpuMs(); profile = (await session.post('Profiler.stop')).profile as unknown as CpuProfile; },
      });
      session.disconnect();
      // BENCH_PROFILE_OUT=FILE keeps the profile (a `.cpuprofile`, for DevTools) for a closer look.
      if (process.env.BENCH_PROFILE_OUT) writeFileSync(process.env.BENCH_PROFILE_OUT, JSON.stringify(profile));
      const sampled = stageBreakdown(profile!);
      const busy = Object.values(sampled).reduce((a, b) => a + b, 0);
      process.stdout.write(`  stages (profiled run of ${some.length} messages; CPU ms per message on the gateway's thread): ${formatBreakdown(scaledToCpu(sampled, cpu), some.length)} ` +
        `(profile's busy time ${(busy / some.length).toFixed(2)})\n`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
