/**
 * Each direction end to end, 10 KB lab reports, sign + encrypt, against a bare
 * smtp-server → nodemailer relay measured in the same run:
 * - legacy → national: mails as the relay forwards them (LNP/1, sealed for the gateway) into
 *   the legacy listener; out over mutual TLS to a national operator, HPRIM mapped to CR-BIO +
 *   XDM, signed and encrypted for the recipient's certificate;
 * - national → legacy: S/MIME signed-and-encrypted mails from an operator over mutual TLS
 *   into the national listener; decrypted, verified, mapped, sealed LNP/1, submitted to a relay.
 * BENCH_TRANSLATE_WORKERS sets the gateway's translate workers (default 1).
 * The gateway (and the bare relay) run on a thread of their own, the clients and peers on the
 * main thread, as they would be separate machines.
 * Figures: throughput (messages/s, all sent at once over 8 connections) and latency p50/p99
 * at a fixed offered load of 100 messages/s. Targets (issue 16): ≥ 45 % of the bare relay each way, p99 ≤ 100 ms.
 *
 * Then the engines (issue 12), legacy → national, where PostgreSQL is installed: the same
 * gateway on SQLite, on PostgreSQL (one node), and as two nodes on one PostgreSQL (two gateway
 * threads, the traffic spread over both), in the same run, with their ratios to SQLite.
 * Target: one PostgreSQL node ≥ 70 % of the SQLite node; p99 at 100 msg/s ≤ 250 ms.
 * BENCH_ENGINES=0 skips that part; BENCH_ENGINES=only runs it alone.
 * BENCH_WARMUP (default 2): unmeasured throughput runs before each system's measured ones (BENCH_RUNS, default 3):
 * the measured runs alternate (a round: the bare relay, then the gateway each way; or each engine in
 * turn), so that this shared machine's slow minutes weigh on all alike, and ratios are given per round.
 * BENCH_TASKS=1 prints each thread's CPU per message for every run (thread ids: the main thread,
 * then V8's platform threads, libuv's pool, the system's thread and its translate worker).
 * BENCH_DUMP_LATENCIES=PREFIX writes each paced run's [sent at, latency] pairs (ms) to PREFIX.TIME.json.
 * BENCH_KEEP=1 keeps the work folder (the gateway's database: each message's events and their times).
 *
 * Stage breakdown: after each direction's measured runs, a separate pass of
 * BENCH_STAGE_MESSAGES fresh messages (default 200) runs with the gateway's thread profiled
 * (kept out of the throughput figures: the profiler costs some CPU) and prints that thread's
 * CPU per message for each stage (`support/stage-profile.ts`: the profile's shares of the
 * thread's CPU measured by the OS over the pass), and the CPU of the threads the
 * gateway started (the translate worker). BENCH_STAGES=0 skips it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import nodemailer from 'nodemailer';
import { makeTestCa, issueOperatorCertificate, trustListXml } from '../app/test-material/test-pki.js';
import { bodyPart, headerBlock } from '../lib/mime/mime-writer.js';
import { writeTestKeyFolder, loadKeyFolder } from '../adapters/legacy/key-folder.js';
import { sealLnpMail } from '../adapters/legacy/lnp-codec.js';
import { parseTrustList } from '../adapters/mssante/trust-list/trust-list.js';
import { mssanteTlsOptions } from '../adapters/mssante/tls/tls-options.js';
import { identityFromPem } from '../adapters/mssante/tls/identity.js';
import { parseAnchors } from '../adapters/mssante/tls/anchors.js';
import { SmimeSigner } from '../adapters/mssante/smime/sign.js';
import { protectEntity } from '../adapters/mssante/smime/protect.js';
import { smimeRecipient } from '../adapters/mssante/smime/encrypt.js';
import { hprimToNational } from '../mappings/bridge/hprim-to-national.js';
import { startSystemThread, type SystemThread } from './support/run-system.js';
import { startNationalOperator } from '../test/simulators/national-operator.js';
import { DEMO_HPRIM } from '../app/demo/demo-samples.js';
import { report10k } from './support/lab-report.js';
import { median, percentile } from './harness.js';
import { formatBreakdown } from './support/stage-profile.js';
import { formatTaskDeltas, processTreeCpuMs, taskTimes, threadCpuMs } from './support/thread-cpu.js';
import { postgresUnavailable, startPostgres } from '../test/support/postgres-server.js';

const N = Number(process.env.BENCH_MESSAGES ?? 600);
const RATE = 100;
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 5);
const GW = 'passerelle.mssante.test';
const OP = 'medecin.mssante.fr';

interface Sink { port: number; arrivals: Map<string, number>; close(): Promise<void> }

/** An SMTP server that notes when each message (by its Message-ID) arrived. */
async function startSink(opts: { auth?: boolean } = {}): Promise<Sink> {
  const arrivals = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: !opts.auth, disabledCommands: opts.auth ? ['STARTTLS'] : ['AUTH', 'STARTTLS'], logger: false, size: 50 << 20,
    allowInsecureAuth: true,
    onAuth: (_a, _s, cb) => cb(null, { user: 'passerelle' }),
    onData(stream, _s, cb) {
      let head = '';
      stream.on('data', (c: Buffer) => { if (head.length < 4096) head += c.toString('latin1'); });
      stream.on('end', () => {
        const id = head.match(/^Message-ID:\s*(<[^>]+>)/im)?.[1];
        if (id) arrivals.set(id, performance.now());
        cb(null, 'Ok');
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.server.address() as AddressInfo).port, arrivals, close: () => new Promise((r) => server.close(() => r())) };
}

async function waitUntil(cond: () => boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('bench: timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

type Sender = (raw: Uint8Array) => Promise<string>;

/** Sends every message at once (throughput) or at RATE per second (latency); returns figures. */
async function drive(messages: Uint8Array[], send: Sender, arrivedAt: (reply: string) => number | undefined, paced: boolean, system: SystemThread, server?: () => number) {
  const sentAt = new Map<string, number>();
  const cpu0 = process.cpuUsage();
  const thread0 = await system.cpuMs();
  const main0 = threadCpuMs();
  const server0 = server?.() ?? Number.NaN;
  const tasks0 = process.env.BENCH_TASKS ? taskTimes() : null;
  const t0 = performance.now();
  const allArrived = () => waitUntil(() => [...sentAt.keys()].every((k) => arrivedAt(k) !== undefined));
  const one = async (raw: Uint8Array) => {
    const at = performance.now();
    const reply = await send(raw);
    sentAt.set(reply, at);
  };
  let loop = { p99: Number.NaN, max: Number.NaN };
  if (paced) {
    loop = await system.loopDelay(async () => {
      const tasks: Promise<void>[] = [];
      for (let i = 0; i < messages.length; i++) {
        const due = t0 + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        tasks.push(one(messages[i]));
      }
      await Promise.all(tasks);
      await allArrived();
    });
  } else {
    await Promise.all(messages.map(one));
    await allArrived();
  }
  const last = Math.max(...[...sentAt.keys()].map((k) => arrivedAt(k)!));
  const latencies = [...sentAt].map(([k, at]) => arrivedAt(k)! - at);
  if (process.env.BENCH_DUMP_LATENCIES && paced) writeFileSync(`${process.env.BENCH_DUMP_LATENCIES}.${Date.now()}.json`, JSON.stringify([...sentAt].map(([k, at]) => [Math.round(at - t0), Math.round(arrivedAt(k)! - at)])));
  const cpu = process.cpuUsage(cpu0);
  const threadMs = (await system.cpuMs()) - thread0;
  const mainMs = threadCpuMs() - main0;
  const serverMs = (server?.() ?? Number.NaN) - server0;
  if (tasks0) process.stdout.write(`    threads, CPU ms per message: ${formatTaskDeltas(tasks0, taskTimes(), messages.length)}\n`);
  return {
    rate: (messages.length / (last - t0)) * 1000, p50: percentile(latencies, 50), p99: percentile(latencies, 99),
    // Every thread of this process (system under test, peers, clients), per message.
    cpuMs: (cpu.user + cpu.system) / 1000 / messages.length,
    // The system's own thread (the gateway's event loop: SMTP, queue, SQLite), per message.
    threadMs: threadMs / messages.length,
    // This thread: the peers (national operator, relay, sinks) and the SMTP clients, per message.
    peersMs: mainMs / messages.length,
    // Another process the system uses (the PostgreSQL server), per message; NaN when none.
    serverMs: serverMs / messages.length,
    // Paced runs: the system thread's event-loop delay (ms).
    loop,
  };
}

type Figures = { rate: number; p50: number; p99: number; cpuMs: number; threadMs: number; peersMs: number; serverMs: number; loop: { p99: number; max: number } };
function print(name: string, r: Figures[], paced: Figures) {
  process.stdout.write(`  ${name}: throughput runs ${r.map((x) => x.rate.toFixed(0)).join(', ')} msg/s → median ${median(r.map((x) => x.rate)).toFixed(0)} msg/s ` +
    `(CPU per message: ${median(r.map((x) => x.cpuMs)).toFixed(2)} ms in all threads with peers and clients, ${median(r.map((x) => x.threadMs)).toFixed(2)} ms on the system's event loop, ` +
    `${median(r.map((x) => x.peersMs)).toFixed(2)} ms in the peers and clients, the rest in the system's other threads: translate worker, libuv pool, GC helpers` +
    `${Number.isFinite(r[0]?.serverMs) ? `; and ${median(r.map((x) => x.serverMs)).toFixed(2)} ms in the PostgreSQL server's processes` : ''}); ` +
    `at ${RATE} msg/s offered: p50 ${paced.p50.toFixed(1)} ms, p99 ${paced.p99.toFixed(1)} ms (the system's event-loop delay p99 ${paced.loop.p99.toFixed(1)} ms, max ${paced.loop.max.toFixed(1)} ms)\n`);
}

const STAGE_MESSAGES = Number(process.env.BENCH_STAGE_MESSAGES ?? 200);

/** The profiled pass: the gateway thread's CPU per message and stage, and its translate worker's. */
async function stagePass(name: string, system: SystemThread, make: (n: number) => Promise<Uint8Array[]>, send: Sender, arrivedAt: (reply: string) => number | undefined): Promise<void> {
  if (process.env.BENCH_STAGES === '0' || STAGE_MESSAGES <= 0) return;
  const messages = await make(STAGE_MESSAGES);
  const { figures } = await system.stages(() => drive(messages, send, arrivedAt, false, system));
  process.stdout.write(`  stages, ${name} (profiled pass of ${STAGE_MESSAGES} messages; CPU ms per message on the gateway's thread): ${formatBreakdown(figures.stages, STAGE_MESSAGES)} ` +
    `(profile's busy time ${(figures.sampledMs / STAGE_MESSAGES).toFixed(2)}); threads the gateway started (translate worker): ${(figures.startedMs / STAGE_MESSAGES).toFixed(2)} ms/message\n`);
}

export default async function endToEnd(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'passerelle-bench-e2e-'));
  const year = new Date().getUTCFullYear();
  try {
    // ---- material
    const ca = makeTestCa();
    const gwDn = { cn: `mx.${GW}`, ou: '99999999999999', o: 'PASSERELLE TEST', st: 'Test (00)' };
    const opDn = { cn: `mx.${OP}`, ou: '10000000000001', o: 'OPERATEUR NATIONAL TEST', st: 'Paris (75)' };
    const gw = issueOperatorCertificate(ca, gwDn, [gwDn.cn]);
    const op = issueOperatorCertificate(ca, opDn, [opDn.cn]);
    const f = (n: string, c: string) => { const p = join(root, n); writeFileSync(p, c, { mode: 0o600 }); return p; };
    const files = { ca: f('ca.pem', ca.certPem), gwKey: f('gw-key.pem', gw.keyPem), gwCert: f('gw-cert.pem', gw.certPem), opKey: f('op-key.pem', op.keyPem), opCert: f('op-cert.pem', op.certPem) };
    const dn = (d: typeof gwDn) => `CN=${d.cn},OU=${d.ou},O=${d.o},ST=${d.st},C=FR`;
    const trustXml = trustListXml([{ name: GW, dn: dn(gwDn) }, { name: OP, dn: dn(opDn) }]);
    const trustFile = f('trust.xml', trustXml);
    const allKeys = join(root, 'keys-all');
    const gwKeys = join(root, 'keys-gw');
    await writeTestKeyFolder(allKeys, ['passerelle', 'labo.bio33', 'dr.alice.martin'], [year]);
    await writeTestKeyFolder(gwKeys, [], []);
    for (const n of [`Master.${year - 1900}`, `passerelle.${year - 1900}`]) copyFileSync(join(allKeys, n), join(gwKeys, n));
    const relayKeys = (await loadKeyFolder(allKeys)).store;

    // ---- peers: a national operator (records arrivals) and a relay that accepts submissions
    const operator = await startNationalOperator({ keyFile: files.opKey, certFile: files.opCert, anchorsFile: files.ca, trustList: parseTrustList(trustXml), serves: () => true });
    const opArrivals = new Map<string, number>();
    const relay = await startSink({ auth: true });

    // The gateway runs on a thread of its own; the national recipient publishes a certificate
    // (the gateway encrypts for it).
    const system = await startSystemThread({
      kind: 'gateway',
      routes: { 'jean.dupont.med@interop.lnp.test': { network: 'mssante', address: `jean.dupont@${OP}`, status: 'active', certificate: op.certPem } },
      overrides: {
        dataDir: join(root, 'gw'), log: { level: 'error' },
        legacy: { keyDir: gwKeys, listen: { port: 0 }, relay: { port: relay.port, password: 'x' } },
        mssante: { domain: GW, listen: { port: 0 }, anchors: files.ca, identity: { key: files.gwKey, cert: files.gwCert }, trustList: trustFile,
          routes: { [OP]: { host: '127.0.0.1', port: operator.port, tlsName: opDn.cn } } },
        legacySubscribers: ['dr.alice.martin@medical33.lnp.test'],
        aliases: { 'jean.dupont.med@interop.lnp.test': `jean.dupont@${OP}` },
        queue: { concurrency: 32, pollInterval: '50ms', translateWorkers: Number(process.env.BENCH_TRANSLATE_WORKERS ?? 1) },
      },
    });
    const running = { ports: system.ports };

    // ---- legacy → national messages (as the relay forwards them)
    const lnp = async (i: number) => (await sealLnpMail(relayKeys, {
      holder: 'passerelle', year, from: 'labo.bio33@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'], cc: [], subject: `CR ${i}`,
      messageId: `<e2e-l-${i}-${Date.now()}@medical33.lnp.test>`, date: new Date(), text: report10k(i), attachments: [], transit: 'relay1',
    })).raw;
    const legacyClient = nodemailer.createTransport({ pool: true, maxConnections: 8, maxMessages: Infinity, host: '127.0.0.1', port: running.ports.legacy, secure: false, ignoreTLS: true });
    const sendLegacy: Sender = async (raw) => {
      const info = await legacyClient.sendMail({ envelope: { from: 'labo.bio33@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'] }, raw: Buffer.from(raw) });
      return `<${info.response.match(/queued as ([0-9A-Z]{26})/)![1]}.mssante@${GW}>`;
    };
    const opArrived = (k: string) => {
      if (!opArrivals.has(k)) for (const m of operator.received.splice(0)) {
        const id = m.raw.toString('latin1', 0, 4096).match(/^Message-ID:\s*(<[^>]+>)/im)?.[1];
        if (id) opArrivals.set(id, m.at);
      }
      return opArrivals.get(k);
    };

    // ---- national → legacy messages (signed by the operator, encrypted for the gateway)
    const national = await hprimToNational(DEMO_HPRIM);
    const signer = await SmimeSigner.create({ pkcs8: identityFromPem(op.keyPem, op.certPem).pkcs8, chain: identityFromPem(op.keyPem, op.certPem).chain });
    const toGateway = await smimeRecipient(parseAnchors(new TextEncoder().encode(gw.certPem), 'gateway').certificates[0]);
    const smimeMail = async (i: number) => {
      const entity = new TextEncoder().encode(bodyPart({ text: 'Compte rendu joint.\n' + 'x'.repeat(100), attachments: [{ filename: 'IHE_XDM.ZIP', contentType: 'application/zip', data: national.xdm! }] }));
      const prot = await protectEntity(entity, { signer, recipients: [toGateway] });
      const head = new TextEncoder().encode(headerBlock({ From: `jean.dupont@${OP}`, To: `dr.alice.martin@${GW}`, Subject: 'CR', 'Message-ID': `<e2e-n-${i}-${Date.now()}@${OP}>` }) + 'MIME-Version: 1.0\r\n');
      const raw = new Uint8Array(head.length + prot.length);
      raw.set(head);
      raw.set(prot, head.length);
      return raw;
    };
    const opTls = mssanteTlsOptions({ identity: identityFromPem(op.keyPem, op.certPem), anchors: parseAnchors(new TextEncoder().encode(ca.certPem), 'ca') });
    const nationalClient = nodemailer.createTransport({
      pool: true, maxConnections: 8, maxMessages: Infinity, host: '127.0.0.1', port: running.ports.national, secure: false, requireTLS: true, name: opDn.cn,
      tls: { ...opTls, servername: gwDn.cn } as never,
    });
    const sendNational: Sender = async (raw) => {
      const info = await nationalClient.sendMail({ envelope: { from: `jean.dupont@${OP}`, to: [`dr.alice.martin@${GW}`] }, raw: Buffer.from(raw) });
      return `<${info.response.match(/queued as ([0-9A-Z]{26})/)![1]}.legacy@${GW}>`;
    };

    // ---- baseline: smtp-server → nodemailer relay → sink
    const sink = await startSink();
    const bare = await startSystemThread({ kind: 'bare', sinkPort: sink.port });
    const bareClient = nodemailer.createTransport({ pool: true, maxConnections: 8, maxMessages: Infinity, host: '127.0.0.1', port: bare.ports.bare, secure: false, ignoreTLS: true });
    const sendBare: Sender = async (raw) => (await bareClient.sendMail({ envelope: { from: 'a@b.test', to: ['c@d.test'] }, raw: Buffer.from(raw) })).response.match(/queued as (<[^>]+>)/)![1];

    const runs = Number(process.env.BENCH_RUNS ?? 3);
    // Unmeasured runs first, for each system: V8 compiles the hot paths on its background
    // threads for a while (seconds of CPU over the first thousand messages, counted in "all
    // threads"), and the bare relay's few paths warm up faster than the gateway's many.
    const warmups = Number(process.env.BENCH_WARMUP ?? 2);
    // BENCH_ENGINES=only: the engines part alone.
    if (process.env.BENCH_ENGINES !== 'only') {
      process.stdout.write(`end to end: ${N} messages of ~10 KB per throughput run, ${RATE} msg/s × ${RATE_SECONDS} s for latency; sign + encrypt on the national side\n`);
      const legacyMsgs = await Promise.all(Array.from({ length: N }, (_, i) => lnp(i)));
      const pacedLegacy = await Promise.all(Array.from({ length: RATE * RATE_SECONDS }, (_, i) => lnp(N + i)));
      const nationalMsgs = await Promise.all(Array.from({ length: N }, (_, i) => smimeMail(i)));
      const pacedNational = await Promise.all(Array.from({ length: RATE * RATE_SECONDS }, (_, i) => smimeMail(N + i)));
      process.stdout.write(`  message sizes: legacy ${Math.round(legacyMsgs[0].byteLength / 1024)} KB, national ${Math.round(nationalMsgs[0].byteLength / 1024)} KB (S/MIME)\n`);

      // BENCH_PROFILE / BENCH_PROFILE_N2L: CPU profile of the gateway's thread (first round); BENCH_PROFILE_PEERS: of this thread (peers, clients) too.
      const profiled = async <T>(file: string | undefined, f: () => Promise<T>): Promise<T> => {
        if (!file) return f();
        if (!process.env.BENCH_PROFILE_PEERS) return system.profile(file, f);
        const { Session } = await import('node:inspector/promises');
        const session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        try {
          return await system.profile(file, f);
        } finally {
          const { profile } = await session.post('Profiler.stop');
          writeFileSync(file.replace(/\.cpuprofile$/, '.peers.cpuprofile'), JSON.stringify(profile));
          session.disconnect();
        }
      };
      // Warm-up runs, then rounds: in each, the bare relay, then the gateway each way, so that a
      // slow minute of this shared machine weighs on the three alike (each run lasts seconds); the
      // ratios are given per round too.
      const freshLegacy = (base: number) => Promise.all(legacyMsgs.map((_, j) => lnp(base + j)));
      const freshNational = (base: number) => Promise.all(nationalMsgs.map((_, j) => smimeMail(base + j)));
      for (let i = 0; i < warmups; i++) await drive(legacyMsgs, sendBare, (k) => sink.arrivals.get(k), false, bare);
      for (let i = 0; i < warmups; i++) await drive(await freshLegacy(20 * N + i * N), sendLegacy, opArrived, false, system);
      // Fresh Message-IDs for every run: the gateway (rightly) never delivers the same one twice.
      for (let i = 0; i < warmups; i++) await drive(await freshNational(20 * N + i * N), sendNational, (k) => relay.arrivals.get(k), false, system);
      const bareRuns: Figures[] = [];
      const l2n: Figures[] = [];
      const n2l: Figures[] = [];
      for (let i = 0; i < runs; i++) {
        bareRuns.push(await drive(legacyMsgs, sendBare, (k) => sink.arrivals.get(k), false, bare));
        const legacyRun = i === 0 ? legacyMsgs : await freshLegacy(10 * N + i * N);
        l2n.push(await profiled(i === 0 ? process.env.BENCH_PROFILE : undefined, () => drive(legacyRun, sendLegacy, opArrived, false, system)));
        const nationalRun = i === 0 ? nationalMsgs : await freshNational(10 * N + i * N);
        n2l.push(await profiled(i === 0 ? process.env.BENCH_PROFILE_N2L : undefined, () => drive(nationalRun, sendNational, (k) => relay.arrivals.get(k), false, system)));
      }
      const barePaced = await drive(pacedLegacy, sendBare, (k) => sink.arrivals.get(k), true, bare);
      const l2nPaced = await drive(pacedLegacy, sendLegacy, opArrived, true, system);
      const n2lPaced = await drive(pacedNational, sendNational, (k) => relay.arrivals.get(k), true, system);
      print('bare smtp-server → nodemailer relay', bareRuns, barePaced);
      print('gateway legacy → national', l2n, l2nPaced);
      await stagePass('legacy → national', system, (n) => Promise.all(Array.from({ length: n }, (_, j) => lnp(30 * N + j))), sendLegacy, opArrived);
      print('gateway national → legacy', n2l, n2lPaced);
      await stagePass('national → legacy', system, (n) => Promise.all(Array.from({ length: n }, (_, j) => smimeMail(30 * N + j))), sendNational, (k) => relay.arrivals.get(k));

      const l = median(l2n.map((x) => x.rate));
      const n = median(n2l.map((x) => x.rate));
      const b = median(bareRuns.map((x) => x.rate));
      const perRound = (g: Figures[]) => g.map((x, i) => `${((x.rate / bareRuns[i].rate) * 100).toFixed(1)}`).join(', ');
      process.stdout.write(`  ratios against the bare relay (medians): legacy → national ${((l / b) * 100).toFixed(1)}%, national → legacy ${((n / b) * 100).toFixed(1)}% ` +
        `(each round: ${perRound(l2n)} % and ${perRound(n2l)} %)\n`);
      process.stdout.write(`  targets: ≥ 45 % of the bare relay each way (${l / b >= 0.45 && n / b >= 0.45 ? 'met' : 'NOT met'}), p99 ≤ 100 ms at ${RATE} msg/s (${l2nPaced.p99 <= 100 && n2lPaced.p99 <= 100 ? 'met' : 'NOT met'})\n`);

    }
    legacyClient.close(); nationalClient.close(); bareClient.close();
    await bare.stop();
    await system.stop();

    // ---- engines: SQLite, PostgreSQL one node, PostgreSQL two nodes (legacy → national)
    const why = process.env.BENCH_ENGINES === '0' ? 'BENCH_ENGINES=0' : postgresUnavailable();
    if (why) {
      process.stdout.write(`  engines: skipped (${why})\n`);
    } else {
      const pg = await startPostgres();
      try {
        const url = await pg.createDatabase('bench');
        const gatewayJob = (name: string, database: string | undefined, nodeId: string) => ({
          kind: 'gateway' as const,
          routes: { 'jean.dupont.med@interop.lnp.test': { network: 'mssante' as const, address: `jean.dupont@${OP}`, status: 'active' as const, certificate: op.certPem } },
          overrides: {
            dataDir: join(root, `gw-${name}`), log: { level: 'error' }, ...(database ? { database } : {}), node: { id: nodeId },
            legacy: { keyDir: gwKeys, listen: { port: 0 }, relay: { port: relay.port, password: 'x' } },
            mssante: { domain: GW, listen: { port: 0 }, anchors: files.ca, identity: { key: files.gwKey, cert: files.gwCert }, trustList: trustFile,
              routes: { [OP]: { host: '127.0.0.1', port: operator.port, tlsName: opDn.cn } } },
            aliases: { 'jean.dupont.med@interop.lnp.test': `jean.dupont@${OP}` },
            queue: { concurrency: 32, pollInterval: '50ms', translateWorkers: Number(process.env.BENCH_TRANSLATE_WORKERS ?? 1) },
          },
        });
        let seq = 20 * N;
        const fresh = async (n: number) => Promise.all(Array.from({ length: n }, () => lnp(seq++)));
        /** A set of nodes as one system: the clients' connections spread over them, round robin; their threads' CPU together. */
        const asSystem = (nodes: SystemThread[]) => {
          const clients = nodes.map((s) => nodemailer.createTransport({ pool: true, maxConnections: Math.ceil(8 / nodes.length), maxMessages: Infinity, host: '127.0.0.1', port: s.ports.legacy, secure: false, ignoreTLS: true }));
          let next = 0;
          const send: Sender = async (raw) => {
            const c = clients[next++ % clients.length];
            const info = await c.sendMail({ envelope: { from: 'labo.bio33@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'] }, raw: Buffer.from(raw) });
            return `<${info.response.match(/queued as ([0-9A-Z]{26})/)![1]}.mssante@${GW}>`;
          };
          const all: SystemThread = { ...nodes[0], cpuMs: async () => (await Promise.all(nodes.map((s) => s.cpuMs()))).reduce((a, b) => a + b, 0) };
          return { nodes, clients, send, all };
        };
        // The PostgreSQL server's CPU (postmaster and backends), for the systems that use it.
        const postmaster = Number(readFileSync(join(pg.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
        const serverCpu = () => processTreeCpuMs(postmaster);
        // The three systems run at once (two databases: the two nodes do not see the one node's
        // queue), each warmed up, then measured in turn, round after round.
        const url2 = await pg.createDatabase('bench2');
        const engines = [['SQLite', undefined, 1], ['PostgreSQL, one node', url, 1], ['PostgreSQL, two nodes', url2, 2]] as const;
        const started: SystemThread[] = [];
        const systems: ReturnType<typeof asSystem>[] = [];
        try {
          for (const [name, database, count] of engines) {
            const nodes: SystemThread[] = [];
            for (let k = 0; k < count; k++) {
              started.push(await startSystemThread(gatewayJob(`${name.replace(/\W+/g, '-')}-${k}`, database, `bench-${k}`)));
              nodes.push(started[started.length - 1]);
            }
            systems.push(asSystem(nodes));
          }
          const server = (k: number) => (engines[k][1] ? serverCpu : undefined);
          for (const [k, s] of systems.entries()) for (let i = 0; i < warmups; i++) await drive(await fresh(N), s.send, opArrived, false, s.all, server(k));
          const r: Figures[][] = systems.map(() => []);
          for (let i = 0; i < runs; i++) for (const [k, s] of systems.entries()) r[k].push(await drive(await fresh(N), s.send, opArrived, false, s.all, server(k)));
          const paced: Figures[] = [];
          for (const [k, s] of systems.entries()) paced.push(await drive(await fresh(RATE * RATE_SECONDS), s.send, opArrived, true, s.all, server(k)));
          for (const [k, [name]] of engines.entries()) print(`gateway legacy → national on ${name}`, r[k], paced[k]);
          const rate = (k: number) => median(r[k].map((x) => x.rate));
          const sq = rate(0);
          const one = rate(1);
          const two = rate(2);
          const perRound = (k: number) => r[k].map((x, i) => ((x.rate / r[0][i].rate) * 100).toFixed(1)).join(', ');
          process.stdout.write(`  engines against SQLite (medians): PostgreSQL one node ${((one / sq) * 100).toFixed(1)}%, two nodes ${((two / sq) * 100).toFixed(1)}% ` +
            `(two nodes / one node ${((two / one) * 100).toFixed(1)}%); each round: one node ${perRound(1)} %, two nodes ${perRound(2)} %\n`);
          const p99 = paced[1].p99;
          process.stdout.write(`  targets: PostgreSQL one node ≥ 70% of SQLite (${one / sq >= 0.7 ? 'met' : 'NOT met'}), p99 ≤ 250 ms at ${RATE} msg/s on PostgreSQL (${p99 <= 250 ? 'met' : 'NOT met'})\n`);
        } finally {
          for (const s of systems) for (const c of s.clients) c.close();
          for (const n of started) await n.stop();
        }
      } finally {
        await pg.stop();
      }
    }
    await operator.close(); await relay.close(); await sink.close();
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true }); else process.stdout.write(`kept ${root}\n`);
  }
}
