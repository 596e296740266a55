/**
 * The compiled gateway started in a child process (`gateway-child.mjs`), in place of
 * `startGateway` for `startLegacyWorld`: the bench's clients and peers stay in the bench's
 * process, and the gateway's own peak RSS can be read when it stops (`peakRssMB`).
 *
 * @example
 * const w = await startLegacyWorld(over, { start: startGatewayProcess });
 * await w.close(); // stops the child
 * (w.gw as GatewayProcess).peakRssMB; // the gateway process's peak RSS
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { GatewayConfig } from '../../app/config/defaults.js';
import type { RunningGateway } from '../../app/node/start-gateway.js';

export interface GatewayProcess {
  ports: RunningGateway['ports'];
  pid: number;
  /** Known once `stop` has resolved. */
  peakRssMB: number | null;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./gateway-child.mjs', import.meta.url));

export async function startGatewayProcess(config: GatewayConfig): Promise<RunningGateway> {
  const file = join(config.dataDir, 'gateway-config.json');
  writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
  const child = spawn(process.execPath, [CHILD, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const first = await Promise.race([lines.next(), exited.then((code) => ({ done: true as const, value: `exit ${code}` }))]);
  if (first.done) throw new Error(`the gateway process did not start (${first.value})`);
  const { ports } = JSON.parse(first.value) as { ports: RunningGateway['ports'] };
  const gw: GatewayProcess = {
    ports,
    pid: child.pid!,
    peakRssMB: null,
    async stop() {
      child.stdin!.end();
      const last = await lines.next();
      if (!last.done) gw.peakRssMB = Math.round((JSON.parse(last.value) as { peakRssKb: number }).peakRssKb / 1024);
      await exited;
    },
  };
  return gw as unknown as RunningGateway;
}
