/**
 * An impatient SMTP client, for tests of exactly-once acceptance: it sends one message over
 * plain SMTP and closes the connection right after the end-of-data dot, without reading the
 * reply. The server may well commit the message; the client never learns it, and — as a relay
 * whose session timed out would — sends it again later with the same Message-ID.
 *
 * @example
 * await hangUpAfterData({ host: '127.0.0.1', port, from: 'a@x.lnp.test', to: 'b@interop.lnp.test', raw });
 */
import { connect, type Socket } from 'node:net';

export interface HangUpOptions {
  host: string;
  port: number;
  from: string;
  to: string;
  /** The message, CRLF line ends; dot-stuffed here. */
  raw: Uint8Array;
  timeoutMs?: number;
}

/** Reads SMTP replies line by line: resolves with the final line of the next complete reply. */
function replies(socket: Socket): () => Promise<string> {
  let buffer = '';
  const complete: string[] = [];
  let waiting: ((line: string) => void) | null = null;
  socket.on('data', (d: Buffer) => {
    buffer += d.toString('latin1');
    for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        if (waiting) {
          const w = waiting;
          waiting = null;
          w(line);
        } else complete.push(line);
      }
    }
  });
  return () => {
    const line = complete.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => (waiting = resolve));
  };
}

/** Send `raw` and hang up before the reply to the final dot. Rejects when the server refuses a command or the connection fails. */
export async function hangUpAfterData(o: HangUpOptions): Promise<void> {
  const socket = connect(o.port, o.host);
  socket.setTimeout(o.timeoutMs ?? 10_000, () => socket.destroy(new Error('SMTP session timed out')));
  // Every wait below also ends when the connection fails or closes (a server killed meanwhile).
  const gone = new Promise<never>((_, reject) => {
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('connection closed by the server')));
  });
  gone.catch(() => {});
  const next = replies(socket);
  const expect = async (code: string, command?: string) => {
    if (command !== undefined) socket.write(command + '\r\n');
    const line = await Promise.race([next(), gone]);
    if (!line.startsWith(code)) throw new Error(`${command ?? 'greeting'}: ${line}`);
  };
  try {
    await expect('220');
    await expect('250', 'EHLO impatient.test');
    await expect('250', `MAIL FROM:<${o.from}>`);
    await expect('250', `RCPT TO:<${o.to}>`);
    await expect('354', 'DATA');
    const text = Buffer.from(o.raw.buffer, o.raw.byteOffset, o.raw.byteLength).toString('latin1').replace(/(^|\r\n)\./g, '$1..');
    const data = Buffer.from(text + (text.endsWith('\r\n') ? '' : '\r\n') + '.\r\n', 'latin1');
    await Promise.race([new Promise<void>((resolve) => socket.end(data, () => resolve())), gone]);
  } finally {
    socket.destroy();
  }
}
