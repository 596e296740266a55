/**
 * LNP/1 sealed payloads (SPEC §3):
 *
 *     version 1 (1) | year (2) | n (1) | holder (n) | IV (12) | AES-256-GCM ciphertext | tag (16)
 *
 * The first 4 + n bytes are the additional authenticated data.
 */
import { LegacyError } from './legacy-error.js';
import { LOCAL_PATTERN } from './key-file.js';
import type { KeyStore } from './key-store.js';

const IV_SIZE = 12;
const TAG_SIZE = 16;
const encoder = new TextEncoder();

/**
 * AES-256-GCM decryption of `data` (ciphertext then its 16-byte tag) as an injected function:
 * WebCrypto by default (Workers, tests); the Node runtime's pipeline threads hand OpenSSL's
 * synchronous one (`app/node/native-cipher.ts`), where WebCrypto's job dispatch to libuv's
 * pool costs more than the work on a 10 KB payload. Throws when the tag does not verify.
 */
export type AesGcmDecrypt = (key: CryptoKey, iv: Uint8Array, aad: Uint8Array, data: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** AES-256-GCM encryption: the ciphertext then its 16-byte tag (injected as {@link AesGcmDecrypt}). */
export type AesGcmEncrypt = (key: CryptoKey, iv: Uint8Array, aad: Uint8Array, data: Uint8Array) => Uint8Array | Promise<Uint8Array>;

export const webCryptoAesGcmEncrypt: AesGcmEncrypt = async (key, iv, aad, data) =>
  new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad), tagLength: 128 }, key, buf(data)));

export const webCryptoAesGcmDecrypt: AesGcmDecrypt = async (key, iv, aad, data) =>
  new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad), tagLength: 128 }, key, buf(data)));

/** The clear header of a sealed payload. */
export interface SealHeader {
  holder: string;
  year: number;
  /** Length of the header (the AAD), 4 + holder length. */
  headerLength: number;
}

/**
 * Seal `plaintext` for `holder` with the keys of `year`. `iv` is random unless given (tests);
 * `encrypt` is WebCrypto's unless given.
 *
 * @example
 * const sealed = await sealPayload(store, 'passerelle', 2026, bodyBytes);
 */
export async function sealPayload(
  keys: KeyStore, holder: string, year: number, plaintext: Uint8Array, iv?: Uint8Array, encrypt: AesGcmEncrypt = webCryptoAesGcmEncrypt,
): Promise<Uint8Array> {
  if (!LOCAL_PATTERN.test(holder)) throw new LegacyError('BAD_SEAL_FORMAT', 'holder is not a valid LOCAL (1..64 characters [a-z0-9._-])');
  if (!Number.isInteger(year) || year < 0 || year > 0xffff) throw new LegacyError('BAD_SEAL_FORMAT', `year ${year} out of range`);
  const nonce = iv ?? crypto.getRandomValues(new Uint8Array(IV_SIZE));
  if (nonce.length !== IV_SIZE) throw new LegacyError('BAD_SEAL_FORMAT', `IV must be ${IV_SIZE} bytes`);
  const key = await keys.sealKey(holder, year);
  const h = encoder.encode(holder);
  const headerLength = 4 + h.length;
  const header = new Uint8Array(headerLength);
  header[0] = 1;
  header[1] = year >>> 8;
  header[2] = year & 0xff;
  header[3] = h.length;
  header.set(h, 4);
  const ct = await encrypt(key, nonce, header, plaintext);
  const out = new Uint8Array(headerLength + IV_SIZE + ct.length);
  out.set(header, 0);
  out.set(nonce, headerLength);
  out.set(ct, headerLength + IV_SIZE);
  return out;
}

/**
 * Read the clear header of a sealed payload (no key needed), or throw `BAD_SEAL_FORMAT`.
 *
 * @example
 * readSealHeader(sealed); // { holder: 'passerelle', year: 2026, headerLength: 14 }
 */
export function readSealHeader(sealed: Uint8Array): SealHeader {
  if (sealed.length < 4) throw new LegacyError('BAD_SEAL_FORMAT', `sealed payload is ${sealed.length} bytes, too short for a header`);
  if (sealed[0] !== 1) throw new LegacyError('BAD_SEAL_FORMAT', `sealed payload version ${sealed[0]}, expected 1`);
  const year = (sealed[1]! << 8) | sealed[2]!;
  const n = sealed[3]!;
  if (n < 1 || n > 64) throw new LegacyError('BAD_SEAL_FORMAT', `holder length ${n} outside 1..64`);
  const headerLength = 4 + n;
  if (sealed.length < headerLength + IV_SIZE + TAG_SIZE) {
    throw new LegacyError('BAD_SEAL_FORMAT', `sealed payload is ${sealed.length} bytes, too short for header, IV and tag`);
  }
  let holder = '';
  for (let i = 4; i < headerLength; i++) holder += String.fromCharCode(sealed[i]!);
  if (!LOCAL_PATTERN.test(holder)) throw new LegacyError('BAD_SEAL_FORMAT', 'holder field is not a valid LOCAL');
  return { holder, year, headerLength };
}

/**
 * Open a sealed payload. Checks, in order: format (`BAD_SEAL_FORMAT`), the holder when
 * `expectedHolder` is given (`HOLDER_MISMATCH`), that the year's keys may be used at `now`
 * (`NO_KEY_FOR_YEAR`), then the GCM tag (`AUTH_FAILED`).
 *
 * @example
 * const { holder, year, plaintext } = await openPayload(store, sealed, { now: new Date(), expectedHolder: 'passerelle' });
 */
export async function openPayload(
  keys: KeyStore,
  sealed: Uint8Array,
  opts: { now: Date; expectedHolder?: string; decrypt?: AesGcmDecrypt },
): Promise<{ holder: string; year: number; plaintext: Uint8Array }> {
  const { holder, year, headerLength } = readSealHeader(sealed);
  if (opts.expectedHolder !== undefined && holder !== opts.expectedHolder) {
    throw new LegacyError('HOLDER_MISMATCH', `payload is sealed for ${holder}, expected ${opts.expectedHolder}`);
  }
  keys.assertCanOpen(year, opts.now);
  const key = await keys.sealKey(holder, year);
  const iv = sealed.subarray(headerLength, headerLength + IV_SIZE);
  let plaintext: Uint8Array;
  try {
    plaintext = await (opts.decrypt ?? webCryptoAesGcmDecrypt)(key, iv, sealed.subarray(0, headerLength), sealed.subarray(headerLength + IV_SIZE));
  } catch (err) {
    throw new LegacyError('AUTH_FAILED', `payload for ${holder} (year ${year}) failed authentication: altered or sealed with another key`, { cause: err });
  }
  return { holder, year, plaintext };
}

/** WebCrypto's typings want ArrayBuffer-backed views; ours always are. */
function buf(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u as Uint8Array<ArrayBuffer>;
}
