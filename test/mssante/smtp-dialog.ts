/**
 * A bare SMTP client for refusal tests: runs a scripted dialogue (with optional STARTTLS and
 * client certificate) and returns every reply, so a test can assert the exact codes.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface DialogOptions {
  port: number;
  starttls?: boolean;
  tls?: tls.ConnectionOptions;
  commands: string[];
}

class LineReader {
  private buf = '';
  private waiters: ((reply: string) => void)[] = [];
  private replies: string[] = [];
  private closed = false;
  attach(sock: net.Socket | tls.TLSSocket): void {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      for (;;) {
        const m = this.buf.match(/^((?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n)/);
        if (!m) break;
        this.buf = this.buf.slice(m[1].length);
        const lines = m[1].trimEnd().split('\r\n');
        const reply = lines[lines.length - 1];
        const w = this.waiters.shift();
        if (w) w(reply);
        else this.replies.push(reply);
      }
    });
    sock.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w('(closed)');
    });
  }
  next(): Promise<string> {
    const r = this.replies.shift();
    if (r !== undefined) return Promise.resolve(r);
    if (this.closed) return Promise.resolve('(closed)');
    return new Promise((res) => this.waiters.push(res));
  }
}

/**
 * @example
 * const replies = await smtpDialog({ port, starttls: true, tls: { key, cert, ca }, commands: ['MAIL FROM:<a@b>'] });
 */
export async function smtpDialog(opts: DialogOptions): Promise<string[]> {
  const out: string[] = [];
  const plain = net.connect(opts.port, '127.0.0.1');
  await new Promise<void>((r, j) => plain.once('connect', r).once('error', j));
  let sock: net.Socket | tls.TLSSocket = plain;
  let reader = new LineReader();
  reader.attach(sock);
  const send = async (line: string) => {
    sock.write(`${line}\r\n`);
    const r = await reader.next();
    out.push(r);
    return r;
  };
  out.push(await reader.next());
  await send('EHLO peer.test');
  if (opts.starttls) {
    const r = await send('STARTTLS');
    if (!r.startsWith('220')) return out;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tls.connect({ socket: plain, servername: 'mx.passerelle-test.mssante.fr', ...opts.tls });
    const ok = await new Promise<boolean>((res) => {
      secure.once('secureConnect', () => res(true));
      secure.once('error', (e) => {
        out.push(`(tls error: ${e.message})`);
        res(false);
      });
    });
    if (!ok) return out;
    sock = secure;
    reader = new LineReader();
    reader.attach(sock);
    await send('EHLO peer.test');
  }
  for (const c of opts.commands) {
    const r = await send(c);
    if (r === '(closed)') break;
  }
  sock.end('QUIT\r\n');
  return out;
}
