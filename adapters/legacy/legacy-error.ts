/**
 * Errors of the legacy network codec (LNP/1). Each failure has its own code so that callers,
 * tests and operators can tell them apart; the adapter maps a code to the gateway's SMTP
 * error kinds with {@link LEGACY_ERROR_KINDS}.
 *
 * Messages say what is wrong and where (a file name, a byte offset, a field), never key
 * bytes, message text, or a patient's identity.
 */
import type { ErrorKind } from '../../core/errors/reply-codes.js';

/** Every distinct failure of the codec, key store and key folder. */
export type LegacyErrorCode =
  // Key files (SPEC §2)
  | 'BAD_KEY_SIZE'
  | 'BAD_KEY_MAGIC'
  | 'BAD_KEY_VERSION'
  | 'KEY_OWNER_MISMATCH'
  | 'KEY_YEAR_MISMATCH'
  | 'BAD_KEY_RESERVED'
  | 'BAD_KEY_NAME'
  | 'KEY_FILE_UNREADABLE'
  | 'KEY_FILE_READABLE_BY_OTHERS'
  | 'DUPLICATE_KEY'
  // Keys (SPEC §3)
  | 'NO_KEY_FOR_YEAR'
  | 'NO_KEY_FOR_HOLDER'
  // Armour (SPEC §4)
  | 'NO_BEGIN_MARKER'
  | 'NO_END_MARKER'
  | 'BAD_ARMOR_FORMAT'
  | 'BAD_ARMOR_CHAR'
  | 'LENGTH_MISMATCH'
  | 'CRC_MISMATCH'
  // Sealed payload (SPEC §3)
  | 'BAD_SEAL_FORMAT'
  | 'HOLDER_MISMATCH'
  | 'AUTH_FAILED'
  // Body (SPEC §4)
  | 'BAD_DEST_BLOCK'
  // Containers (SPEC §5)
  | 'BAD_CONTAINER'
  | 'ENTRY_TOO_LARGE'
  // Mail (SPEC §5)
  | 'BAD_MAIL'
  // Relay bounces (RFC 3464 reports the relay sends the gateway: relay-bounce.ts)
  | 'BAD_REPORT';

/**
 * An error of the legacy codec.
 *
 * @example
 * try { dearmour(text); } catch (e) {
 *   if (e instanceof LegacyError && e.code === 'CRC_MISMATCH') { … }
 * }
 */
export class LegacyError extends Error {
  readonly code: LegacyErrorCode;
  /** The message without the code prefix. */
  readonly reason: string;

  constructor(code: LegacyErrorCode, reason: string, opts?: { cause?: unknown }) {
    super(`${code}: ${reason}`, opts?.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'LegacyError';
    this.code = code;
    this.reason = reason;
  }
}

/** Is this a LegacyError, optionally of the given code? */
export function isLegacyError(err: unknown, code?: LegacyErrorCode): err is LegacyError {
  return err instanceof LegacyError && (code === undefined || err.code === code);
}

/**
 * Which gateway error kind (SMTP reply) each codec failure becomes when it reaches the
 * pipeline. Policy as data: reading problems are `CANNOT_OPEN`, cryptographic ones
 * `DECRYPT_FAILED`, missing keys on the sending side `CANNOT_SEAL` (temporary: an operator
 * can install the key).
 */
export const LEGACY_ERROR_KINDS: Record<LegacyErrorCode, ErrorKind> = {
  BAD_KEY_SIZE: 'CANNOT_SEAL',
  BAD_KEY_MAGIC: 'CANNOT_SEAL',
  BAD_KEY_VERSION: 'CANNOT_SEAL',
  KEY_OWNER_MISMATCH: 'CANNOT_SEAL',
  KEY_YEAR_MISMATCH: 'CANNOT_SEAL',
  BAD_KEY_RESERVED: 'CANNOT_SEAL',
  BAD_KEY_NAME: 'CANNOT_SEAL',
  KEY_FILE_UNREADABLE: 'CANNOT_SEAL',
  KEY_FILE_READABLE_BY_OTHERS: 'CANNOT_SEAL',
  DUPLICATE_KEY: 'CANNOT_SEAL',
  NO_KEY_FOR_YEAR: 'DECRYPT_FAILED',
  NO_KEY_FOR_HOLDER: 'DECRYPT_FAILED',
  NO_BEGIN_MARKER: 'CANNOT_OPEN',
  NO_END_MARKER: 'CANNOT_OPEN',
  BAD_ARMOR_FORMAT: 'CANNOT_OPEN',
  BAD_ARMOR_CHAR: 'CANNOT_OPEN',
  LENGTH_MISMATCH: 'CANNOT_OPEN',
  CRC_MISMATCH: 'CANNOT_OPEN',
  BAD_SEAL_FORMAT: 'CANNOT_OPEN',
  HOLDER_MISMATCH: 'DECRYPT_FAILED',
  AUTH_FAILED: 'DECRYPT_FAILED',
  BAD_DEST_BLOCK: 'CANNOT_OPEN',
  BAD_CONTAINER: 'CANNOT_OPEN',
  ENTRY_TOO_LARGE: 'MESSAGE_TOO_BIG',
  BAD_MAIL: 'MALFORMED_MESSAGE',
  BAD_REPORT: 'MALFORMED_MESSAGE',
};
