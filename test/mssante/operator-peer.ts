/**
 * A national operator on loopback for tests: an SMTP server with the gateway's own inbound
 * policy (STARTTLS, TLS 1.2+, client certificate verified against the test anchors and CRLs,
 * trust list, served recipients), recording what it receives. Use it as the far end of the
 * gateway's outbound client, or as a stand-in for the gateway's listener.
 *
 * @example
 * const peer = await startOperatorPeer({ pki, identity: pki.medecin, serves: (a) => a.endsWith('@medecin.mssante.fr') });
 * // route 'medecin.mssante.fr' → { host: '127.0.0.1', port: peer.port, tlsName: 'mx.medecin.mssante.fr' }
 * await peer.close();
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { inboundPolicy, type InboundPeer } from '../../adapters/mssante/smtp/inbound-policy.js';
import { loadAnchorsFile, loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { mssanteTlsOptions } from '../../adapters/mssante/tls/tls-options.js';
import { parseTrustList, type TrustList } from '../../adapters/mssante/trust-list/trust-list.js';
import type { TestIdentity, TestPki } from '../pki/test-pki.js';
import { trustListXml } from './fixtures.js';

export interface ReceivedMessage {
  from: string;
  to: string[];
  peer?: InboundPeer;
  raw: Buffer;
}

export interface OperatorPeer {
  port: number;
  received: ReceivedMessage[];
  /** Refusals as `reply | detail` lines. */
  refusals: string[];
  /** Connection-level errors the server reported (failed TLS handshakes…). */
  errors: string[];
  close(): Promise<void>;
}

export async function startOperatorPeer(opts: {
  pki: TestPki;
  identity: TestIdentity;
  serves: (address: string) => boolean | Promise<boolean>;
  trustList?: TrustList;
}): Promise<OperatorPeer> {
  const { pki, identity } = opts;
  const list = opts.trustList ?? parseTrustList(trustListXml(pki));
  const received: ReceivedMessage[] = [];
  const refusals: string[] = [];
  const policy = inboundPolicy({
    tls: mssanteTlsOptions({ identity: loadIdentityFiles({ key: identity.keyFile, cert: identity.chainFile }), anchors: loadAnchorsFile(pki.anchorsFile), crlPem: [pki.crlPem] }),
    trustList: () => list,
    servesRecipient: opts.serves,
    onRefuse: (e) => refusals.push(`${e.error.reply} | ${e.error.detail ?? ''}`),
  });
  const server = new SMTPServer({
    ...policy.options,
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          peer: policy.peerOf(session),
          raw: Buffer.concat(chunks),
        });
        cb();
      });
    },
  });
  // smtp-server reports failed handshakes (e.g. a TLS 1.1 client) as 'error' events
  const errors: string[] = [];
  server.on('error', (err: Error) => errors.push(err.message));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    errors,
    port: (server.server.address() as AddressInfo).port,
    received,
    refusals,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
