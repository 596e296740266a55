/**
 * The clear errors of the gateway's readers, in one place: what a fuzzing target may throw.
 * Anything else escaping a target (a TypeError, a RangeError, a stack overflow, a plain
 * `Error` from a library) is a finding.
 *
 * Each target lists the subset it may throw (`targets.ts`): a stage that promises a
 * `GatewayError` (an adapter's `open`, the S/MIME layer) may throw nothing else, even if a
 * lower-level error class is known.
 */
import { GatewayError } from '../../core/errors/gateway-error.js';
import { LegacyError } from '../../adapters/legacy/legacy-error.js';
import { HprimError } from '../../mappings/hprim/issue.js';
import { CdaReadError } from '../../mappings/cda/read-cda.js';
import { XdmError } from '../../mappings/xdm/read.js';
import { ZipSafetyError } from '../../mappings/xdm/zip-read.js';
import { DerError } from '../../lib/der/index.js';
import { Base64BodyError } from '../../lib/base64.js';
import { AnchorsFormatError } from '../../adapters/mssante/tls/anchors.js';
import { TrustListFormatError } from '../../adapters/mssante/trust-list/trust-list.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

/**
 * Every error class a reader of untrusted input may throw, by name. A new reader error
 * class (for example one for unsafe XML) is added here and to the targets that throw it.
 */
export const KNOWN_ERRORS = {
  /** Anything the pipeline turns into an SMTP reply (adapters' `open`, S/MIME decrypt and verify). */
  GatewayError,
  /** The LNP/1 codec (armour, seal, body, containers, mail, key files, relay bounces). */
  LegacyError,
  /** The strict HPRIM reader. */
  HprimError,
  /** Not a CDA R2 document. */
  CdaReadError,
  /** Not a readable XDM medium. */
  XdmError,
  /** An unsafe or unreadable ZIP archive. */
  ZipSafetyError,
  /** Malformed BER/DER (CMS, certificates). */
  DerError,
  /** Invalid base64 in a MIME body (S/MIME). */
  Base64BodyError,
  /** Trust anchors that are not certificates. */
  AnchorsFormatError,
  /** A trust list that cannot be read. */
  TrustListFormatError,
} as const satisfies Record<string, ErrorClass>;

export type KnownErrorName = keyof typeof KNOWN_ERRORS;

/** The name of the known class `err` is an instance of (among `allowed`), or null. */
export function knownErrorName(err: unknown, allowed: readonly KnownErrorName[]): KnownErrorName | null {
  for (const name of allowed) if (err instanceof KNOWN_ERRORS[name]) return name;
  return null;
}

/** A short description of anything thrown: its class and the first line of its message. */
export function describeThrown(err: unknown): string {
  if (err instanceof Error) {
    const first = (err.message ?? '').split('\n')[0]!.slice(0, 200);
    const code = (err as { code?: unknown }).code;
    return `${err.constructor?.name ?? err.name}${typeof code === 'string' ? `(${code})` : ''}: ${first}`;
  }
  return `non-Error thrown: ${String(err).slice(0, 200)}`;
}
