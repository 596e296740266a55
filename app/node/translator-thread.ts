/**
 * The worker side of the translator pool (Node edge): runs the clinical translator on the
 * messages the main thread posts, and answers with the outbound message or the error (its
 * gateway kind kept, so the pipeline decides as it would in-thread).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createClinicalTranslator, type ClinicalTranslatorOptions } from '../../mappings/bridge/translator.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import type { OpenedMessage } from '../../core/model/message.js';
import type { TranslationTarget } from '../../core/ports/translator.js';
import { zlibDeflateRaw, zlibInflateRaw } from './native-deflate.js';
import { nodeSha1 } from './native-hash.js';

export interface TranslateJob { id: number; message: OpenedMessage; context: TranslationTarget }
export interface TranslateAnswer {
  id: number;
  outbound?: unknown;
  error?: { message: string; name: string; kind?: string; detail?: string };
}

const options = (workerData ?? {}) as Omit<ClinicalTranslatorOptions, 'now' | 'deflateRaw' | 'inflateRaw' | 'sha1'>;
const translate = createClinicalTranslator({ ...options, deflateRaw: zlibDeflateRaw, inflateRaw: zlibInflateRaw, sha1: nodeSha1 });
const port = parentPort!;
port.on('message', (job: TranslateJob) => {
  translate(job.message, job.context).then(
    (outbound) => port.postMessage({ id: job.id, outbound } satisfies TranslateAnswer),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({
        id: job.id,
        error: { message: e.message, name: e.name, ...(e instanceof GatewayError ? { kind: e.kind, detail: e.detail } : {}) },
      } satisfies TranslateAnswer);
    },
  );
});
