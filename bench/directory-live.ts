/**
 * The address book's import into a live gateway (issue 15, item 1): a started gateway
 * (SQLite, test material) carrying legacy traffic (LNP/1 letters at `LIVE_RATE` per second
 * into its legacy listener, delivered to a national peer) while a national extraction is
 * synced through `POST /directory/sync/national`, uploaded by `curl` (a process of its own, as
 * an admin's script would: streamed from this process through `fetch`, the upload's 600 MB
 * of buffers set off a major collection of the gateway's heap every 230 ms, 39 in the sync,
 * against 2). A client times, meanwhile, the greeting and
 * the EHLO reply of the legacy listener, GET /health, and each letter's accept (DATA to 250),
 * before and during the import. The gateway runs in a process of its own (compiled,
 * `passerelle start` through `test/support/gateway-process.ts`; the letters' client, the probes and the peers in this one):
 * its RSS before the sync and its peak are read. The event loop's delay is this process's
 * (the clients'), a check that the probes themselves were not held up.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { followThreads, processCpuMs } from './support/thread-cpu.js';
import { startLegacyWorld } from '../test/support/legacy-world.js';
import { loadKeyFolder } from '../adapters/legacy/key-folder.js';
import { sealLnpMail } from '../adapters/legacy/lnp-codec.js';
import { RawSmtpPool } from '../adapters/smtp/raw-smtp-pool.js';
import { smtpTimes } from '../test/support/smtp-probe.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { startGatewayProcess, type GatewayProcess } from '../test/support/gateway-process.js';
import type { RunningGateway } from '../app/node/start-gateway.js';

const run = promisify(execFile);
const LIVE_RATE = Number(process.env.LIVE_RATE ?? 20);
const TOKEN = 'directory-live-bench';


const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]! : NaN);
const fmt = (xs: number[]) => `p50 ${pct(xs, 0.5).toFixed(0)} ms, p99 ${pct(xs, 0.99).toFixed(0)} ms (${xs.length})`;

/**
 * What the probes collect, in ms: the SMTP greeting (connect → `220`, smtp-server's fixed
 * 100 ms early-talker pause included), the reply to `EHLO`, `/health`, a letter's acceptance,
 * and the letters deferred with a `451`.
 */
interface Samples { greeting: number[]; ehlo: number[]; health: number[]; accept: number[]; deferred: number[] }
const samples = (): Samples => ({ greeting: [], ehlo: [], health: [], accept: [], deferred: [] });

/** Syncs `file` (`lines` national lines) into a live gateway; prints the figures, returns the sync's time (s) and the gateway's peak RSS (MB). */
export async function liveImportBench(file: string, fileName: string, lines: number): Promise<{ seconds: number; peakMb: number }> {
  // The compiled gateway, as production runs it (the directory bench builds first), in a
  // process of its own: its peak RSS is its own, apart from this process's clients and peers.
  let gateway: GatewayProcess | undefined;
  const w = await startLegacyWorld({ http: { port: 0, token: TOKEN }, durability: 'NORMAL' }, {
    // `passerelle start --config FILE` (the compiled CLI when it is current: `bin/passerelle.js`).
    start: async (config) => {
      const file = join(config.dataDir, 'passerelle.json');
      writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
      const g = await startGatewayProcess(['--config', file]);
      gateway = g;
      const stop = async () => {
        g.child.kill('SIGTERM');
        await g.exited;
      };
      return { ports: g.ports, stop } as unknown as RunningGateway;
    },
  });
  const pid = gateway!.child.pid!;
  /** `VmRSS` (now) or `VmHWM` (the peak) of the gateway's process, MB. */
  const rssOf = (field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  try {
    const { store } = await loadKeyFolder(join(w.root, 'keys-all'));
    const year = new Date().getUTCFullYear();
    // The letters' client: the subscribers' side, which runs on other machines in production,
    // shares this one's two cores with the gateway here. So it costs as little as it can: the
    // letters are sealed before the measurement (each one unique: the gateway notices a
    // letter seen before), and sent as whole buffers (the gateway's own client for sealed
    // raw messages, not nodemailer's MIME pipeline): 4.8 → 2.8–3.1 ms of this process's CPU a
    // letter, probes and peer included.
    const client = new RawSmtpPool({ host: '127.0.0.1', port: w.gw.ports.legacy, ignoreTLS: true, maxConnections: 2, maxMessages: Infinity });
    const seal = async (i: number) => (await sealLnpMail(store, {
      holder: 'passerelle', year, from: 'cab.dupuis@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'], cc: [], subject: `Live ${i}`,
      messageId: `<live-${i}@medical33.lnp.test>`, date: new Date(), text: 'Lettre pendant la synchronisation.\r\n', attachments: [], transit: 'relay1',
    })).raw;
    // Enough for 40 s of traffic (3 s before the sync, the sync itself); sealed as needed past them.
    const sealed: Array<Uint8Array | undefined> = [];
    for (let i = 0; i < LIVE_RATE * 40; i++) sealed.push(await seal(i));
    let n = 0;
    const sample = async (into: Samples, until: () => boolean) => {
      const letters = (async () => {
        while (!until()) {
          const i = n++;
          const raw = sealed[i] ?? (await seal(i));
          sealed[i] = undefined;
          const t = performance.now();
          try {
            await client.send({ from: 'cab.dupuis@medical33.lnp.test', to: ['jean.dupont.med@interop.lnp.test'] }, raw);
            into.accept.push(performance.now() - t);
          } catch (err) {
            // A 451 (the store could not commit in time): an MTA sends again later; counted.
            if ((err as { responseCode?: number }).responseCode !== 451) throw err;
            into.deferred.push(performance.now() - t);
          }
          await new Promise((r) => setTimeout(r, 1000 / LIVE_RATE));
        }
      })();
      const probes = (async () => {
        while (!until()) {
          const smtp = await smtpTimes(w.gw.ports.legacy);
          into.greeting.push(smtp.greeting);
          into.ehlo.push(smtp.ehlo);
          const t = performance.now();
          await (await fetch(`http://127.0.0.1:${w.gw.ports.http}/health`)).arrayBuffer();
          into.health.push(performance.now() - t);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await Promise.all([letters, probes]);
    };
    const before = samples();
    const t1 = performance.now() + 3000;
    await sample(before, () => performance.now() > t1);
    const during = samples();
    // What the gateway's process held before the sync, carrying its traffic: the import's share is the rise above it.
    const rssBefore = rssOf('VmRSS');
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    let done = false;
    const probing = sample(during, () => done);
    // Where the CPU goes meanwhile: the gateway's threads by name, and this process (the letters' client, the probes, the national peer).
    const threads = followThreads(pid);
    const gatewayCpu0 = processCpuMs(pid);
    const benchCpu0 = process.cpuUsage();
    const t0 = performance.now();
    const url = `http://127.0.0.1:${w.gw.ports.http}/directory/sync/national?fileName=${encodeURIComponent(fileName)}&force=1`;
    const { stdout } = await run('curl', ['-sS', '-X', 'POST', '-H', `Authorization: Bearer ${TOKEN}`, '-H', 'Expect:', '-T', file, '-w', '\n%{http_code}', url], { maxBuffer: 1 << 24 });
    const elapsed = (performance.now() - t0) / 1000;
    const [body, status] = [stdout.slice(0, stdout.lastIndexOf('\n')), Number(stdout.slice(stdout.lastIndexOf('\n') + 1))];
    const gatewayCpu = (processCpuMs(pid) - gatewayCpu0) / 1000;
    const byThread = threads.stop();
    const benchCpu = process.cpuUsage(benchCpu0);
    done = true;
    await probing;
    loop.disable();
    await client.close();
    if (status !== 200) throw new Error(`sync answered ${status}: ${body.slice(0, 500)}`);
    const report = JSON.parse(body) as { inserted?: number; updated?: number };
    const peak = rssOf('VmHWM');
    process.stdout.write(`  live gateway, ${lines} national lines synced over HTTP while ${LIVE_RATE} letters/s flow: ${elapsed.toFixed(1)} s ` +
      `(inserted ${report.inserted}, updated ${report.updated}); the gateway's process: RSS ${Math.round(rssBefore)} MB before the sync, peak ${Math.round(peak)} MB\n`);
    process.stdout.write(`    CPU during the sync: the gateway's process ${gatewayCpu.toFixed(1)} s (${byThread.filter(([, ms]) => ms >= 50).map(([n, ms]) => `${n} ${(ms / 1000).toFixed(1)}`).join(', ')}), ` +
      `this process (letters, probes, peer) ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s: ${((gatewayCpu + (benchCpu.user + benchCpu.system) / 1e6) / elapsed).toFixed(2)} of the ${availableParallelism()} cores\n`);
    process.stdout.write(`    before: greeting ${fmt(before.greeting)}, EHLO reply ${fmt(before.ehlo)}; /health ${fmt(before.health)}; accept ${fmt(before.accept)}, ${before.deferred.length} answered 451\n`);
    process.stdout.write(`    during: greeting ${fmt(during.greeting)}, EHLO reply ${fmt(during.ehlo)}; /health ${fmt(during.health)}; accept ${fmt(during.accept)}, ${during.deferred.length} answered 451 (after ${fmt(during.deferred)}); ` +
      `the probes' own event loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, max ${(loop.max / 1e6).toFixed(0)} ms\n`);
    return { seconds: elapsed, peakMb: peak };
  } finally {
    await w.close();
  }
}
