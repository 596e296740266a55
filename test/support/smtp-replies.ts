/**
 * The replies a client socket receives from an SMTP server, one at a time: each call of the
 * returned function resolves with the next reply (a multi-line reply as its last line), in
 * the order they came, whether they arrived before the call or after. For tests and the
 * benches' load client, which pipeline commands and count what comes back.
 *
 * @example
 * const reply = smtpReplies(sock);
 * sock.write('MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n');
 * const [mail, rcpt, data] = [await reply(), await reply(), await reply()]; // '250 …', '250 …', '354 …'
 */
import type { Socket } from 'node:net';

export function smtpReplies(sock: Socket): () => Promise<string> {
  let buf = '';
  const waiting: ((line: string) => void)[] = [];
  const arrived: string[] = [];
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let i: number;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (line[3] === '-') continue;
      const w = waiting.shift();
      if (w) w(line);
      else arrived.push(line);
    }
  });
  return () => new Promise<string>((resolve) => (arrived.length ? resolve(arrived.shift()!) : waiting.push(resolve)));
}
