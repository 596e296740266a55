/**
 * The pipeline's CPU-heavy steps on worker threads (Node edge), so that they do not hold up
 * the SMTP sessions, the store's commits and the queue on the main thread:
 * - opening and sealing LNP/1 mail (armour, base64, AES-GCM, the MIME parse and writing,
 *   containers): the legacy adapter's `LnpOpener` and `LnpSealer`, run over a copy of the
 *   gateway's key store kept on each thread;
 * - the clinical translator (HPRIM → CR-BIO + PDF + XDM, XDM → HPRIM…): the pipeline's `Translator`.
 * The pipeline and the adapter only see those two functions.
 *
 * Each job goes to the worker with the fewest jobs in hand. A worker that dies fails its
 * jobs with a temporary error (the deliveries are retried, the message opened again) and is
 * replaced on next use.
 *
 * @example
 * const pool = new PipelinePool({ size: 1 });
 * const legacy = new LegacyAdapter({ keys, ...pool.lnpCodec(keys), ... });
 * const gateway = new Gateway({ ..., translator: pool.translator });
 * await pool.close();
 */
import { Worker } from 'node:worker_threads';
import type { ClinicalTranslatorOptions } from '../../mappings/bridge/translator.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import { REPLY_CODES, type ErrorKind } from '../../core/errors/reply-codes.js';
import type { OpenedMessage, OutboundMessage } from '../../core/model/message.js';
import type { TranslationTarget, Translator } from '../../core/ports/translator.js';
import type { KeyStore } from '../../adapters/legacy/key-store.js';
import type { LnpOpener, LnpSealer, OpenedLnpMail } from '../../adapters/legacy/lnp-codec.js';
import { LegacyError, type LegacyErrorCode } from '../../adapters/legacy/legacy-error.js';
import type { ThreadAnswer, ThreadJob, ThreadError, ThreadReady } from './pipeline-thread.js';

/**
 * The worker thread's entry. Compiled (`npm run build`, `dist/`), this file is `.js` and the
 * thread's code sits beside it as `pipeline-thread.js`; from source (tsx, vitest) a thread
 * does not inherit tsx's loader, so it starts in `pipeline-worker.mjs`, which registers tsx
 * before importing `pipeline-thread.ts`.
 */
const WORKER_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./pipeline-worker.mjs', import.meta.url)
  : new URL('./pipeline-thread.js', import.meta.url);

interface Pending { resolve(v: unknown): void; reject(e: Error): void }
interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** The key store's revision this thread holds a copy of (-1: none yet). */
  keysRevision: number;
  /** Settled once the thread's modules are loaded (or the thread has failed). */
  loaded: Promise<void>;
}

export interface PipelinePoolOptions {
  /** Worker threads (at least 1). */
  size: number;
  /** Options of the clinical translator (functions excepted: they cannot cross threads). */
  translator?: Omit<ClinicalTranslatorOptions, 'now' | 'deflateRaw' | 'sha1'>;
}

export class PipelinePool {
  private readonly slots: (Slot | null)[];
  private seq = 0;
  private closed = false;

  constructor(private readonly o: PipelinePoolOptions) {
    this.slots = Array.from({ length: Math.max(1, o.size) }, () => null);
  }

  /** Start the workers now (they take a moment to load), rather than on the first job. */
  warm(): this {
    this.slots.forEach((s, i) => { if (!s && !this.closed) this.spawn(i); });
    return this;
  }

  /**
   * Settles once every thread started so far has loaded its modules (or failed: its jobs then
   * go to a new thread). Jobs posted before are queued by the thread, so waiting is optional;
   * a measurement waits, so that the threads' start is not counted as work.
   */
  async loaded(): Promise<void> {
    await Promise.all(this.slots.map((s) => s?.loaded));
  }

  readonly translator: Translator = (message: OpenedMessage, target: TranslationTarget) =>
    this.run((id) => ({ id, kind: 'translate', message, context: target })) as Promise<OutboundMessage>;

  /**
   * The legacy adapter's opener and sealer, on these threads, over `keys`: a thread gets a copy
   * of the keys before its first job and again whenever the store has taken new keys since
   * (the key folder read again while running), before the job that follows.
   */
  lnpCodec(keys: KeyStore): { opener: LnpOpener; sealer: LnpSealer } {
    const keysFor = (slot: Slot) => {
      if (slot.keysRevision === keys.revision) return;
      const files = keys.keyFiles().map((k) => ({ owner: k.owner, year: k.year, serial: k.serial, secret: k.secret }));
      slot.worker.postMessage({ kind: 'keys', files } satisfies ThreadJob);
      slot.keysRevision = keys.revision;
    };
    return {
      opener: (raw, opts) => this.run((id) => ({ id, kind: 'open-lnp', raw, now: opts.now.getTime(), holder: opts.holder }), keysFor) as Promise<OpenedLnpMail>,
      sealer: (input) => this.run((id) => ({ id, kind: 'seal-lnp', input }), keysFor) as ReturnType<LnpSealer>,
    };
  }

  private spawn(i: number): Slot {
    const worker = new Worker(WORKER_ENTRY, { workerData: this.o.translator ?? {} });
    let loaded!: () => void;
    const slot: Slot = { worker, pending: new Map(), keysRevision: -1, loaded: new Promise<void>((r) => { loaded = r; }) };
    worker.unref();
    worker.on('message', (a: ThreadAnswer | ThreadReady) => {
      if ('ready' in a) return loaded();
      const p = slot.pending.get(a.id);
      if (!p) return;
      slot.pending.delete(a.id);
      if (a.error) p.reject(revive(a.error));
      else p.resolve(a.value);
    });
    const fail = (why: string) => {
      loaded();
      if (this.slots[i] === slot) this.slots[i] = null;
      for (const p of slot.pending.values()) p.reject(new GatewayError('WORKER_FAILED', { detail: `pipeline worker ${why}` }));
      slot.pending.clear();
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('exit', (code) => fail(`exited (${code})`));
    this.slots[i] = slot;
    return slot;
  }

  private run(job: (id: number) => ThreadJob, before?: (slot: Slot) => void): Promise<unknown> {
    if (this.closed) return Promise.reject(new GatewayError('SHUTTING_DOWN'));
    let best = 0;
    for (let i = 1; i < this.slots.length; i++) {
      if ((this.slots[i]?.pending.size ?? 0) < (this.slots[best]?.pending.size ?? 0)) best = i;
    }
    const slot = this.slots[best] ?? this.spawn(best);
    const id = ++this.seq;
    return new Promise<unknown>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      if (slot.pending.size === 1) slot.worker.ref();
      before?.(slot);
      slot.worker.postMessage(job(id));
    }).finally(() => {
      if (slot.pending.size === 0) slot.worker.unref();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s?.worker.terminate()));
  }
}

/** The error as the main thread would have had it: a gateway kind, or an LNP/1 code, kept. */
function revive(e: ThreadError): Error {
  if (e.legacyCode) return new LegacyError(e.legacyCode as LegacyErrorCode, e.detail ?? e.message);
  if (e.kind && e.kind in REPLY_CODES) return new GatewayError(e.kind as ErrorKind, { detail: e.detail });
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
