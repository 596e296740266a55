/**
 * The worker: claims, concurrency, wake-ups; no stage logic. It runs the stages in order for
 * each job and hands what a stage returns to the next:
 *
 *   accept → open → route ─────────────┐           (or open → correlate-bounce, for a relay bounce)
 *                                      ▼
 *          worker claims due deliveries → deliver → (done) → notices
 *
 * Every claim carries this worker's id (`NODE/INCARNATION`) and a lease, renewed while the
 * worker lives; a worker that dies leaves leases that lapse, and any worker then reclaims the
 * work (a send flagged `uncertain`). A restart of the same node lets go of its previous
 * incarnation's claims at once. Web APIs only (timers, no Node built-in).
 *
 * Several nodes on one store: an engine that can tell of work committed elsewhere
 * (`MessageStore.onWork`, PostgreSQL's LISTEN/NOTIFY) wakes this worker at once, so latency
 * does not depend on `pollMs`. An engine whose server can go away (`availability`,
 * `onAvailability`) pauses the claims while it is away: one log line when it goes, one when it
 * is back, none per message in between; work cut by the outage is taken up again when it is back.
 */
import type { Clock } from '../ports/clock.js';
import type { Envelope } from '../model/envelope.js';
import type { Claimant, DeliveryRow, MessageState, StoreAvailability, WorkKind } from '../ports/message-store.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { PipelineContext } from './context.js';
import { openStage, type ProcessJob } from './stages/open.js';
import { routeStage } from './stages/route.js';
import { correlateBounceStage } from './stages/correlate-bounce.js';
import { deliverStage } from './stages/deliver.js';
import { settledNotices } from './notices/settled.js';

export interface WorkerOptions {
  /** This node's name, stable across restarts (several nodes share one store). */
  node: string;
  /** Deliveries handed over at once. */
  concurrency: number;
  /** How long a claim holds without renewal. */
  leaseMs: number;
  /** How often the worker looks for work it was not woken for (released, lapsed, due). */
  pollMs: number;
  held: boolean;
}

type Timer = ReturnType<typeof setInterval>;

/** `setImmediate` where the runtime has it (Node), else a zero timeout (Workers, browsers). */
const defer: (fn: () => void) => void = (globalThis as { setImmediate?: (fn: () => void) => void }).setImmediate ?? ((fn) => void setTimeout(fn, 0));

export class Worker {
  readonly claimant: Claimant;
  private readonly processing = new Set<Promise<unknown>>();
  private readonly inProcess = new Set<string>();
  /** Deliveries this worker claimed and is still working on: only these (and `inProcess`) have their leases renewed. */
  private readonly inHand = new Set<number>();
  private inFlight = 0;
  private running = false;
  private held: boolean;
  private pumpScheduled = false;
  /** A claim of due deliveries is on its way to the store; `wokenMeanwhile`: claim again after it. */
  private claiming = false;
  private wokenMeanwhile = false;
  private timers: Timer[] = [];
  private pollScheduled = false;
  private unsubscribe: (() => void)[] = [];
  /** When the store went away and why (null while it is reachable). */
  private away: { since: number; reason: string } | null = null;
  /** Messages whose processing the outage cut (their claim is still this worker's): id → when. */
  private cut = new Map<string, number>();

  constructor(private readonly ctx: PipelineContext, private readonly o: WorkerOptions) {
    this.claimant = { owner: `${o.node}/${incarnation(ctx.clock)}`, leaseMs: o.leaseMs };
    this.held = o.held;
  }

  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    this.wake();
  }

  /** Resume what a previous run of this node left, then keep working until `stop`. */
  async start(): Promise<void> {
    const { store, clock, log } = this.ctx;
    this.running = true;
    // Work committed by other nodes wakes this one at once; the poll stays for what nobody announces.
    const off = store.onWork?.((kind: WorkKind) => (kind === 'messages' ? this.pollSoon() : this.wake()));
    if (off) this.unsubscribe.push(off);
    const offAvailability = store.onAvailability?.((a) => this.availabilityChanged(a));
    if (offAvailability) this.unsubscribe.push(offAvailability);
    const now = store.availability?.();
    if (now && !now.available) this.availabilityChanged(now);
    const rec = await store.releaseClaimsOfNode(this.o.node, this.claimant.owner, clock.now());
    if (rec.requeued || rec.unprocessed) log.info('resuming after restart', rec);
    // Messages settled just before a crash: queue the notices they call for (keyed: never twice).
    for (let batch = await store.noticesDue(200); batch.length; batch = await store.noticesDue(200)) {
      for (const due of batch) await settledNotices(this.ctx, due);
    }
    for (let batch = await this.claimUnprocessed(500); batch.length; batch = await this.claimUnprocessed(500)) {
      await Promise.all(batch.map((id) => this.process({ id })));
    }
    this.timers.push(setInterval(() => void this.poll(), this.o.pollMs));
    this.timers.push(setInterval(() => void this.renew(), Math.max(1000, Math.floor(this.o.leaseMs / 3))));
    for (const t of this.timers) (t as { unref?: () => void }).unref?.();
    this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    while (this.processing.size || this.inFlight) {
      await Promise.race([...this.processing, new Promise((r) => setTimeout(r, 20))]);
    }
  }

  /** A message just accepted here (claimed by this worker in the accepting commit). */
  accepted(id: string, raw: Uint8Array, envelope: Envelope): void {
    if (this.running) this.track(this.process({ id, raw, envelope }));
  }

  /** New deliveries may be due: claim them soon (coalesced). */
  wake(): void {
    if (!this.running || this.held || this.away) return;
    // One claim at a time: the wakes that come while it is on its way make one more after it
    // (under load, one claim takes many deliveries instead of many claims one each).
    if (this.claiming) {
      this.wokenMeanwhile = true;
      return;
    }
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    defer(() => {
      this.pumpScheduled = false;
      void this.pump();
    });
  }

  /** Messages may be ready to process (another node's or an operator's doing): look soon (coalesced). */
  private pollSoon(): void {
    if (!this.running || this.away || this.pollScheduled) return;
    this.pollScheduled = true;
    defer(() => {
      this.pollScheduled = false;
      void this.poll();
    });
  }

  /**
   * The store went away or came back: pause the claims (one line in the log), or resume them
   * (one line), taking up again the messages the outage cut and looking for what was missed.
   */
  private availabilityChanged(a: StoreAvailability): void {
    const { log, clock } = this.ctx;
    if (!a.available) {
      if (this.away) return;
      this.away = { since: a.since, reason: a.reason };
      log.warn('message store unreachable: claims paused until it is back', { since: new Date(a.since).toISOString(), reason: a.reason });
      return;
    }
    if (!this.away) return;
    const awayMs = clock.now() - this.away.since;
    this.away = null;
    log.info('message store reachable again: claims resumed', { awayMs, resumed: this.cut.size });
    if (!this.running) return;
    const now = clock.now();
    for (const [id, at] of this.cut) {
      // Still this worker's claim (its lease has not lapsed): take it up at once; else any worker reclaims it.
      if (now - at < this.o.leaseMs && !this.inProcess.has(id)) this.track(this.process({ id }));
    }
    this.cut.clear();
    void this.renew();
    this.pollSoon();
    this.wake();
  }

  /**
   * Extends the leases of the work in hand, and of nothing else: a claim whose work ended
   * without its outcome written (the store failed) lapses, and is taken up again.
   */
  private async renew(): Promise<void> {
    if (this.away) return;
    await this.ctx.store.renewClaims(this.claimant, this.ctx.clock.now(), { deliveries: [...this.inHand], messages: [...this.inProcess] }).catch(() => undefined);
  }

  /** Was this failure the store being away (reported once, not per message)? */
  private storeAway(err: unknown): boolean {
    return this.away !== null || (err instanceof GatewayError && err.kind === 'STORE_UNAVAILABLE');
  }

  private claimUnprocessed(limit: number, receivedBefore?: number): Promise<string[]> {
    return this.ctx.store.claimUnprocessed(this.ctx.clock.now(), limit, this.claimant, receivedBefore);
  }

  /**
   * Work nobody woke this worker for: messages put back to `received` (an operator's
   * release) or whose claim lapsed, notices owed by a node that stopped, due retries.
   * Messages received in the last second are left to their own acceptance.
   */
  private async poll(): Promise<void> {
    if (!this.running || this.away) return;
    try {
      const now = this.ctx.clock.now();
      for (const id of await this.claimUnprocessed(100, now - 1000)) {
        if (!this.inProcess.has(id)) this.track(this.process({ id }));
      }
      for (const due of await this.ctx.store.noticesDue(50, now - this.o.leaseMs)) this.track(settledNotices(this.ctx, due));
    } catch (err) {
      if (!this.storeAway(err)) this.ctx.log.error('worker poll failed', { error: (err as Error).message });
    }
    this.wake();
  }

  private track(p: Promise<unknown>): void {
    this.processing.add(p);
    void p.finally(() => this.processing.delete(p));
  }

  /** open → route (or correlate) → notices when the message settled. Never throws. */
  private async process(job: ProcessJob): Promise<void> {
    if (this.inProcess.has(job.id)) return;
    this.inProcess.add(job.id);
    try {
      const opened = await openStage(this.ctx, job);
      let state: MessageState | null = null;
      if (opened.next === 'route') state = await routeStage(this.ctx, opened.job);
      else if (opened.next === 'bounce') state = await correlateBounceStage(this.ctx, opened.job);
      else if (opened.next === 'quarantined') state = 'quarantined';
      else if (opened.next === 'duplicate') this.ctx.settled(job.id, 'duplicate');
      else if (opened.next === 'routed') this.wake();
      if (state) await this.settled(job.id, state, opened.next === 'bounce');
      this.wake();
    } catch (err) {
      if (this.storeAway(err)) {
        // Still claimed by this worker: taken up again as soon as the store is back.
        this.cut.set(job.id, this.ctx.clock.now());
      } else {
        // The store failed: the claim lapses and the message is taken up again.
        this.ctx.log.error('processing failed; the message will be taken up again', { id: job.id, error: (err as Error).message });
      }
    } finally {
      this.inProcess.delete(job.id);
    }
  }

  private async settled(id: string, state: MessageState, bounce = false): Promise<void> {
    if (state === 'done' || state === 'quarantined') {
      // Only a quarantine's notice needs its stage and reply from the row, and a relay bounce's the message it names.
      const row = state === 'quarantined' || bounce ? await this.ctx.store.message(id) : null;
      await settledNotices(this.ctx, { id, state, stage: row?.stage ?? null, reply: row?.reply ?? null, relatedId: row?.relatedId ?? null });
      this.ctx.settled(id, state);
    }
  }

  private async pump(): Promise<void> {
    if (!this.running || this.held || this.away) return;
    const room = this.o.concurrency - this.inFlight;
    if (room <= 0) return;
    let rows: DeliveryRow[];
    this.claiming = true;
    try {
      rows = await this.ctx.store.claimDue(this.ctx.clock.now(), room, this.claimant);
    } catch (err) {
      if (!this.storeAway(err)) this.ctx.log.error('claiming deliveries failed', { error: (err as Error).message });
      return;
    } finally {
      this.claiming = false;
      if (this.wokenMeanwhile) {
        this.wokenMeanwhile = false;
        this.wake();
      }
    }
    if (rows.length === 0) return;
    const groups = new Map<string, DeliveryRow[]>();
    for (const r of rows) {
      const k = `${r.messageRef}|${r.targetNetwork}`;
      const g = groups.get(k);
      if (g) g.push(r);
      else groups.set(k, [r]);
    }
    for (const g of groups.values()) {
      this.inFlight += g.length;
      for (const r of g) this.inHand.add(r.id);
      void this.deliver(g).finally(() => {
        this.inFlight -= g.length;
        for (const r of g) this.inHand.delete(r.id);
        this.wake();
      });
    }
    if (rows.length === room) this.wake();
  }

  private async deliver(rows: DeliveryRow[]): Promise<void> {
    try {
      const state = await deliverStage(this.ctx, { rows });
      await this.settled(rows[0]!.messageRef, state);
    } catch (err) {
      // The store failed: the claim lapses and another attempt follows (flagged uncertain: the send may have happened).
      if (!this.storeAway(err)) {
        this.ctx.log.error('delivery failed in the gateway; the claim will lapse and be retried', { id: rows[0]!.messageRef, error: (err as Error).message });
      }
    }
  }
}

function incarnation(clock: Clock): string {
  const r = new Uint8Array(4);
  crypto.getRandomValues(r);
  return `${clock.now().toString(36)}-${Array.from(r, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
