/**
 * A private Postfix instance for interoperability tests, acting as the national operator
 * `medecin.mssante.fr` (certificate `mx.medecin.mssante.fr` of the test PKI):
 *
 * - `mtlsPort`: smtpd requiring STARTTLS (TLS 1.2+) and a client certificate that chains
 *   to the test anchors; final destination for `dr.a@medecin.mssante.fr` (virtual mailbox
 *   under `mailDir`), any other address of the domain is unknown (550 5.1.1).
 * - `submitPort`: smtpd without TLS for the test to inject mail, relayed from loopback to
 *   the gateway (`passerelle-test.mssante.fr` → `[127.0.0.1]:gatewayPort`) with TLS
 *   `secure` (server certificate verified against the anchors, name
 *   `mx.passerelle-test.mssante.fr`), presenting the operator's client certificate.
 *
 * Its own config and queue directories live in a temp folder; it is started with
 * `postfix -c DIR start` and stopped with `postfix -c DIR stop`. Needs root (Postfix's
 * master) and the Debian `postfix` package.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestPki } from '../pki/test-pki.js';

export const POSTFIX_BIN = '/usr/sbin/postfix';

/** Why Postfix tests cannot run here, or null when they can. */
export function postfixUnavailable(): string | null {
  if (!existsSync(POSTFIX_BIN)) return `Postfix is not installed (${POSTFIX_BIN} absent; Debian package 'postfix', listed in .ci/apt-packages.txt)`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'Postfix master must run as root';
  return null;
}

/** A port free on 127.0.0.1 now (for a caller that must name a port before the instance starts). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        res(true);
      });
      c.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`Postfix did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface PostfixInstance {
  dir: string;
  mtlsPort: number;
  submitPort: number;
  mailDir: string;
  /** Messages delivered to a mailbox (Maildir `new/` files). */
  delivered(mailbox: string): string[];
  log(): string;
  stop(): Promise<void>;
}

export interface PostfixPorts {
  /** Use this port for the mutual-TLS smtpd (e.g. one from `freePort()` already named in a gateway's routes). */
  mtlsPort?: number;
  submitPort?: number;
}

export async function startPostfix(pki: TestPki, gatewayPort: number, ports: PostfixPorts = {}): Promise<PostfixInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-postfix-'));
  chmodSync(dir, 0o755);
  const mailDir = join(dir, 'mail');
  mkdirSync(mailDir, { mode: 0o777 });
  chmodSync(mailDir, 0o777);
  for (const [from, to] of [[pki.medecin.chainFile, 'medecin.chain.pem'], [pki.medecin.keyFile, 'medecin.key'], [pki.anchorsFile, 'anchors.pem']]) {
    copyFileSync(from, join(dir, to));
  }
  chmodSync(join(dir, 'medecin.key'), 0o600);
  const mtlsPort = ports.mtlsPort ?? (await freePort());
  const submitPort = ports.submitPort ?? (await freePort());
  const main = `compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.medecin.mssante.fr
mydomain = medecin.mssante.fr
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file_prefixes = ${dir}
maillog_file = ${dir}/maillog
smtputf8_enable = no
biff = no
append_dot_mydomain = no
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = medecin.mssante.fr
virtual_mailbox_base = ${mailDir}
virtual_mailbox_maps = inline:{ dr.a@medecin.mssante.fr=dr.a/ }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
smtpd_banner = $myhostname ESMTP
smtpd_tls_cert_file = ${dir}/medecin.chain.pem
smtpd_tls_key_file = ${dir}/medecin.key
smtpd_tls_CAfile = ${dir}/anchors.pem
smtpd_tls_security_level = encrypt
smtpd_tls_ask_ccert = yes
smtpd_tls_req_ccert = yes
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_loglevel = 1
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtp_tls_security_level = secure
smtp_tls_CAfile = ${dir}/anchors.pem
smtp_tls_cert_file = ${dir}/medecin.chain.pem
smtp_tls_key_file = ${dir}/medecin.key
smtp_tls_protocols = >=TLSv1.2
smtp_tls_mandatory_protocols = >=TLSv1.2
smtp_tls_loglevel = 1
smtp_tls_policy_maps = inline:{ { [127.0.0.1]:${gatewayPort} = secure match=mx.passerelle-test.mssante.fr } }
transport_maps = inline:{ passerelle-test.mssante.fr=smtp:[127.0.0.1]:${gatewayPort} }
smtp_host_lookup = native
smtp_dns_support_level = disabled
delay_warning_time = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
`;
  const svc = (name: string, type: string, priv: string, wakeup: string, limit: string, cmd: string) =>
    `${name.padEnd(24)} ${type.padEnd(10)} ${priv} - n ${wakeup} ${limit} ${cmd}`;
  const master = [
    svc(`127.0.0.1:${mtlsPort}`, 'inet', 'n', '-', '-', 'smtpd'),
    svc(`127.0.0.1:${submitPort}`, 'inet', 'n', '-', '-', 'smtpd') +
      '\n  -o syslog_name=postfix/inject -o smtpd_tls_security_level=none -o smtpd_tls_ask_ccert=no -o smtpd_tls_req_ccert=no',
    svc('pickup', 'unix', 'n', '60', '1', 'pickup'),
    svc('cleanup', 'unix', 'n', '-', '0', 'cleanup'),
    svc('qmgr', 'unix', 'n', '300', '1', 'qmgr'),
    svc('tlsmgr', 'unix', '-', '1000?', '1', 'tlsmgr'),
    svc('rewrite', 'unix', '-', '-', '-', 'trivial-rewrite'),
    svc('bounce', 'unix', '-', '-', '0', 'bounce'),
    svc('defer', 'unix', '-', '-', '0', 'bounce'),
    svc('trace', 'unix', '-', '-', '0', 'bounce'),
    svc('verify', 'unix', '-', '-', '1', 'verify'),
    svc('flush', 'unix', 'n', '1000?', '0', 'flush'),
    svc('proxymap', 'unix', '-', '-', '-', 'proxymap'),
    svc('smtp', 'unix', '-', '-', '-', 'smtp'),
    svc('relay', 'unix', '-', '-', '-', 'smtp'),
    svc('showq', 'unix', 'n', '-', '-', 'showq'),
    svc('error', 'unix', '-', '-', '-', 'error'),
    svc('retry', 'unix', '-', '-', '-', 'error'),
    svc('discard', 'unix', '-', '-', '-', 'discard'),
    svc('local', 'unix', '-', '-', '-', 'local').replace(' - - n ', ' - n n '),
    svc('virtual', 'unix', '-', '-', '-', 'virtual').replace(' - - n ', ' - n n '),
    svc('anvil', 'unix', '-', '-', '1', 'anvil'),
    svc('scache', 'unix', '-', '-', '1', 'scache'),
    svc('postlog', 'unix-dgram', 'n', '-', '1', 'postlogd'),
  ].join('\n');
  writeFileSync(join(dir, 'main.cf'), main);
  writeFileSync(join(dir, 'master.cf'), `${master}\n`);
  mkdirSync(join(dir, 'queue'), { mode: 0o755 });
  mkdirSync(join(dir, 'data'), { mode: 0o700 });
  execFileSync('chown', ['postfix', join(dir, 'data')]);
  const run = (...args: string[]) => execFileSync(POSTFIX_BIN, ['-c', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MAIL_CONFIG: dir } });
  try {
    run('check');
    run('start');
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    const log = existsSync(join(dir, 'maillog')) ? readFileSync(join(dir, 'maillog'), 'utf8') : '';
    try {
      run('stop');
    } catch {
      // never started
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Postfix did not start: ${e.stderr?.toString() || e.message}\n${log}`);
  }
  try {
    await waitForPort(mtlsPort, 15_000);
    await waitForPort(submitPort, 15_000);
  } catch (err) {
    // Started but not listening (a port taken meanwhile?): do not leave a master behind.
    const log = existsSync(join(dir, 'maillog')) ? readFileSync(join(dir, 'maillog'), 'utf8') : '';
    try {
      run('stop');
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${log.slice(-4000)}`);
  }
  return {
    dir,
    mtlsPort,
    submitPort,
    mailDir,
    delivered(mailbox) {
      const nd = join(mailDir, mailbox, 'new');
      return existsSync(nd) ? readdirSync(nd).map((f) => readFileSync(join(nd, f), 'utf8')) : [];
    },
    log: () => (existsSync(join(dir, 'maillog')) ? readFileSync(join(dir, 'maillog'), 'utf8') : ''),
    async stop() {
      try {
        run('stop');
      } catch {
        // already stopped
      }
      if (!process.env.PASSERELLE_KEEP_POSTFIX) rmSync(dir, { recursive: true, force: true });
    },
  };
}
