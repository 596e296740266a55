import { GatewayError } from '../../../core/errors/index.js';

/**
 * An inbound S/MIME object could not be decrypted. Deliberately one kind for every cause
 * (wrong recipient, bad key transport, bad padding, bad tag): what went wrong is only in
 * `detail`, for the local operator. Never decides an SMTP reply: decryption runs after the
 * message was accepted.
 */
export function decryptFailed(detail: string, cause?: unknown): GatewayError {
  return new GatewayError('DECRYPT_FAILED', { detail, cause });
}

/** A signature did not verify (or its signer is not trusted). */
export function signatureInvalid(detail: string, cause?: unknown): GatewayError {
  return new GatewayError('SIGNATURE_INVALID', { detail, cause });
}

/** The gateway could not protect an outbound message (temporary: 451 4.7.0). */
export function cannotSeal(detail: string, cause?: unknown): GatewayError {
  return new GatewayError('CANNOT_SEAL', { detail, cause });
}
