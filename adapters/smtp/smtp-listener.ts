/**
 * Shared plumbing of the gateway's SMTP listeners (Node edge): reads the DATA stream with
 * the size limit, answers with the reply code of a `GatewayError`, and commits through the
 * pipeline before saying `250`.
 */
import type { Server, Socket } from 'node:net';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { GatewayError } from '../../core/errors/gateway-error.js';
import type { AcceptInput, AcceptResult } from '../../core/ports/message-store.js';
import { peekHeader } from '../../core/pipeline/header-peek.js';
import type { Origin } from '../../core/model/envelope.js';
import type { Logger } from '../../core/log/logger.js';

/** Where a listener hands what it received: the pipeline (`Gateway.accept`). */
export interface AcceptSink {
  accept(input: AcceptInput): Promise<AcceptResult>;
}

/**
 * Replies to commands that arrived together leave together (RFC 2920 §3.2: a server should
 * buffer the responses to a group of pipelined commands and send them as a unit). Each plain
 * socket is corked when data arrives and uncorked once that turn of the event loop is over:
 * the `250`, `250` and `354` answering a pipelined MAIL, RCPT and DATA take one write instead
 * of three, when their handlers answer within the turn (a directory lookup's promise does). A
 * reply given later, such as the `250` after a commit, goes out when it is given. Once STARTTLS
 * has wrapped the socket, the TLS layer makes its own writes.
 */
export function groupReplies(server: { server: Server }): void {
  server.server.on('connection', (socket: Socket) => {
    let corked = false;
    // Before smtp-server's own reader (the pipe to its parser), so that the replies it writes are held.
    socket.prependListener('data', () => {
      if (corked) return;
      corked = true;
      socket.cork();
      setImmediate(() => {
        corked = false;
        socket.uncork();
      });
    });
  });
}

/** smtp-server reads `responseCode` from the error it is given. */
export function smtpError(err: GatewayError): Error & { responseCode: number } {
  const e = new Error(`${err.status} ${err.message.replace(/^\d\.\d\.\d+ /, '')}`) as Error & { responseCode: number };
  e.responseCode = err.responseCode;
  return e;
}

export function readData(stream: SMTPServerDataStream): Promise<{ raw: Uint8Array; tooBig: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    stream.on('end', () => resolve({ raw: new Uint8Array(Buffer.concat(chunks)), tooBig: stream.sizeExceeded }));
  });
}

/**
 * The onData handler: size check, commit, then `250 … queued as ID`. `peer` adds what the
 * listener verified (TLS subject); `screen` refuses a message at DATA, before anything is
 * committed, with the reply of the `GatewayError` it returns (e.g. the legacy transit rule).
 */
export function acceptData(
  source: Origin, sink: AcceptSink, log: Logger,
  peer?: (session: SMTPServerSession) => { tlsSubject?: string } | undefined,
  screen?: (raw: Uint8Array, session: SMTPServerSession) => GatewayError | null,
) {
  return (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void): void => {
    readData(stream).then(
      async ({ raw, tooBig }) => {
        if (tooBig) return callback(smtpError(new GatewayError('MESSAGE_TOO_BIG')));
        const refusal = screen?.(raw, session);
        if (refusal) {
          log.warn('message refused at DATA', { source, reason: refusal.kind, remote: session.remoteAddress });
          return callback(smtpError(refusal));
        }
        const recipients = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address.toLowerCase() : '';
        try {
          const { id, duplicates } = await sink.accept({
            source, mailFrom, recipients, messageId: peekHeader(raw, 'message-id'), raw,
            remote: {
              address: session.remoteAddress,
              helo: session.hostNameAppearsAs,
              ...(session.user ? { user: String(session.user) } : {}),
              ...(peer?.(session)?.tlsSubject ? { tlsSubject: peer(session)!.tlsSubject } : {}),
            },
          });
          log.debug('accepted', { id, source, size: raw.byteLength, duplicates: duplicates.length });
          callback(null, `2.0.0 Ok: queued as ${id}`);
        } catch (err) {
          // Nothing is acknowledged without its commit: 451 4.3.0, the sender tries again. A store that
          // is away says so once itself (the worker logs it): no line per refused message then.
          if (err instanceof GatewayError && err.kind === 'STORE_UNAVAILABLE') log.debug('refused a message: the store is unavailable', { source, detail: err.detail });
          else log.error('could not commit a received message', { source, error: err as Error });
          callback(smtpError(new GatewayError('STORE_UNAVAILABLE')));
        }
      },
      (err: unknown) => {
        log.warn('reading DATA failed', { source, error: err as Error });
        callback(smtpError(new GatewayError('STORE_UNAVAILABLE')));
      },
    );
  };
}
