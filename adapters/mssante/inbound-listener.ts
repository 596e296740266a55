/**
 * The SMTP listener that receives mail from national operators (Node edge). Every rule of
 * the espace de confiance is enforced by `inboundPolicy` before DATA: STARTTLS required,
 * TLS 1.2+, a client certificate chaining to the anchors, the sending domain on the trust
 * list with a certificate matching its `DNCertificatOperateur`, RCPT only for addresses the
 * gateway serves. Accepted mail is committed through the pipeline before `250`; S/MIME is
 * opened afterwards, so no reply depends on a decryption.
 *
 * @example
 * const l = await startNationalListener({ host: '127.0.0.1', port: 2526, maxSize: 25e6,
 *   tls: mssanteTlsOptions({ identity, anchors }), trustList: () => loader.current(),
 *   servesRecipient: (a) => …, sink: gateway, log });
 */
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from '../../core/log/logger.js';
import { acceptData, type AcceptSink } from '../smtp/smtp-listener.js';
import { inboundPolicy } from './smtp/inbound-policy.js';
import type { TrustList } from './trust-list/trust-list.js';

export interface NationalListenerOptions {
  host: string;
  port: number;
  maxSize: number;
  /** From `mssanteTlsOptions(...)`. */
  tls: SecureContextOptions;
  trustList: () => TrustList;
  servesRecipient: (address: string) => boolean | Promise<boolean>;
  /** EHLO/greeting name. */
  name: string;
  sink: AcceptSink;
  log: Logger;
  /**
   * Told of each refusal (metrics): the SMTP stage (`mail`, `rcpt`, or `tls` for a failed
   * handshake) and the error kind (`HANDSHAKE_FAILED` for a handshake). Never an address.
   */
  onRefuse?: (stage: string, kind: string) => void;
}

export interface RunningNationalListener {
  port: number;
  /** The socket is bound and accepting connections (readiness). */
  listening(): boolean;
  /** Give the server new TLS material (e.g. refreshed CRLs). */
  updateTls(tls: SecureContextOptions): void;
  close(): Promise<void>;
}

export async function startNationalListener(o: NationalListenerOptions): Promise<RunningNationalListener> {
  const policy = inboundPolicy({
    tls: o.tls,
    trustList: o.trustList,
    servesRecipient: o.servesRecipient,
    name: o.name,
    maxSize: o.maxSize,
    onRefuse: (e) => {
      o.onRefuse?.(e.stage, e.error.kind);
      o.log.info('national peer refused', { stage: e.stage, reply: e.error.reply, detail: e.error.detail, remote: e.remoteAddress });
    },
  });
  const server = new SMTPServer({
    ...policy.options,
    logger: false,
    onData: acceptData('mssante', o.sink, o.log, (session) => ({ tlsSubject: policy.peerOf(session)?.subjectText })),
  });
  // smtp-server reports failed TLS handshakes and cut connections here.
  // smtp-server may report one failed handshake twice (the TLS socket's error, then the connection's): counted once per error.
  const counted = new WeakSet<Error>();
  server.on('error', (err: Error & { code?: string }) => {
    if (!counted.has(err) && /ssl|tls|handshake|certificate/i.test(`${err.code ?? ''} ${err.message}`)) {
      counted.add(err);
      o.onRefuse?.('tls', 'HANDSHAKE_FAILED');
    }
    o.log.debug('national listener connection error', { error: err.message });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    listening: () => server.server.listening,
    updateTls: (tls) => server.updateSecureContext(tls),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
