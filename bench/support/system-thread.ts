/**
 * The system under measurement, on a thread of its own (its own event loop, its own core),
 * so the load clients and the peers of the benchmark do not share its thread:
 * - `gateway`: `startGateway` on the given configuration, with recipient certificates from a
 *   static table (as the directory would give them);
 * - `bare`: a bare smtp-server → nodemailer relay to `sinkPort` (the baseline).
 * Replies `{ ports }` once listening; on 'profile-start'/'profile-stop' records a CPU profile
 * of this thread; on 'stages-start'/'stages-stop' profiles it and replies its CPU per stage
 * (`stage-profile.ts`, scaled to the thread's CPU over the pass) with the CPU of the threads the system started (the translate worker);
 * on 'cpu' replies this thread's CPU time so far (ms); on 'stop' closes everything and
 * replies 'stopped'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { SMTPServer } from 'smtp-server';
import nodemailer from 'nodemailer';
import { loadConfig } from '../../app/config/load-config.js';
import { startGateway } from '../../app/node/start-gateway.js';
import { silentLogger } from '../../core/log/logger.js';
import type { Route, RouteResolver } from '../../core/ports/route-resolver.js';
import { scaledToCpu, stageBreakdown, type CpuProfile } from './stage-profile.js';
import { taskCpuMs, taskIds, threadCpuMs } from './thread-cpu.js';

export type SystemJob =
  | { kind: 'gateway'; overrides: Record<string, unknown>; routes: Record<string, Route> }
  | { kind: 'bare'; sinkPort: number };

const job = workerData as SystemJob;
const port = parentPort!;

async function startBare(sinkPort: number): Promise<{ ports: Record<string, number>; stop(): Promise<void> }> {
  const forward = nodemailer.createTransport({ pool: true, maxConnections: 8, maxMessages: Infinity, host: '127.0.0.1', port: sinkPort, secure: false, ignoreTLS: true });
  let seq = 0;
  const bare = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, size: 50 << 20,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      const envelope = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) };
      stream.on('end', () => {
        const id = `<bare-${seq++}@relay.test>`;
        const raw = Buffer.concat([Buffer.from(`Message-ID: ${id}\r\n`), Buffer.concat(chunks)]);
        cb(null, `Ok: queued as ${id}`);
        forward.sendMail({ envelope, raw }).catch((err: Error) => process.stderr.write(`bare relay: ${err.message}\n`));
      });
    },
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  return {
    ports: { bare: (bare.server.address() as AddressInfo).port },
    stop: async () => { forward.close(); await new Promise<void>((r) => bare.close(() => r())); },
  };
}

async function startSystem() {
  if (job.kind === 'bare') return startBare(job.sinkPort);
  const table: RouteResolver = {
    resolve: async (a) => job.routes[a.toLowerCase()] ?? null,
    aliasFor: async () => null,
  };
  const running = await startGateway(loadConfig({ env: {}, overrides: job.overrides as never }), { log: silentLogger, noHttp: true, resolvers: [table] });
  return { ports: running.ports as unknown as Record<string, number>, stop: () => running.stop() };
}


const before = new Set(taskIds());
const system = await startSystem();
// Threads the system started (the translate worker; Linux only): their CPU is reported beside the profile.
const started = taskIds().filter((t) => !before.has(t));
const startedCpuMs = () => started.reduce((a, t) => a + taskCpuMs(t), 0);
let session: Session | null = null;
let delay: IntervalHistogram | null = null;
let stagesFrom = 0;
let selfFrom = 0;
port.on('message', async (m: { cmd: string; file?: string }) => {
  if (m.cmd === 'profile-start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    port.postMessage({ ok: true });
  } else if (m.cmd === 'profile-stop' && session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(m.file!, JSON.stringify(profile));
    session.disconnect();
    session = null;
    port.postMessage({ ok: true });
  } else if (m.cmd === 'stages-start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    stagesFrom = startedCpuMs();
    selfFrom = threadCpuMs();
    port.postMessage({ ok: true });
  } else if (m.cmd === 'stages-stop' && session) {
    const { profile } = await session.post('Profiler.stop');
    const startedMs = startedCpuMs() - stagesFrom;
    const selfMs = threadCpuMs() - selfFrom;
    session.disconnect();
    session = null;
    const sampled = stageBreakdown(profile as unknown as CpuProfile);
    port.postMessage({ stages: scaledToCpu(sampled, selfMs), sampledMs: Object.values(sampled).reduce((a, b) => a + b, 0), startedMs, startedThreads: started.length });
  } else if (m.cmd === 'delay-start') {
    delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    port.postMessage({ ok: true });
  } else if (m.cmd === 'delay-stop' && delay) {
    delay.disable();
    port.postMessage({ p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 });
    delay = null;
  } else if (m.cmd === 'cpu') {
    port.postMessage({ cpuMs: threadCpuMs() });
  } else if (m.cmd === 'stop') {
    await system.stop();
    port.postMessage({ stopped: true });
  }
});
port.postMessage({ ports: system.ports });
