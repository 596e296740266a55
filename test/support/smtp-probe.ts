/**
 * Times one SMTP session to a listener as a client sees it: from connecting to the `250`
 * after `EHLO` (greeting included), then `QUIT`. For tests and benches that measure whether
 * listeners keep answering while the gateway is busy.
 *
 * @example
 * const ms = await ehloTime(gw.ports.legacy);
 */
import { connect } from 'node:net';

export function ehloTime(port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = connect(port, host);
    let buf = '';
    let greeted = false;
    s.setTimeout(10_000, () => s.destroy(new Error('EHLO timed out')));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (!greeted && /^220 .*\r\n/m.test(buf)) {
        greeted = true;
        buf = '';
        s.write('EHLO probe.test\r\n');
      } else if (greeted && /^250 .*\r\n/m.test(buf)) {
        resolve(performance.now() - t0);
        s.end('QUIT\r\n');
      }
    });
    s.on('error', reject);
  });
}
