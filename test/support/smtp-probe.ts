/**
 * Times one SMTP session to a listener as a client sees it, then `QUIT`: the greeting (from
 * connecting to the `220`, which includes smtp-server's deliberate 100 ms pause that catches
 * clients talking before it) and the reply to `EHLO` (from sending it to the `250`). For
 * tests and benches that measure whether listeners keep answering while the gateway is busy.
 *
 * @example
 * const { greeting, ehlo } = await smtpTimes(gw.ports.legacy);
 * const ms = await ehloTime(gw.ports.legacy); // greeting + ehlo
 */
import { connect } from 'node:net';

export function smtpTimes(port: number, host = '127.0.0.1'): Promise<{ greeting: number; ehlo: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = connect(port, host);
    let buf = '';
    let greeted = 0;
    s.setTimeout(10_000, () => s.destroy(new Error('EHLO timed out')));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (!greeted && /^220 .*\r\n/m.test(buf)) {
        greeted = performance.now();
        buf = '';
        s.write('EHLO probe.test\r\n');
      } else if (greeted && /^250 .*\r\n/m.test(buf)) {
        resolve({ greeting: greeted - t0, ehlo: performance.now() - greeted });
        s.end('QUIT\r\n');
      }
    });
    s.on('error', reject);
  });
}

/** The whole session up to the `250` after `EHLO`: greeting and reply. */
export async function ehloTime(port: number, host = '127.0.0.1'): Promise<number> {
  const { greeting, ehlo } = await smtpTimes(port, host);
  return greeting + ehlo;
}
