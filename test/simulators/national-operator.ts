/**
 * A national operator on loopback: an SMTP server applying the rules of the espace de
 * confiance with the gateway's own inbound policy (STARTTLS, TLS 1.2+, client certificate
 * verified against the anchors and CRLs, trust list, served recipients), recording what it
 * receives. The far end of the gateway's outbound client in tests and in `passerelle demo`.
 *
 * @example
 * const op = await startNationalOperator({ keyFile, certFile, anchorsFile, trustList, serves: (a) => a.endsWith('@medecin.mssante.fr') });
 * // route 'medecin.mssante.fr' → { host: '127.0.0.1', port: op.port, tlsName: 'mx.medecin.mssante.fr' }
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { inboundPolicy, type InboundPeer } from '../../adapters/mssante/smtp/inbound-policy.js';
import { loadAnchorsFile, loadIdentityFiles } from '../../adapters/mssante/tls/files.js';
import { mssanteTlsOptions } from '../../adapters/mssante/tls/tls-options.js';
import type { TrustList } from '../../adapters/mssante/trust-list/trust-list.js';

export interface ReceivedMessage {
  from: string;
  to: string[];
  peer?: InboundPeer;
  raw: Buffer;
  /** When it was received (`performance.now()`). */
  at: number;
}

export interface NationalOperator {
  port: number;
  received: ReceivedMessage[];
  /** Refusals as `reply | detail` lines. */
  refusals: string[];
  /** Connection-level errors the server reported (failed TLS handshakes…). */
  errors: string[];
  waitFor(pred: (m: ReceivedMessage) => boolean, timeoutMs?: number): Promise<ReceivedMessage>;
  close(): Promise<void>;
}

export async function startNationalOperator(o: {
  /** The operator's key and certificate chain (PEM files). */
  keyFile: string;
  certFile: string;
  anchorsFile: string;
  crlPem?: string[];
  trustList: TrustList;
  serves: (address: string) => boolean | Promise<boolean>;
}): Promise<NationalOperator> {
  const received: ReceivedMessage[] = [];
  const refusals: string[] = [];
  const errors: string[] = [];
  const policy = inboundPolicy({
    tls: mssanteTlsOptions({ identity: loadIdentityFiles({ key: o.keyFile, cert: o.certFile }), anchors: loadAnchorsFile(o.anchorsFile), crlPem: o.crlPem }),
    trustList: () => o.trustList,
    servesRecipient: o.serves,
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
          at: performance.now(),
        });
        cb();
      });
    },
  });
  // smtp-server reports failed handshakes (e.g. a TLS 1.1 client) as 'error' events
  server.on('error', (err: Error) => errors.push(err.message));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    refusals,
    errors,
    async waitFor(pred, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const m = received.find(pred);
        if (m) return m;
        if (Date.now() > end) throw new Error('national operator: nothing matching arrived');
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
