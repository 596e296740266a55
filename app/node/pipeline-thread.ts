/**
 * The worker side of the pipeline pool (Node edge): opens and seals LNP/1 mail and runs the clinical
 * translator on what the main thread posts, and answers with the result or the error (its
 * gateway kind or LNP/1 code kept, so the pipeline decides as it would in-thread).
 *
 * The keys arrive as a `keys` message before the first LNP/1 job and after each change of the
 * gateway's store; they are held in memory on this thread only, never logged.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nameThread, THREAD_NAMES } from './thread-name.js';
import { createClinicalTranslator, type ClinicalTranslatorOptions } from '../../mappings/bridge/translator.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import type { OpenedMessage } from '../../core/model/message.js';
import type { TranslationTarget } from '../../core/ports/translator.js';
import { KeyStore } from '../../adapters/legacy/key-store.js';
import { makeKeyFile } from '../../adapters/legacy/key-file.js';
import { LegacyError } from '../../adapters/legacy/legacy-error.js';
import { openLnpMail, sealLnpMail, withoutSealedParts, type SealLnpMailInput } from '../../adapters/legacy/lnp-codec.js';
import { zlibCrc32, zlibDeflateRaw, zlibInflateRaw } from './native-deflate.js';
import { nodeSha1 } from './native-hash.js';
import { nodeAesGcmDecrypt, nodeAesGcmEncrypt } from './native-cipher.js';

export type ThreadJob =
  | { id: number; kind: 'translate'; message: OpenedMessage; context: TranslationTarget }
  | { id: number; kind: 'open-lnp'; raw: Uint8Array; now: number; holder: string }
  | { id: number; kind: 'seal-lnp'; input: Omit<SealLnpMailInput, 'deflateRaw' | 'encrypt' | 'crc32'> }
  | { kind: 'keys'; files: { owner: string; year: number; serial: number; secret: Uint8Array }[] };

export interface ThreadError { message: string; name: string; kind?: string; legacyCode?: string; detail?: string }
export interface ThreadAnswer { id: number; value?: unknown; error?: ThreadError }
/** Posted once, when the thread's modules are loaded and it takes jobs. */
export interface ThreadReady { ready: true }

const options = (workerData ?? {}) as Omit<ClinicalTranslatorOptions, 'now' | 'deflateRaw' | 'inflateRaw' | 'sha1' | 'crc32'>;
const translate = createClinicalTranslator({ ...options, deflateRaw: zlibDeflateRaw, inflateRaw: zlibInflateRaw, sha1: nodeSha1, crc32: zlibCrc32 });
let keys = new KeyStore();
nameThread(THREAD_NAMES.translate);
const port = parentPort!;

function errorOf(err: unknown): ThreadError {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e instanceof LegacyError) return { message: e.message, name: e.name, legacyCode: e.code, detail: e.reason };
  return { message: e.message, name: e.name, ...(e instanceof GatewayError ? { kind: e.kind, detail: e.detail } : {}) };
}

port.on('message', (job: ThreadJob) => {
  if (job.kind === 'keys') {
    keys = new KeyStore(job.files.map((f) => makeKeyFile(f.owner, f.year, f.serial, f.secret)));
    return;
  }
  const work: Promise<unknown> = job.kind === 'translate'
    ? translate(job.message, job.context)
    : job.kind === 'open-lnp'
      ? openLnpMail(keys, job.raw, { now: new Date(job.now), holder: job.holder, inflateRaw: zlibInflateRaw, decrypt: nodeAesGcmDecrypt, crc32: zlibCrc32 }).then(withoutSealedParts)
      : sealLnpMail(keys, { ...job.input, deflateRaw: zlibDeflateRaw, encrypt: nodeAesGcmEncrypt, crc32: zlibCrc32 });
  work.then(
    (value) => port.postMessage({ id: job.id, value } satisfies ThreadAnswer),
    (err: unknown) => port.postMessage({ id: job.id, error: errorOf(err) } satisfies ThreadAnswer),
  );
});

port.postMessage({ ready: true } satisfies ThreadReady);
