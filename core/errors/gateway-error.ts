import { REPLY_CODES, type ErrorKind, isPermanent } from './reply-codes.js';

/**
 * An error that knows how to answer over SMTP: its reply code, its enhanced status, and a
 * text safe to send to a remote party. `detail` is for the local operator only (logs, the
 * trace) and must itself carry no patient identity and no secret.
 *
 * @example
 * throw new GatewayError('UNKNOWN_RECIPIENT', { detail: 'no interop alias x@interop.lnp.test' });
 * // smtp-server turns `responseCode` into the reply: 550 5.1.1 Recipient address unknown
 */
export class GatewayError extends Error {
  readonly kind: ErrorKind;
  /** SMTP reply code (smtp-server reads `responseCode`). */
  readonly responseCode: number;
  /** RFC 3463 enhanced status code, e.g. `5.1.1`. */
  readonly status: string;
  readonly detail?: string;

  constructor(kind: ErrorKind, opts: { detail?: string; text?: string; code?: number; status?: string; cause?: unknown } = {}) {
    const row = REPLY_CODES[kind];
    const status = opts.status ?? row.status;
    const text = opts.text ?? row.text;
    super(`${status} ${text}`, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'GatewayError';
    this.kind = kind;
    this.responseCode = opts.code ?? row.code;
    this.status = status;
    this.detail = opts.detail;
  }

  get permanent(): boolean {
    return isPermanent(this.responseCode);
  }

  /** The full SMTP reply line, e.g. `550 5.1.1 Recipient address unknown`. */
  get reply(): string {
    return `${this.responseCode} ${this.message}`;
  }
}

/** Wrap anything thrown into a GatewayError of the given kind, keeping known ones. */
export function asGatewayError(err: unknown, kind: ErrorKind): GatewayError {
  if (err instanceof GatewayError) return err;
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new GatewayError(kind, { detail, cause: err });
}
