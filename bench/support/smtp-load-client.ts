/**
 * A lean SMTP load client for benchmarks: C connections, each sending its share of the
 * messages back to back with PIPELINING (MAIL, RCPT and DATA in one write, then the body),
 * so the client costs little next to the server it measures. Runs in a worker thread.
 */
import { connect, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { smtpReplies } from '../../test/support/smtp-replies.js';

export interface LoadJob {
  host: string;
  port: number;
  connections: number;
  mailFrom: string;
  rcptTo: string;
  /** Messages as dot-stuffed bodies ending in CRLF (without the final "."). */
  messages: Uint8Array[];
}

export interface LoadResult {
  ok: number;
  failed: number;
  /** From the first connection opened to the last reply. */
  ms: number;
  /** When the first connection was opened, ms since the epoch (`performance.timeOrigin` based: comparable across threads). */
  startedAt: number;
  /** Time from the end of a message's data to its reply (the server's acceptance), ms: p50, p90, p99. */
  acceptMs: [number, number, number];
}

function session(job: LoadJob, queue: Uint8Array[], replies: { ok: number; failed: number }, acceptMs: number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(job.port, job.host);
    sock.setNoDelay(true);
    const waitReply = smtpReplies(sock);
    sock.on('error', reject);
    (async () => {
      await waitReply();
      sock.write('EHLO load.test\r\n');
      await waitReply();
      for (let m = queue.shift(); m; m = queue.shift()) {
        sock.write(`MAIL FROM:<${job.mailFrom}>\r\nRCPT TO:<${job.rcptTo}>\r\nDATA\r\n`);
        const [a, b, c] = await Promise.all([waitReply(), waitReply(), waitReply()]);
        if (!a.startsWith('250') || !b.startsWith('250') || !c.startsWith('354')) throw new Error(`refused: ${a} / ${b} / ${c}`);
        sock.write(m);
        sock.write('.\r\n');
        const sent = performance.now();
        const r = await waitReply();
        acceptMs.push(performance.now() - sent);
        if (r.startsWith('250')) replies.ok++;
        else replies.failed++;
      }
      sock.write('QUIT\r\n');
      await waitReply();
      sock.end();
      resolve();
    })().catch(reject);
  });
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const queue = [...job.messages];
  const replies = { ok: 0, failed: 0 };
  const acceptMs: number[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: job.connections }, () => session(job, queue, replies, acceptMs)));
  const ms = performance.now() - t0;
  acceptMs.sort((a, b) => a - b);
  const q = (f: number) => acceptMs[Math.min(acceptMs.length - 1, Math.floor(acceptMs.length * f))] ?? Number.NaN;
  return { ...replies, ms, startedAt: performance.timeOrigin + t0, acceptMs: [q(0.5), q(0.9), q(0.99)] };
}

if (parentPort && workerData) {
  runLoad(workerData as LoadJob).then((r) => parentPort!.postMessage(r), (e: Error) => parentPort!.postMessage({ error: e.message }));
}
