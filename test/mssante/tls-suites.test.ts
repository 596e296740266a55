/**
 * TLS exactly as the national rules (Référentiel #2, ECO.1.1.2–1.1.4): TLS 1.2 with the four
 * suites of the rules only, plus TLS 1.3, on both sides, checked with the `openssl` CLI as an
 * independent peer:
 * - the national listener (STARTTLS) against `openssl s_client -starttls smtp`;
 * - the client options against `openssl s_server` restricted to one suite, and the offered
 *   suites as `s_server` records them from the ClientHello;
 * - the outbound client itself (nodemailer, STARTTLS) against a loopback server that reads
 *   the suites of its ClientHello;
 * - `mssante.tls.extraCiphers` widens both sides and is logged at start.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNationalListener, type RunningNationalListener } from '../../adapters/mssante/inbound-listener.js';
import { OutboundClient } from '../../adapters/mssante/smtp/outbound-client.js';
import { loadAnchorsFile, loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { MSSANTE_CIPHER_SUITES, TLS13_SUITES, extraCipherProblems, mssanteTlsOptions } from '../../adapters/mssante/tls/tls-options.js';
import { parseTrustList } from '../../adapters/mssante/trust-list/trust-list.js';
import { loadConfig, ConfigError } from '../../app/config/load-config.js';
import { silentLogger, type Logger } from '../../core/log/logger.js';
import { prepareNational } from '../../app/node/national-setup.js';
import { nationalConfig } from '../support/national-side.js';
import { testPki, type TestPki } from '../pki/test-pki.js';
import { trustListXml } from './fixtures.js';

/** Suites outside the rules that OpenSSL and Node would otherwise negotiate. */
const EXCLUDED = ['AES256-SHA', 'ECDHE-RSA-AES256-SHA'] as const;

interface Run {
  code: number | null;
  out: string;
}

/** Runs the openssl CLI without blocking the event loop (the listener under test lives in this process). */
function openssl(args: string[], opts: { keepStdinOpen?: boolean; timeoutMs?: number } = {}): { done: Promise<Run>; kill(): void } {
  const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('latin1')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('latin1')));
  if (!opts.keepStdinOpen) child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
  const done = new Promise<Run>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

/** `openssl s_client -starttls smtp` against the listener; resolves with its exit code and output. */
function sClient(port: number, args: string[]): Promise<Run> {
  return openssl(['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${port}`, '-brief', ...args]).done;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** `tls.connect`, retried while the server is not listening yet (refused connections reach no server). */
async function connectWhenListening(options: tls.ConnectionOptions): Promise<{ ok: true; cipher: string; protocol: string } | { ok: false; error: string }> {
  for (let i = 0; ; i++) {
    const r = await new Promise<{ ok: true; cipher: string; protocol: string } | { ok: false; error: string; refused?: boolean }>((resolve) => {
      const s = tls.connect(options, () => {
        resolve({ ok: true, cipher: s.getCipher().name, protocol: s.getProtocol() ?? '' });
        s.end();
      });
      s.on('error', (e: Error & { code?: string }) => resolve({ ok: false, error: e.message, refused: e.code === 'ECONNREFUSED' }));
    });
    if (!('refused' in r && r.refused) || i > 100) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
}

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

async function listener(extraCiphers?: string[]): Promise<RunningNationalListener> {
  const anchors = loadAnchorsFile(pki.anchorsFile);
  const list = parseTrustList(trustListXml(pki));
  return startNationalListener({
    host: '127.0.0.1',
    port: 0,
    maxSize: 1e6,
    tls: mssanteTlsOptions({ identity: loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password }), anchors, crlPem: [pki.crlPem], extraCiphers }),
    trustList: () => list,
    servesRecipient: () => true,
    name: 'mx.passerelle-test.mssante.fr',
    sink: { accept: () => Promise.reject(new Error('no message expected')) },
    log: silentLogger,
  });
}

describe('national listener against openssl s_client -starttls smtp', () => {
  let l: RunningNationalListener;
  beforeAll(async () => {
    l = await listener();
  });
  afterAll(async () => {
    await l?.close();
  });

  it.each(MSSANTE_CIPHER_SUITES)('accepts TLS 1.2 with %s', async (suite) => {
    const r = await sClient(l.port, ['-tls1_2', '-cipher', suite]);
    expect(r.out).toMatch(/Protocol version: TLSv1\.2/);
    expect(r.out).toContain(`Ciphersuite: ${suite}`);
    expect(r.code).toBe(0);
  });

  it.each(EXCLUDED)('refuses TLS 1.2 with %s (no shared cipher)', async (suite) => {
    const r = await sClient(l.port, ['-tls1_2', '-cipher', suite]);
    expect(r.code).not.toBe(0);
    expect(r.out).not.toMatch(/Ciphersuite:/);
    expect(r.out).toMatch(/alert handshake failure/); // the server's alert: it shares no suite with this client
  });

  it('refuses TLS 1.2 when the client offers every suite but the four', async () => {
    const r = await sClient(l.port, ['-tls1_2', '-cipher', `ALL:${MSSANTE_CIPHER_SUITES.map((s) => `!${s}`).join(':')}`]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/alert handshake failure/);
  });

  it('refuses TLS 1.1 (the server refuses: the client allows it at security level 0)', async () => {
    const r = await sClient(l.port, ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    expect(r.code).not.toBe(0);
    expect(r.out).not.toMatch(/Ciphersuite:/);
    expect(r.out).toMatch(/alert protocol version/); // the server's alert, not a local refusal
  });

  it('accepts TLS 1.3 with Node\'s TLS 1.3 suites', async () => {
    const r = await sClient(l.port, ['-tls1_3']);
    expect(r.out).toMatch(/Protocol version: TLSv1\.3/);
    expect(r.out).toMatch(/Ciphersuite: TLS_AES_256_GCM_SHA384/);
    expect(r.code).toBe(0);
  });
});

describe('widened by mssante.tls.extraCiphers', () => {
  it('the listener also accepts the extra suite, and still refuses the others', async () => {
    const l = await listener(['ECDHE-RSA-AES256-SHA']);
    try {
      const extra = await sClient(l.port, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-SHA']);
      expect(extra.out).toContain('Ciphersuite: ECDHE-RSA-AES256-SHA');
      expect(extra.code).toBe(0);
      const other = await sClient(l.port, ['-tls1_2', '-cipher', 'AES256-SHA']);
      expect(other.code).not.toBe(0);
      // the four still come first (honorCipherOrder)
      const pref = await sClient(l.port, ['-tls1_2', '-cipher', `ECDHE-RSA-AES256-SHA:${MSSANTE_CIPHER_SUITES[0]}`]);
      expect(pref.out).toContain(`Ciphersuite: ${MSSANTE_CIPHER_SUITES[0]}`);
    } finally {
      await l.close();
    }
  });

  it('names outside OpenSSL suites are refused: by the configuration check, then by OpenSSL at start', () => {
    expect(() => loadConfig({ env: {}, overrides: { mssante: { tls: { extraCiphers: ['HIGH', '!aNULL'] } } } })).toThrow(ConfigError);
    expect(extraCipherProblems(['ECDHE-RSA-AES256-SHA'])).toEqual([]);
    expect(extraCipherProblems(['ECDHE-RSA-NOPE-SHA'])).toEqual([expect.stringMatching(/not a TLS 1\.2 suite/)]);
    const anchors = loadAnchorsFile(pki.anchorsFile);
    expect(() => mssanteTlsOptions({ identity: loadIdentityFiles({ key: pki.gateway.keyFile, cert: pki.gateway.chainFile }), anchors, extraCiphers: ['ECDHE-RSA-NOPE-SHA'] }))
      .toThrow(/mssante\.tls\.extraCiphers: 'ECDHE-RSA-NOPE-SHA'/);
  });

  it('a widened setting is logged (warn) when the national side is prepared; the default is not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-suites-'));
    const warnings: { msg: string; fields?: Record<string, unknown> }[] = [];
    const log: Logger = { ...silentLogger, warn: (msg, fields) => warnings.push({ msg, fields }) };
    for (const extraCiphers of [[], ['ECDHE-RSA-AES256-SHA', 'AES256-SHA']]) {
      const config = loadConfig({ env: {}, overrides: { dataDir: dir, testMaterial: false, mssante: { ...nationalConfig(pki, dir, 1), tls: { extraCiphers } } } });
      const n = await prepareNational(config, log);
      n.close();
      expect(n.tls.ciphers?.split(':').filter((c) => !c.startsWith('TLS_'))).toEqual([...MSSANTE_CIPHER_SUITES, ...extraCiphers]);
    }
    const widened = warnings.filter((w) => /widened/.test(w.msg));
    expect(widened).toHaveLength(1);
    expect(widened[0].fields).toMatchObject({ setting: 'mssante.tls.extraCiphers', suites: 'ECDHE-RSA-AES256-SHA:AES256-SHA' });
  });
});

describe('client options against openssl s_server', () => {
  /** One s_server accepting one connection with the given suite restriction; the client uses the gateway's options. */
  async function handshake(serverArgs: string[]) {
    const port = await freePort();
    const server = openssl(['s_server', '-accept', `127.0.0.1:${port}`, '-naccept', '1', '-brief',
      '-cert', pki.medecin.certFile, '-key', pki.medecin.keyFile, ...serverArgs], { keepStdinOpen: true });
    const anchors = loadAnchorsFile(pki.anchorsFile);
    const client = await connectWhenListening({
      ...mssanteTlsOptions({ identity: loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password }), anchors }),
      host: '127.0.0.1', port, servername: 'mx.medecin.mssante.fr',
      rejectUnauthorized: false, // s_server sends its leaf only: this test is about suites, the chain is tested elsewhere
    });
    const timer = setTimeout(() => server.kill(), 5000);
    const s = await server.done;
    clearTimeout(timer);
    return { client, server: s.out };
  }

  it.each(MSSANTE_CIPHER_SUITES)('negotiates TLS 1.2 with %s when the server allows only it', async (suite) => {
    const { client } = await handshake(['-no_tls1_3', '-cipher', suite]);
    expect(client).toEqual({ ok: true, cipher: suite, protocol: 'TLSv1.2' });
  });

  it.each(EXCLUDED)('fails when the server allows only %s', async (suite) => {
    const { client, server } = await handshake(['-no_tls1_3', '-cipher', suite]);
    expect(client.ok).toBe(false);
    expect(server).toMatch(/no shared cipher/);
  });

  it('offers exactly the four suites and TLS 1.3 (as s_server reads the ClientHello)', async () => {
    const { client, server } = await handshake([]);
    expect(client).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
    const offered = /Client cipher list: (\S+)/.exec(server)?.[1].split(':');
    expect(offered?.filter((c) => c !== 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV').sort()).toEqual([...MSSANTE_CIPHER_SUITES, ...TLS13_SUITES].sort());
  });
});

/** Cipher suite code points of a TLS ClientHello record (RFC 8446 §4.1.2), or null while incomplete. */
function clientHelloSuites(buf: Buffer): number[] | null {
  if (buf.length < 5) return null;
  const recordLength = buf.readUInt16BE(3);
  if (buf.length < 5 + recordLength) return null;
  if (buf[0] !== 22 || buf[5] !== 1) throw new Error('not a ClientHello');
  let p = 5 + 4 + 2 + 32; // record header, handshake header, legacy_version, random
  p += 1 + buf[p]; // legacy_session_id
  const n = buf.readUInt16BE(p);
  const suites: number[] = [];
  for (let i = 0; i < n; i += 2) suites.push(buf.readUInt16BE(p + 2 + i));
  return suites;
}

describe('outbound client (nodemailer over STARTTLS)', () => {
  it('offers only the four suites of the rules and the TLS 1.3 suites in its ClientHello', async () => {
    let resolveSuites!: (s: number[]) => void;
    const suites = new Promise<number[]>((r) => (resolveSuites = r));
    const server = net.createServer((sock) => {
      sock.write('220 mx.medecin.mssante.fr ESMTP\r\n');
      let starttls = false;
      let hello = Buffer.alloc(0);
      sock.on('data', (chunk: Buffer) => {
        if (starttls) {
          hello = Buffer.concat([hello, chunk]);
          const s = clientHelloSuites(hello);
          if (s) {
            resolveSuites(s);
            sock.destroy();
          }
          return;
        }
        const line = chunk.toString('latin1');
        if (/^EHLO/i.test(line)) sock.write('250-mx.medecin.mssante.fr\r\n250 STARTTLS\r\n');
        else if (/^STARTTLS/i.test(line)) {
          starttls = true;
          sock.write('220 2.0.0 Ready to start TLS\r\n');
        } else sock.write('500 unexpected\r\n');
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = new OutboundClient({
      tls: mssanteTlsOptions({ identity: loadIdentityFiles({ pkcs12: pki.gatewayP12, password: pki.p12Password }), anchors: loadAnchorsFile(pki.anchorsFile) }),
      trustList: () => parseTrustList(trustListXml(pki)),
      name: 'mx.passerelle-test.mssante.fr',
      routes: { 'medecin.mssante.fr': { host: '127.0.0.1', port: (server.address() as AddressInfo).port, tlsName: 'mx.medecin.mssante.fr' } },
      connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 5000,
    });
    const raw = new TextEncoder().encode('From: a@passerelle-test.mssante.fr\r\nTo: b@medecin.mssante.fr\r\nSubject: x\r\n\r\nx\r\n');
    const delivery = client.deliver({ target: 'mssante', mailFrom: 'a@passerelle-test.mssante.fr', recipients: ['b@medecin.mssante.fr'], raw });
    const offered = await suites;
    const [outcome] = await delivery;
    await client.close();
    server.close();
    expect(outcome.result).toBe('temporary'); // the capture server ends the handshake
    const hex = (n: number) => `0x${n.toString(16).padStart(4, '0').toUpperCase()}`;
    // IANA code points: the four of the rules, the TLS 1.3 suites, the renegotiation SCSV (RFC 5746)
    expect(offered.map(hex).sort()).toEqual([
      '0xC030', // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
      '0xC02F', // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
      '0xC028', // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384
      '0xC027', // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
      '0x1302', // TLS_AES_256_GCM_SHA384
      '0x1303', // TLS_CHACHA20_POLY1305_SHA256
      '0x1301', // TLS_AES_128_GCM_SHA256
      '0x00FF', // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
    ].sort());
  });
});
