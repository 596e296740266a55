// The compiled gateway in a process of its own, for a bench that wants its figures apart
// from its clients' and peers' (`gateway-process.ts`): started with the configuration given
// as JSON on the command line (a file), it writes its ports as one JSON line; when its
// standard input ends it stops, and writes its peak RSS (`VmHWM`, kB) as a last JSON line.
import { readFileSync } from 'node:fs';

const { startGateway } = await import(new URL('../../dist/app/node/start-gateway.js', import.meta.url).href);
const { silentLogger } = await import(new URL('../../dist/core/log/logger.js', import.meta.url).href);
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const gw = await startGateway(config, { log: silentLogger });
await gw.threadsLoaded();
process.stdout.write(`${JSON.stringify({ ports: gw.ports })}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await gw.stop();
  const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  process.stdout.write(`${JSON.stringify({ peakRssKb: hwm ? Number(hwm[1]) : null })}\n`);
  process.exit(0);
});
