/**
 * Two gateway processes on one private PostgreSQL, with a legacy relay and a national peer,
 * and the mixed load the multi-node tests send through them (`postgres-outage`,
 * `two-nodes-crash`): one world, so each test says only what it does to it.
 *
 * @example
 * const w = await startTwoNodeWorld({ root, database: 'outage', logLevel: 'info', queue: { lease: '20s', … } });
 * const mails = await mixedMails(w, 300, { prefix: 'outage' });
 * const tally = deliveryTally(w, byId); // after the drain: what each peer received, by gateway id
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { makeKeyFolders, ALIASES, NATIONAL_DOMAIN, SUBSCRIBERS, GATEWAY_PASSWORD } from './legacy-world.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import type { PostgresServer } from './postgres-server.js';
import { loadKeyFolder } from '../../adapters/legacy/key-folder.js';
import type { KeyStore } from '../../adapters/legacy/key-store.js';
import { sealLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { startLegacyRelay } from '../simulators/legacy-relay.js';
import { startNationalPeer } from '../simulators/national-peer.js';
import { testPki } from '../pki/test-pki.js';
import { trustListXml } from '../mssante/fixtures.js';
import { writeMime } from '../../lib/mime/mime-writer.js';

export const GATEWAY_DOMAIN = 'passerelle-test.mssante.fr';
export const SCHEMA = 'passerelle';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const HPRIM = (JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/legacy-network/seal.json'), 'utf8')) as { name: string; text: string }[])
  .find((v) => v.name === 'hprim-lab-report')!.text;
const GATEWAY_MESSAGE_ID = /^Message-ID:[ \t]*<([0-9A-Z]{26})\.(?:mssante|legacy)@/im;

/** The gateway's own message id, from the Message-ID it gave a delivered message. */
export function gatewayIdOf(raw: Uint8Array): string {
  const text = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 8192)).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end >= 0 ? text.slice(0, end) : text;
  const m = head.match(GATEWAY_MESSAGE_ID);
  if (!m) throw new Error(`a delivered message has no gateway Message-ID: ${head.split(/\r?\n/).filter((l) => /^(message-id|from|to|content-type|x-)/i.test(l)).join(' | ')}`);
  return m[1]!;
}

export interface Mail { kind: 'legacy' | 'national'; unroutable?: boolean; node: 0 | 1; messageId: string; from: string; to: string; raw: Buffer }

export type Health = { status: number; body: { status: string; reason?: string; queue?: Record<string, number>; messages?: Record<string, number> } };

export interface TwoNodeWorld {
  url: string;
  relayKeys: KeyStore;
  pki: Awaited<ReturnType<typeof testPki>>;
  relay: Awaited<ReturnType<typeof startLegacyRelay>>;
  peer: Awaited<ReturnType<typeof startNationalPeer>>;
  nodes: [GatewayProcess, GatewayProcess];
  legacyLocals: string[];
  /** Messages the relay holds for legacy subscribers. */
  relayReceived(): number;
  healthOf(n: GatewayProcess): Promise<Health>;
  /** A pooled client of one node's legacy or national listener, as a peer MTA would send. */
  transport(n: GatewayProcess, kind: Mail['kind']): Transporter<SMTPPool.SentMessageInfo>;
  /** Queued, in flight or not yet processed, on the node's `/health`. */
  openOf(h: Health): number;
}

/**
 * Starts the relay, the peer and nodes `node-a` and `node-b` (`passerelle start`) sharing
 * `server`'s database `database`; every process and listener is pushed on `closers`.
 */
export async function startTwoNodeWorld(o: {
  root: string; server: PostgresServer; database: string; logLevel: 'info' | 'warn'; queue: Record<string, unknown>;
  closers: (() => Promise<unknown> | unknown)[];
}): Promise<TwoNodeWorld> {
  const url = await o.server.createDatabase(o.database);
  const keys = await makeKeyFolders(o.root);
  const { store: relayKeys } = await loadKeyFolder(keys.all);
  const pki = await testPki();
  const trustListFile = join(o.root, 'trust-list.xml');
  writeFileSync(trustListFile, trustListXml(pki));
  const relay = await startLegacyRelay({
    keys: relayKeys, domain: 'lnp.test', gatewayLocal: 'passerelle',
    subscribers: [...SUBSCRIBERS, { local: 'passerelle', zone: 'gateway', password: GATEWAY_PASSWORD }],
  });
  o.closers.push(() => relay.close());
  const peer = await startNationalPeer({ domains: [NATIONAL_DOMAIN] });
  o.closers.push(() => peer.close());

  const configFile = join(o.root, 'passerelle.json');
  writeFileSync(configFile, JSON.stringify({
    database: url,
    postgres: { schema: SCHEMA, poolSize: 6 },
    log: { level: o.logLevel },
    http: { port: 0 },
    legacy: { keyDir: keys.gateway, listen: { port: 0 }, relay: { port: relay.port, password: GATEWAY_PASSWORD } },
    mssante: {
      domain: GATEWAY_DOMAIN, listen: { port: 0 }, transport: 'plain', routes: { [NATIONAL_DOMAIN]: `127.0.0.1:${peer.port}` },
      anchors: pki.anchorsFile, identity: { pkcs12: pki.gatewayP12, password: pki.p12Password }, trustList: trustListFile,
    },
    aliases: ALIASES,
    legacySubscribers: SUBSCRIBERS.map((s) => `${s.local}@${s.zone}.lnp.test`),
    queue: o.queue,
  }));
  const startNode = (name: string) => startGatewayProcess(['--config', configFile], { PASSERELLE_NODE_ID: name, PASSERELLE_DATA_DIR: join(o.root, name) });
  const nodes = await Promise.all([startNode('node-a'), startNode('node-b')]) as [GatewayProcess, GatewayProcess];
  for (const n of nodes) o.closers.push(() => n.child.kill('SIGKILL'));
  const legacyLocals = SUBSCRIBERS.map((s) => s.local);

  return {
    url, relayKeys, pki, relay, peer, nodes, legacyLocals,
    relayReceived: () => legacyLocals.reduce((n, l) => n + relay.inbox(l).length, 0),
    healthOf: async (n) => {
      const res = await fetch(`http://127.0.0.1:${n.ports.http}/health`, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: await res.json() as Health['body'] };
    },
    openOf: (h) => (h.body.queue?.queued ?? 0) + (h.body.queue?.sending ?? 0) + (h.body.queue?.pending ?? 0) +
      (h.body.messages?.received ?? 0) + (h.body.messages?.opened ?? 0),
    transport: (n, kind) => kind === 'legacy'
      ? nodemailer.createTransport({
        pool: true, maxConnections: 3, maxMessages: Infinity, host: '127.0.0.1', port: n.ports.legacy, secure: false, ignoreTLS: true,
        connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 30_000, logger: false,
      } as SMTPPool.Options)
      : nodemailer.createTransport({
        pool: true, maxConnections: 3, maxMessages: Infinity, host: '127.0.0.1', port: n.ports.national, secure: false, requireTLS: true, name: 'mx.medecin.mssante.fr',
        tls: { key: pki.medecin.keyPem, cert: pki.medecin.chainPem, ca: pki.anchorsPem, servername: `mx.${GATEWAY_DOMAIN}`, minVersion: 'TLSv1.2' },
        connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 30_000, logger: false,
      } as SMTPPool.Options),
  };
}

/**
 * The mixed load, alternating nodes: two in five national letters to legacy subscribers, the
 * rest LNP/1 letters to national mailboxes; with `hprim`, one in five of those an HPRIM lab
 * report; with `unroutable`, one in fifty addressed to an interop alias whose national domain
 * has no route (each must earn its sender one failure notice).
 */
export async function mixedMails(w: TwoNodeWorld, n: number, o: { prefix: string; hprim?: boolean; unroutable?: boolean }): Promise<Mail[]> {
  const year = new Date().getUTCFullYear();
  const legacySenders = SUBSCRIBERS.map((s) => `${s.local}@${s.zone}.lnp.test`);
  const mails: Mail[] = [];
  for (let i = 0; i < n; i++) {
    const node = (i % 2) as 0 | 1;
    if (i % 5 < 2) {
      const from = ['jean.dupont@medecin.mssante.fr', 'camille.roux@medecin.mssante.fr'][i % 2]!;
      const to = `${w.legacyLocals[i % 3]!}@${GATEWAY_DOMAIN}`;
      const messageId = `<${o.prefix}-${i}@medecin.mssante.fr>`;
      const raw = writeMime({ headers: { From: from, To: to, Subject: `Avis ${i}`, 'Message-ID': messageId, Date: new Date().toUTCString() }, text: `Avis n° ${i}.\r\n`, attachments: [] });
      mails.push({ kind: 'national', node, messageId, from, to, raw: Buffer.from(raw) });
      continue;
    }
    const from = legacySenders[i % 3]!;
    const unroutable = o.unroutable === true && i % 50 === 7;
    const to = unroutable ? 'nobody.home@interop.lnp.test' : i % 2 ? 'jean.dupont.med@interop.lnp.test' : 'camille.roux.med@interop.lnp.test';
    const messageId = `<${o.prefix}-${i}@medical33.lnp.test>`;
    const { raw } = await sealLnpMail(w.relayKeys, {
      holder: 'passerelle', year, from, to: [to], cc: [], subject: `Test ${i}`, messageId, date: new Date(),
      text: o.hprim && i % 5 === 2 ? HPRIM : `Lettre ${i}\r\n`, attachments: [], transit: 'relay1',
    });
    mails.push({ kind: 'legacy', ...(unroutable ? { unroutable } : {}), node, messageId, from, to, raw: Buffer.from(raw) });
  }
  return mails;
}

/**
 * What both peers received, by gateway id: `copies` (gateway id → copies delivered),
 * `delivered` (the sender's Message-ID → the gateway messages delivered for it), `strays`
 * (deliveries matching no accepted message). `byId` maps gateway ids to their stored rows.
 */
export function deliveryTally(w: TwoNodeWorld, byId: Map<string, { message_id: string | null }>) {
  const copies = new Map<string, number>();
  const delivered = new Map<string, Set<string>>();
  const strays: string[] = [];
  const tally = (raw: Uint8Array) => {
    const gid = gatewayIdOf(raw);
    const row = byId.get(gid);
    if (!row?.message_id) return void strays.push(gid);
    copies.set(gid, (copies.get(gid) ?? 0) + 1);
    delivered.set(row.message_id, (delivered.get(row.message_id) ?? new Set()).add(gid));
  };
  for (const r of w.peer.received) tally(new Uint8Array(r.raw));
  for (const l of w.legacyLocals) for (const raw of w.relay.inbox(l)) tally(raw);
  return { copies, delivered, strays };
}
