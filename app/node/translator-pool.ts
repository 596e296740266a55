/**
 * Runs the clinical translator (HPRIM → CR-BIO + PDF + XDM, XDM → HPRIM…) on worker
 * threads, so the CPU-heavy mapping of one message does not hold up the SMTP sessions and
 * the queue on the main thread. Node edge: the pipeline only sees a `Translator`.
 *
 * Each job goes to the worker with the fewest jobs in hand. A worker that dies fails its
 * jobs with a temporary error (the deliveries are retried) and is replaced on next use.
 *
 * @example
 * const pool = new TranslatorPool({ size: 1 });
 * const gateway = new Gateway({ ..., translator: pool.translator });
 * await pool.close();
 */
import { Worker } from 'node:worker_threads';
import type { ClinicalTranslatorOptions } from '../../mappings/bridge/translator.js';
import { GatewayError } from '../../core/errors/gateway-error.js';
import { REPLY_CODES, type ErrorKind } from '../../core/errors/reply-codes.js';
import type { OpenedMessage, OutboundMessage } from '../../core/model/message.js';
import type { TranslationTarget, Translator } from '../../core/ports/translator.js';
import type { TranslateAnswer, TranslateJob } from './translator-thread.js';

/**
 * The worker thread's entry. Compiled (`npm run build`, `dist/`), this file is `.js` and the
 * thread's code sits beside it as `translator-thread.js`; from source (tsx, vitest) a thread
 * does not inherit tsx's loader, so it starts in `translator-worker.mjs`, which registers tsx
 * before importing `translator-thread.ts`.
 */
const WORKER_ENTRY = import.meta.url.endsWith('.ts')
  ? new URL('./translator-worker.mjs', import.meta.url)
  : new URL('./translator-thread.js', import.meta.url);

interface Pending { resolve(m: OutboundMessage): void; reject(e: Error): void }
interface Slot { worker: Worker; pending: Map<number, Pending> }

export interface TranslatorPoolOptions {
  /** Worker threads (at least 1). */
  size: number;
  /** Options of the clinical translator (functions excepted: they cannot cross threads). */
  translator?: Omit<ClinicalTranslatorOptions, 'now' | 'deflateRaw' | 'sha1'>;
}

export class TranslatorPool {
  private readonly slots: (Slot | null)[];
  private seq = 0;
  private closed = false;

  constructor(private readonly o: TranslatorPoolOptions) {
    this.slots = Array.from({ length: Math.max(1, o.size) }, () => null);
  }

  /** Start the workers now (they take a moment to load), rather than on the first job. */
  warm(): this {
    this.slots.forEach((s, i) => { if (!s && !this.closed) this.spawn(i); });
    return this;
  }

  readonly translator: Translator = (message: OpenedMessage, target: TranslationTarget) => this.run(message, target);

  private spawn(i: number): Slot {
    const worker = new Worker(WORKER_ENTRY, { workerData: this.o.translator ?? {} });
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (a: TranslateAnswer) => {
      const p = slot.pending.get(a.id);
      if (!p) return;
      slot.pending.delete(a.id);
      if (a.outbound) p.resolve(a.outbound as OutboundMessage);
      else p.reject(revive(a.error!));
    });
    const fail = (why: string) => {
      if (this.slots[i] === slot) this.slots[i] = null;
      for (const p of slot.pending.values()) p.reject(new GatewayError('WORKER_FAILED', { detail: `translator worker ${why}` }));
      slot.pending.clear();
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('exit', (code) => fail(`exited (${code})`));
    this.slots[i] = slot;
    return slot;
  }

  private run(message: OpenedMessage, target: TranslationTarget): Promise<OutboundMessage> {
    if (this.closed) return Promise.reject(new GatewayError('SHUTTING_DOWN'));
    let best = 0;
    for (let i = 1; i < this.slots.length; i++) {
      if ((this.slots[i]?.pending.size ?? 0) < (this.slots[best]?.pending.size ?? 0)) best = i;
    }
    const slot = this.slots[best] ?? this.spawn(best);
    const id = ++this.seq;
    return new Promise<OutboundMessage>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      if (slot.pending.size === 1) slot.worker.ref();
      slot.worker.postMessage({ id, message, context: target } satisfies TranslateJob);
    }).finally(() => {
      if (slot.pending.size === 0) slot.worker.unref();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s?.worker.terminate()));
  }
}

function revive(e: NonNullable<TranslateAnswer['error']>): Error {
  if (e.kind && e.kind in REPLY_CODES) return new GatewayError(e.kind as ErrorKind, { detail: e.detail });
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
