/**
 * The admission policy of the SMTP listener that receives mail from MSSanté operators, as
 * smtp-server options and handlers. Node edge.
 *
 * Rules, in the order a session meets them:
 * 1. STARTTLS is offered; MAIL before STARTTLS → `530 5.7.0 Must issue a STARTTLS command first`.
 * 2. TLS 1.2 or later, the national suites first; a client certificate is requested and
 *    verified by OpenSSL against the IGC-Santé anchors (and the CRLs when configured).
 *    The handshake does not fail on a bad certificate: MAIL is answered
 *    `530 5.7.0 A valid client certificate is required` so the peer's logs say why.
 * 3. MAIL FROM's domain must be on the trust list (`550 5.7.1 Domain is not on the trust
 *    list`) and the certificate subject must match that domain's `DNCertificatOperateur`
 *    (`554 5.7.1 Client host not allowed`). A null sender `<>` (bounces, MDNs) is accepted
 *    when the certificate matches the DN of some listed domain.
 * 4. RCPT only for addresses the gateway serves (`550 5.1.1`): never an open relay.
 * While no trust list was ever loaded, MAIL gets `451 4.7.1` (try later).
 */
import type { TLSSocket, SecureContextOptions } from 'node:tls';
import type { SMTPServerOptions, SMTPServerSession, SMTPServerAddress } from 'smtp-server';
import { GatewayError } from '../../../core/errors/index.js';
import { dnOfObject, type Rdn } from '../trust-list/dn.js';
import type { TrustList } from '../trust-list/trust-list.js';

/** What the listener learnt of the peer during the TLS handshake. */
export interface InboundPeer {
  /** OpenSSL verified the presented chain against the anchors (and CRLs). */
  verified: boolean;
  /** Why not, when not (`CERT_HAS_EXPIRED`, `CERT_REVOKED`, `NO_CERTIFICATE`, …). */
  authorizationError?: string;
  /** Subject attributes of the presented certificate. */
  subject?: Rdn[];
  /** Subject in RFC 4514 order, for the envelope's `remote.tlsSubject`. */
  subjectText?: string;
  /** The listed domain the session was admitted for (set at MAIL). */
  domain?: string;
  /** TLS protocol and cipher negotiated. */
  protocol?: string;
  cipher?: string;
}

export interface InboundPolicyOptions {
  /** From `mssanteTlsOptions(...)`: key, cert chain, anchors (`ca`), CRLs, suites, TLS 1.2+. */
  tls: SecureContextOptions;
  /** The trust list in use (e.g. `() => loader.current()`); may throw when none is loaded. */
  trustList: () => TrustList;
  /** Does the gateway serve this recipient address? (the only addresses RCPT accepts) */
  servesRecipient: (address: string) => boolean | Promise<boolean>;
  /** Name in the greeting; default the OS host name. */
  name?: string;
  /** Largest message (SIZE), bytes. */
  maxSize?: number;
  /** Most recipients per message (452 4.5.3 beyond). Default 100. */
  maxRecipients?: number;
  /** Local log hook for refusals (detail never holds patient data or key material). */
  onRefuse?: (event: { stage: 'mail' | 'rcpt'; error: GatewayError; remoteAddress: string }) => void;
}

export interface InboundPolicy {
  /** smtp-server options including onSecure, onMailFrom, onRcptTo, onClose; add `onData`. */
  options: SMTPServerOptions;
  /** The peer facts of a session (after STARTTLS), e.g. to fill `Envelope.remote`. */
  peerOf(session: SMTPServerSession): InboundPeer | undefined;
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

function subjectText(rdns: Rdn[]): string {
  return [...rdns].reverse().map((r) => `${r.type}=${r.value}`).join(',');
}

/**
 * Builds the listener's policy.
 *
 * @example
 * const policy = inboundPolicy({
 *   tls: mssanteTlsOptions({ identity, anchors, crlPem }),
 *   trustList: () => loader.current(),
 *   servesRecipient: (a) => a.endsWith('@passerelle.mssante.fr') && directory.has(a),
 * });
 * const server = new SMTPServer({ ...policy.options, onData(stream, session, cb) { ... } });
 * server.listen(25);
 */
export function inboundPolicy(opts: InboundPolicyOptions): InboundPolicy {
  const peers = new Map<string, InboundPeer>();
  const maxRecipients = opts.maxRecipients ?? 100;

  const refuse = (stage: 'mail' | 'rcpt', session: SMTPServerSession, error: GatewayError): GatewayError => {
    opts.onRefuse?.({ stage, error, remoteAddress: session.remoteAddress });
    return error;
  };

  const options: SMTPServerOptions = {
    ...(opts.tls as SMTPServerOptions),
    name: opts.name,
    secure: false,
    needsUpgrade: false,
    hideSTARTTLS: false,
    requestCert: true,
    rejectUnauthorized: false,
    authOptional: true,
    disabledCommands: ['AUTH'],
    hideENHANCEDSTATUSCODES: true,
    size: opts.maxSize,
    onSecure(socket, session, callback) {
      const s = socket as TLSSocket;
      const cert = s.getPeerCertificate();
      const present = !!cert && Object.keys(cert).length > 0 && !!cert.subject;
      const subject = present ? dnOfObject(cert.subject as unknown as Record<string, string | string[]>) : undefined;
      const cipher = s.getCipher();
      peers.set(session.id, {
        verified: present && s.authorized === true,
        authorizationError: !present ? 'NO_CERTIFICATE' : s.authorized ? undefined : String(s.authorizationError ?? 'UNVERIFIED'),
        subject,
        subjectText: subject ? subjectText(subject) : undefined,
        protocol: s.getProtocol() ?? undefined,
        cipher: cipher?.name,
      });
      callback();
    },
    onMailFrom(address: SMTPServerAddress, session, callback) {
      if (!session.secure) return callback(refuse('mail', session, new GatewayError('TLS_REQUIRED', { detail: 'MAIL before STARTTLS' })));
      const peer = peers.get(session.id);
      if (!peer || !peer.verified || !peer.subject) {
        return callback(refuse('mail', session, new GatewayError('CERT_REQUIRED', { detail: `client certificate refused: ${peer?.authorizationError ?? 'NO_CERTIFICATE'}` })));
      }
      let list: TrustList;
      try {
        list = opts.trustList();
      } catch (err) {
        return callback(refuse('mail', session, new GatewayError('DOMAIN_NOT_TRUSTED', {
          code: 451, status: '4.7.1', text: 'Trust list unavailable, try again later', detail: (err as Error).message,
        })));
      }
      const sender = address.address ?? '';
      if (sender === '') {
        const domains = list.domainsOfCertificate(peer.subject);
        if (domains.length === 0) {
          return callback(refuse('mail', session, new GatewayError('CLIENT_NOT_ALLOWED', { detail: `null sender; certificate ${peer.subjectText} is no listed operator's` })));
        }
        peer.domain = domains[0].domain;
        return callback();
      }
      const domain = domainOf(sender);
      const entry = list.get(domain);
      if (!entry) return callback(refuse('mail', session, new GatewayError('DOMAIN_NOT_TRUSTED', { detail: `sender domain ${domain} is not on the trust list` })));
      if (!list.acceptsCertificate(domain, peer.subject)) {
        return callback(refuse('mail', session, new GatewayError('CLIENT_NOT_ALLOWED', {
          detail: `certificate subject ${peer.subjectText} does not match the operator DN listed for ${domain}`,
        })));
      }
      peer.domain = entry.domain;
      callback();
    },
    onRcptTo(address, session, callback) {
      if (session.envelope.rcptTo.length >= maxRecipients) return callback(refuse('rcpt', session, new GatewayError('TOO_MANY_RECIPIENTS')));
      const rcpt = address.address.toLowerCase();
      Promise.resolve()
        .then(() => opts.servesRecipient(rcpt))
        .then(
          (ok) => (ok ? callback() : callback(refuse('rcpt', session, new GatewayError('UNKNOWN_RECIPIENT', { detail: `not served here: ${domainOf(rcpt)}` })))),
          (err: unknown) => callback(refuse('rcpt', session, new GatewayError('STORE_UNAVAILABLE', { detail: `recipient check failed: ${(err as Error).message}` }))),
        );
    },
    onClose(session) {
      peers.delete(session.id);
    },
  };

  return { options, peerOf: (session) => peers.get(session.id) };
}
