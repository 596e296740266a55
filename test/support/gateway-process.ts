/**
 * `passerelle start` as a child process, for tests that kill it (SIGKILL) and start it again
 * on the same data: resolves once the gateway prints its listening line, with the ports it
 * bound (port 0 in the configuration: ephemeral), and keeps its standard error for failures.
 *
 * @example
 * const gw = await startGatewayProcess(['--config', file]);
 * gw.ports.legacy; gw.ports.national; gw.ports.http;
 * gw.child.kill('SIGKILL');
 * await gw.exited;
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'passerelle.js');

export interface GatewayProcess {
  child: ChildProcess;
  ports: { legacy: number; national: number; http: number };
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  exited: Promise<number | null>;
  /** What the gateway wrote to standard error so far (its log, warn level and above in tests). */
  stderr(): string;
}

/** Start `passerelle start ARGS…` with `env` added to this process's environment. */
export function startGatewayProcess(args: string[] = [], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<GatewayProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'start', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(/legacy SMTP [^:\s]+:(\d+), national SMTP [^:\s]+:(\d+), HTTP http:\/\/[^:\s]+:(\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve({ child, ports: { legacy: Number(m[1]), national: Number(m[2]), http: Number(m[3]) }, exited, stderr: () => err });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before listening: ${err}`));
    });
  });
}
