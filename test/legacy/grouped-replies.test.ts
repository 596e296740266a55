/**
 * RFC 2920 §3.2: the replies to pipelined commands leave as a unit (`groupReplies`, used by the
 * legacy listener). Counted at the server's socket: how many writes carry the replies to one
 * pipelined MAIL, RCPT and DATA; then the message's own reply, given after an asynchronous
 * commit, still goes out by itself, and the session goes on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { groupReplies } from '../../adapters/smtp/smtp-listener.js';
import { smtpReplies } from '../support/smtp-replies.js';

interface Counted { writes: number }

async function server(grouped: boolean, counted: Counted): Promise<{ port: number; close(): Promise<void> }> {
  const s = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, disableReverseLookup: true,
    // As the legacy listener: MAIL answered at once, RCPT after a directory lookup's promise, DATA after a commit.
    onMailFrom(_a, _s, cb) { cb(); },
    onRcptTo(_a, _s, cb) { void Promise.resolve().then(() => cb()); },
    onData(stream, _s, cb) {
      stream.resume();
      stream.on('end', () => setTimeout(() => cb(null, 'Ok: queued'), 5));
    },
  });
  if (grouped) groupReplies(s);
  // Count what reaches the socket's writer: one call per write (a corked batch is one `_writev`).
  s.server.on('connection', (socket: Socket) => {
    const w = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
    const write = w._write.bind(socket);
    const writev = w._writev.bind(socket);
    w._write = (...a) => { counted.writes++; write(...a); };
    w._writev = (...a) => { counted.writes++; writev(...a); };
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { port: (s.server.address() as AddressInfo).port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

/** A client with its replies read in order. */
function client(port: number) {
  const sock = connect(port, '127.0.0.1');
  return { sock, reply: smtpReplies(sock) };
}

let closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closing) await c();
  closing = [];
});

async function pipelinedWrites(grouped: boolean): Promise<{ group: number; data: number; replies: string[] }> {
  const counted = { writes: 0 };
  const s = await server(grouped, counted);
  closing.push(s.close);
  const c = client(s.port);
  closing.push(async () => { c.sock.destroy(); });
  const replies = [await c.reply()];
  c.sock.write('EHLO client.test\r\n');
  replies.push(await c.reply());
  const before = counted.writes;
  c.sock.write('MAIL FROM:<a@medical33.lnp.test>\r\nRCPT TO:<b@interop.lnp.test>\r\nDATA\r\n');
  replies.push(await c.reply(), await c.reply(), await c.reply());
  const group = counted.writes - before;
  c.sock.write('Subject: t\r\n\r\nhello\r\n.\r\n');
  replies.push(await c.reply());
  const data = counted.writes - before - group;
  c.sock.write('QUIT\r\n');
  replies.push(await c.reply());
  return { group, data, replies: replies.map((r) => r.slice(0, 3)) };
}

describe('groupReplies (RFC 2920 §3.2)', () => {
  it('sends the replies to a pipelined MAIL, RCPT and DATA in one write (three without it)', async () => {
    const grouped = await pipelinedWrites(true);
    const plain = await pipelinedWrites(false);
    expect(grouped.group).toBe(1);
    expect(plain.group).toBe(3);
    // The same replies, in the same order, either way; the reply after the commit goes out alone.
    expect(grouped.replies).toEqual(['220', '250', '250', '250', '354', '250', '221']);
    expect(plain.replies).toEqual(grouped.replies);
    expect(grouped.data).toBe(1);
  });
});
