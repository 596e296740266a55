/**
 * Lab reports mapped per second, HPRIM → CDA R2 CR-BIO (with its PDF copy) → IHE_XDM.ZIP,
 * the whole `hprimToNational` path on one core; validators excluded. Baselines measured in
 * the same process: reading HPRIM alone and the PDF rendering alone, to show where time goes.
 * The path is single-threaded; the one-core figure is reports per second of process CPU time
 * (so that other processes on a shared machine do not distort it), printed beside the
 * wall-clock rate. Target: at least 200 reports/s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { measure, ratio } from './harness.js';
import { hprimToNational } from '../mappings/bridge/hprim-to-national.js';
import { xdmToLegacy } from '../mappings/bridge/xdm-to-legacy.js';
import { readHprim } from '../mappings/hprim/read.js';
import { renderReportPdf } from '../mappings/pdf/render-report.js';
import { zlibCrc32, zlibDeflateRaw, zlibInflateRaw } from '../app/node/native-deflate.js';
import { nodeSha1 } from '../app/node/native-hash.js';
import { report10k } from './support/lab-report.js';

function sample(): string {
  const cases = JSON.parse(readFileSync(join(process.cwd(), 'test/fixtures/legacy-network/seal.json'), 'utf8')) as Array<{ name: string; text: string }>;
  return cases.find((c) => c.name === 'hprim-lab-report')!.text;
}

async function rate(seconds: number, fn: () => Promise<unknown>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const start = performance.now();
  while (performance.now() < end) { await fn(); n++; }
  return n / ((performance.now() - start) / 1000);
}

/** Operations per second of process CPU time (user + system): the one-core rate, unaffected by other processes on a shared machine. */
async function cpuRate(seconds: number, fn: () => Promise<unknown>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const c0 = process.cpuUsage();
  while (performance.now() < end) { await fn(); n++; }
  const c = process.cpuUsage(c0);
  return n / ((c.user + c.system) / 1e6);
}

export default async function bench(): Promise<void> {
  const text = sample();
  const report = readHprim(text).report!;
  const now = new Date();
  await rate(1, () => hprimToNational(text, { now })); // warm-up
  const read = await measure('HPRIM read', 'reports/s', 5, () => rate(0.5, async () => readHprim(text)));
  const pdf = await measure('PDF render', 'reports/s', 5, () => rate(1, () => renderReportPdf(report, { now })));
  const full = await measure('HPRIM → CR-BIO + PDF + XDM (wall clock)', 'reports/s', 7, () => rate(1.5, () => hprimToNational(text, { now })));
  const cpu = await measure('HPRIM → CR-BIO + PDF + XDM (per CPU second)', 'reports/s', 7, () => cpuRate(1.5, () => hprimToNational(text, { now })));
  process.stdout.write(`  ${ratio(full, pdf)}; ${ratio(full, read)}\n`);
  process.stdout.write(`  target ≥ 200 reports/s on one core: ${cpu.median >= 200 ? 'met' : 'NOT met'} (median ${cpu.median.toFixed(0)} reports per CPU second, ${(1000 / cpu.median).toFixed(2)} ms CPU/report; wall clock ${full.median.toFixed(0)}/s)\n`);

  // What the Node gateway's translate worker runs: the end-to-end bench's 10 KB reports, with
  // the codecs the Node runtime injects (native zlib, SHA-1, CRC-32; app/node/pipeline-thread.ts).
  const texts = Array.from({ length: 50 }, (_, i) => report10k(i));
  const node = { now, deflateRaw: zlibDeflateRaw, sha1: nodeSha1, crc32: zlibCrc32 };
  const big = readHprim(texts[0]!).report!;
  let k = 0;
  await rate(1, () => hprimToNational(texts[k++ % texts.length]!, node)); // warm-up
  const pdf10k = await measure('10 KB report: PDF render, native zlib (per CPU second)', 'reports/s', 5, () => cpuRate(1, () => renderReportPdf(big, node)));
  const node10k = await measure('10 KB report: HPRIM → CR-BIO + PDF + XDM, Node codecs (per CPU second)', 'reports/s', 7, () => cpuRate(1.5, () => hprimToNational(texts[k++ % texts.length]!, node)));
  process.stdout.write(`  ${ratio(node10k, pdf10k)}; the gateway's mapping of a 10 KB report: ${(1000 / node10k.median).toFixed(2)} ms CPU (PDF ${(1000 / pdf10k.median).toFixed(2)} ms)\n`);

  // The other way, as the translate worker runs it for a national → legacy message: that
  // report's IHE_XDM.ZIP read back (metadata, CR-BIO) into HPRIM, text and attachments.
  const zip = (await hprimToNational(texts[0]!, node)).xdm!;
  const readBack = { inflateRaw: zlibInflateRaw, sha1: nodeSha1, crc32: zlibCrc32 };
  await rate(1, () => xdmToLegacy(zip, {}, readBack)); // warm-up
  const back = await measure('10 KB report: IHE_XDM.ZIP → HPRIM + text, Node codecs (per CPU second)', 'reports/s', 7, () => cpuRate(1.5, () => xdmToLegacy(zip, {}, readBack)));
  process.stdout.write(`  ${ratio(back, node10k)}; the gateway's mapping of a national 10 KB report: ${(1000 / back.median).toFixed(2)} ms CPU\n`);
}
