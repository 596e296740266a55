/**
 * The pooled SMTP client for sealed raw messages (`adapters/smtp/raw-smtp-pool.ts`), against
 * a real smtp-server on loopback with STARTTLS and client certificates (the test PKI):
 * bytes as given (dot-stuffed on the wire, unstuffed by the server), the envelope pipelined,
 * connections reused and capped, a refused message leaving the connection usable, a session
 * the server closed while idle handled without losing the next message, the TLS session
 * resumed, with the client certificate, when a new connection is opened; a waiting message
 * sent on the first connection free rather than bound to one being opened, and a refused
 * connection failing no message while another is open.
 */
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isTransparentData, RawSmtpPool } from '../../adapters/smtp/raw-smtp-pool.js';
import { outcomesFromError, outcomesFromInfo } from '../../adapters/smtp/smtp-outcome.js';
import { testPki, type TestPki } from '../pki/test-pki.js';

let pki: TestPki;
let server: SMTPServer;
let port: number;
const received: { from: string; to: string[]; data: Buffer; session: string }[] = [];
const sessions: { id: string; resumed: boolean; peerCn?: string; authorized: boolean }[] = [];
const commands: string[] = [];
const live = new Set<{ end(): void; destroy(): void }>();
/** What the server does with a new connection (default: greets it at once). */
let gate: () => 'greet' | 'hold' | 'refuse' = () => 'greet';
/** Messages a session may carry before MAIL is answered 421 (default: no limit). */
let perSession = Infinity;
const carried = new Map<string, number>();

beforeAll(async () => {
  pki = await testPki();
  server = new SMTPServer({
    key: pki.medecin.keyPem,
    cert: pki.medecin.chainPem,
    ca: pki.anchorsPem,
    requestCert: true,
    rejectUnauthorized: false,
    authOptional: true,
    logger: false,
    onConnect(session, cb) {
      const g = gate();
      if (g === 'refuse') return cb(Object.assign(new Error('Too many connections'), { responseCode: 421 }));
      if (g === 'hold') return void setTimeout(() => cb(), 400); // a slow greeting
      cb();
    },
    onSecure(socket, session, cb) {
      const s = socket as TLSSocket;
      const cert = s.getPeerCertificate();
      sessions.push({ id: session.id, resumed: s.isSessionReused(), peerCn: cert?.subject?.CN as string | undefined, authorized: s.authorized });
      live.add(s);
      s.once('close', () => live.delete(s));
      cb();
    },
    onMailFrom(a, session, cb) {
      commands.push(`MAIL ${a.address}`);
      const n = carried.get(session.id) ?? 0;
      if (n >= perSession) return cb(Object.assign(new Error('4.7.0 Too many messages for this session'), { responseCode: 421 }));
      carried.set(session.id, n + 1);
      cb();
    },
    onRcptTo(a, _s, cb) {
      commands.push(`RCPT ${a.address}`);
      if (a.address.startsWith('unknown')) return cb(Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 }));
      if (a.address.startsWith('later')) return cb(Object.assign(new Error('4.2.1 Mailbox busy'), { responseCode: 451 }));
      cb();
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ from: (session.envelope.mailFrom as { address: string }).address, to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks), session: session.id });
        cb(null, 'Queued as TEST');
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

afterEach(() => {
  gate = () => 'greet';
  perSession = Infinity;
});

const pool = (o: Partial<ConstructorParameters<typeof RawSmtpPool>[0]> = {}) => new RawSmtpPool({
  host: '127.0.0.1', port, requireTLS: true, name: 'mx.passerelle-test.mssante.fr',
  tls: { ca: pki.anchorsPem, key: pki.gateway.keyPem, cert: pki.gateway.chainPem, servername: 'mx.medecin.mssante.fr', rejectUnauthorized: true },
  ...o,
});

const bytes = (s: string) => new TextEncoder().encode(s);
/** Sends a one-line message to `to` through `p`. */
const sender = (p: RawSmtpPool) => (to: string) => p.send({ from: 'a@passerelle-test.mssante.fr', to: [to] }, bytes(`Subject: t\r\n\r\n${to}\r\n`));
/** The server session that received the message to `to`. */
const sessionOf = (to: string) => received.find((r) => r.to[0] === to)!.session;

describe('RawSmtpPool', () => {
  it('sends the bytes as given (a line starting with a dot survives) and reports accepted recipients', async () => {
    const p = pool();
    const raw = bytes('Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n');
    const info = await p.send({ from: 'a@passerelle-test.mssante.fr', to: ['b@medecin.mssante.fr'] }, raw);
    await p.close();
    expect(info.accepted).toEqual(['b@medecin.mssante.fr']);
    expect(info.response).toMatch(/^250 .*Queued as TEST/);
    expect(received.at(-1)!.data.equals(Buffer.from(raw))).toBe(true);
  });

  it('sends a regular message byte for byte, and repairs bare line ends as nodemailer does', async () => {
    const p = pool();
    const regular = bytes('Subject: plain\r\nMIME-Version: 1.0\r\n\r\nQUJD\r\nREVG\r\nno final line end');
    const bare = bytes('Subject: bare\r\n\r\nline one\nline two\r.three\r\n');
    await p.send({ from: 'a@passerelle-test.mssante.fr', to: ['plain@medecin.mssante.fr'] }, regular);
    await p.send({ from: 'a@passerelle-test.mssante.fr', to: ['bare@medecin.mssante.fr'] }, bare);
    await p.close();
    expect(received.find((r) => r.to[0] === 'plain@medecin.mssante.fr')!.data.toString('latin1')).toBe(`${Buffer.from(regular).toString('latin1')}\r\n`);
    expect(received.find((r) => r.to[0] === 'bare@medecin.mssante.fr')!.data.toString('latin1')).toBe('Subject: bare\r\n\r\nline one\r\nline two\r\n.three\r\n');
  });

  it('tells which messages need no stuffing', () => {
    const t = (s: string) => isTransparentData(Buffer.from(s, 'latin1'));
    expect(t('A: b\r\n\r\nQUJD\r\n')).toBe(true);
    expect(t('A: b\r\n\r\n.QUJD\r\n')).toBe(false);
    expect(t('.A\r\n')).toBe(false);
    expect(t('A\nB\r\n')).toBe(false);
    expect(t('A\rB\r\n')).toBe(false);
    expect(t('A\r\n\r')).toBe(false);
    expect(t('')).toBe(false);
  });

  it('reuses connections up to maxConnections, and a refused recipient does not cost the connection', async () => {
    const before = sessions.length;
    const p = pool({ maxConnections: 2 });
    const send = (to: string[]) => p.send({ from: 'a@passerelle-test.mssante.fr', to }, bytes(`Subject: x\r\n\r\n${to[0]}\r\n`));
    const infos = await Promise.all([
      send(['b1@medecin.mssante.fr', 'unknown@medecin.mssante.fr', 'later@medecin.mssante.fr']),
      ...Array.from({ length: 9 }, (_, i) => send([`c${i}@medecin.mssante.fr`])),
    ]);
    const o = outcomesFromInfo(['b1@medecin.mssante.fr', 'unknown@medecin.mssante.fr', 'later@medecin.mssante.fr'], infos[0]);
    expect(o.map((x) => x.result)).toEqual(['delivered', 'permanent', 'temporary']);
    expect(o[1].reply).toMatch(/^550 5\.1\.1/);
    // every recipient refused: an error carrying the reply, then the connection goes on after RSET
    const err = await send(['unknown2@medecin.mssante.fr']).catch((e: Error) => e);
    expect(outcomesFromError(['unknown2@medecin.mssante.fr'], err as Error)[0]).toMatchObject({ result: 'permanent' });
    await send(['after@medecin.mssante.fr']);
    await p.close();
    expect(sessions.length - before).toBeLessThanOrEqual(2);
    expect(received.some((r) => r.to[0] === 'after@medecin.mssante.fr')).toBe(true);
  });

  it('resumes the TLS session on a new connection, the client certificate still known to the server', async () => {
    const before = sessions.length;
    const p = pool({ maxMessages: 1 });
    for (let i = 0; i < 3; i++) await p.send({ from: 'a@passerelle-test.mssante.fr', to: [`r${i}@medecin.mssante.fr`] }, bytes('Subject: r\r\n\r\nr\r\n'));
    await p.close();
    const mine = sessions.slice(before);
    expect(mine).toHaveLength(3);
    expect(mine[0].resumed).toBe(false);
    expect(mine.slice(1).some((s) => s.resumed)).toBe(true);
    expect(p.stats.tlsResumed).toBeGreaterThan(0);
    for (const s of mine) expect(s).toMatchObject({ authorized: true, peerCn: 'mx.passerelle-test.mssante.fr' });
  });

  it('sends the next message on a fresh connection when the server closed the idle one', async () => {
    const p = pool({ maxConnections: 1 });
    await p.send({ from: 'a@passerelle-test.mssante.fr', to: ['idle1@medecin.mssante.fr'] }, bytes('Subject: i\r\n\r\ni\r\n'));
    for (const s of live) s.destroy(); // the server side drops every open session
    await new Promise((r) => setTimeout(r, 50));
    const info = await p.send({ from: 'a@passerelle-test.mssante.fr', to: ['idle2@medecin.mssante.fr'] }, bytes('Subject: i\r\n\r\ni\r\n'));
    await p.close();
    expect(info.accepted).toEqual(['idle2@medecin.mssante.fr']);
  });

  it('sends a waiting message on the busy connection that frees first, not on the one being opened for it', async () => {
    const p = pool({ maxConnections: 2 });
    const send = sender(p);
    await send('w0@medecin.mssante.fr');
    gate = () => 'hold';
    try {
      // w1 takes the open connection; w2 finds none free and a second one is opened, whose greeting is held.
      await Promise.all([send('w1@medecin.mssante.fr'), send('w2@medecin.mssante.fr')]);
      expect(sessionOf('w1@medecin.mssante.fr')).toBe(sessionOf('w0@medecin.mssante.fr'));
      expect(sessionOf('w2@medecin.mssante.fr')).toBe(sessionOf('w0@medecin.mssante.fr'));
      // The second connection opens all the same, and is there for the next messages.
      while (p.stats.connections < 2) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await p.close();
    }
  });

  it('a connection refused while another is open fails no message: they go on the open one', async () => {
    const p = pool({ maxConnections: 2 });
    const send = sender(p);
    await send('f0@medecin.mssante.fr');
    gate = () => 'refuse';
    try {
      const settled = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => send(`f${i + 1}@medecin.mssante.fr`)));
      expect(settled.map((r) => r.status)).toEqual(Array(5).fill('fulfilled'));
      expect(p.stats.connections).toBe(1);
    } finally {
      await p.close();
    }
  });

  it('retires a connection after maxAge: the next message goes on a new session', async () => {
    const p = pool({ maxAge: 400 });
    const send = sender(p);
    await send('g0@medecin.mssante.fr');
    await send('g1@medecin.mssante.fr');
    await new Promise((r) => setTimeout(r, 450));
    await send('g2@medecin.mssante.fr');
    await p.close();
    expect(sessionOf('g1@medecin.mssante.fr')).toBe(sessionOf('g0@medecin.mssante.fr'));
    expect(sessionOf('g2@medecin.mssante.fr')).not.toBe(sessionOf('g0@medecin.mssante.fr'));
  });

  it('a peer that limits the messages of a session (421 at MAIL): the message goes again on a new connection', async () => {
    perSession = 2;
    const p = pool({ maxConnections: 1 });
    const send = sender(p);
    try {
      for (let i = 0; i < 5; i++) await send(`l${i}@medecin.mssante.fr`);
      const mine = received.filter((r) => r.to[0]!.startsWith('l'));
      expect(mine.map((r) => r.to[0])).toEqual(['l0', 'l1', 'l2', 'l3', 'l4'].map((l) => `${l}@medecin.mssante.fr`));
      expect(new Set(mine.map((r) => r.session)).size).toBe(3);
    } finally {
      await p.close();
    }
  });

  it('fails a message with a connection error when nothing listens', async () => {
    const p = pool({ port: 1, connectionTimeout: 2000 });
    const err = (await p.send({ from: 'a@x', to: ['b@y'] }, bytes('x\r\n')).catch((e: Error) => e)) as Error & { code?: string };
    await p.close();
    expect(err).toBeInstanceOf(Error);
    expect(outcomesFromError(['b@y'], err)[0].result).toBe('temporary');
  });
});
