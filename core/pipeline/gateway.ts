/**
 * The pipeline: receive → open → route → translate → seal → deliver, with a durable queue
 * between acceptance and delivery.
 *
 * - `accept` commits the raw message and its recipients (the listener answers `250` after).
 * - `process` opens a message with its source adapter and routes each recipient through the
 *   resolver; a message that cannot be opened is quarantined and its sender told.
 * - the delivery loop claims due deliveries, translates the opened message for the target
 *   network, seals it with the target adapter and hands it over; outcomes go back to the
 *   store, with retries from the schedule, expiry and failure notices to the sender.
 *
 * @example
 * const gw = new Gateway({ store, adapters, resolver, log });
 * await gw.start();
 * const { id } = await gw.accept({ source: 'legacy', mailFrom, recipients, messageId, raw });
 */
import type { DeliveryOutcome, NetworkAdapter } from '../ports/adapter.js';
import type { OpenedMessage, OutboundMessage } from '../model/message.js';
import type { NetworkId } from '../model/network.js';
import type { RouteResolver } from '../ports/route-resolver.js';
import { GatewayError, asGatewayError } from '../errors/gateway-error.js';
import type { AcceptInput, AcceptResult, DeliveryRow, MessageState, NewEvent, OutcomeUpdate, RoutingResult, Store } from '../ports/message-store.js';
import type { Envelope } from '../model/envelope.js';
import { RetrySchedule, DEFAULT_RETRY_POLICY } from '../queue/retry-schedule.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { passThroughTranslator, type Translator } from '../ports/translator.js';
import { decodeOutbound, encodeOutbound } from './outbound-codec.js';
import { isNotification } from './header-peek.js';
import { isRelayBounce, settleRelayBounce } from './relay-bounce.js';

export interface GatewayOptions {
  store: Store;
  adapters: Partial<Record<NetworkId, NetworkAdapter>>;
  resolver: RouteResolver;
  translator?: Translator;
  schedule?: RetrySchedule;
  log?: Logger;
  /** Deliveries handed over at once. */
  concurrency?: number;
  leaseMs?: number;
  pollMs?: number;
  /** Domain used in the Message-IDs the gateway writes. */
  domain?: string;
  /** Start with deliveries held (messages are still accepted, opened and routed). */
  holdDeliveries?: boolean;
}

export interface GatewayStats {
  accepted: number;
  opened: number;
  delivered: number;
  failed: number;
  quarantined: number;
}

export class Gateway {
  readonly store: Store;
  private readonly adapters: Partial<Record<NetworkId, NetworkAdapter>>;
  private readonly resolver: RouteResolver;
  private readonly translator: Translator;
  private readonly schedule: RetrySchedule;
  private readonly log: Logger;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly domain: string;
  private readonly opened = new Map<string, OpenedMessage>();
  private readonly processing = new Set<Promise<void>>();
  private readonly inProcess = new Set<string>();
  private inFlight = 0;
  private running = false;
  private held: boolean;
  private pumpScheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private bounces: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(id: string, state: string) => void>();
  readonly stats: GatewayStats = { accepted: 0, opened: 0, delivered: 0, failed: 0, quarantined: 0 };

  constructor(o: GatewayOptions) {
    this.store = o.store;
    this.adapters = o.adapters;
    this.resolver = o.resolver;
    this.translator = o.translator ?? passThroughTranslator;
    this.schedule = o.schedule ?? RetrySchedule.from(DEFAULT_RETRY_POLICY);
    this.log = o.log ?? silentLogger;
    this.concurrency = o.concurrency ?? 16;
    this.leaseMs = o.leaseMs ?? 5 * 60_000;
    this.pollMs = o.pollMs ?? 1000;
    this.domain = o.domain ?? 'passerelle.invalid';
    this.held = o.holdDeliveries ?? false;
  }

  /** Hold deliveries (maintenance): messages are still accepted, opened and routed. */
  holdDeliveries(): void {
    this.held = true;
  }

  releaseDeliveries(): void {
    this.held = false;
    this.pump();
  }

  /** Resume everything in flight, then keep processing and delivering until `stop`. */
  async start(): Promise<void> {
    this.running = true;
    const rec = this.store.recover(Date.now());
    if (rec.requeued || rec.unprocessed) this.log.info('resuming after restart', rec);
    // Messages settled just before a crash: queue the notices they call for (keyed: never twice).
    for (let batch = this.store.noticesDue(200); batch.length; batch = this.store.noticesDue(200)) {
      for (const id of batch) await this.resumeNotices(id);
    }
    for (let batch = this.store.unprocessed(500); batch.length; batch = this.store.unprocessed(500)) {
      await Promise.all(batch.map((id) => this.process(id)));
    }
    this.timer = setInterval(() => {
      this.resumeReleased();
      this.pump();
    }, this.pollMs);
    this.timer.unref();
    this.pump();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.processing.size || this.inFlight) {
      await Promise.race([...this.processing, new Promise((r) => setTimeout(r, 20))]);
    }
  }

  /** Called when a message changes state (tests and the demo wait on it). */
  onSettled(fn: (id: string, state: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Commit a received message. Resolves once it is durable: only then may the listener say 250. */
  async accept(input: AcceptInput): Promise<AcceptResult> {
    const res = await this.store.accept(input);
    this.stats.accepted++;
    if (this.running && res.duplicates.length < input.recipients.length) this.track(this.process(res.id, { raw: input.raw, envelope: res.envelope }));
    return res;
  }

  /**
   * Messages put back to `received` from outside (an operator's release) are run again. Those
   * received in the last second are left to their own acceptance (whose commit may still be
   * syncing): reading them back here would only repeat work.
   */
  private resumeReleased(): void {
    for (const id of this.store.unprocessed(100, Date.now() - 1000)) {
      if (this.inProcess.has(id)) continue;
      this.track(this.process(id));
    }
  }

  private track(p: Promise<void>): void {
    this.processing.add(p);
    void p.finally(() => this.processing.delete(p));
  }

  // ---- open + route ----

  /**
   * Open a received message and route its recipients. Never throws: failures quarantine.
   * `known` spares the reads when the message was just received.
   */
  async process(id: string, known?: { raw: Uint8Array; envelope: Envelope }): Promise<void> {
    if (this.inProcess.has(id)) return;
    this.inProcess.add(id);
    try {
      await this.processNow(id, known);
    } finally {
      this.inProcess.delete(id);
    }
  }

  private async processNow(id: string, known?: { raw: Uint8Array; envelope: Envelope }): Promise<void> {
    let env: Envelope | null;
    if (known) {
      env = known.envelope;
    } else {
      const msg = this.store.message(id);
      if (!msg || (msg.state !== 'received' && msg.state !== 'opened')) return;
      env = this.store.envelope(id);
    }
    if (!env) return;
    if (env.source === 'gateway') {
      // A notice the gateway wrote carries its routes already.
      this.store.setMessageState(id, 'routed');
      this.pump();
      return;
    }
    const adapter = this.adapters[env.source];
    const raw = known?.raw ?? this.store.raw(id);
    let opened: OpenedMessage;
    try {
      if (!adapter) throw new GatewayError('NO_ROUTE', { detail: `no adapter for network ${env.source}` });
      if (!raw) throw new GatewayError('CANNOT_OPEN', { detail: 'raw bytes missing from the store' });
      opened = await adapter.open(raw, env);
    } catch (err) {
      const ge = asGatewayError(err, 'CANNOT_OPEN');
      await this.quarantine(id, 'open', ge, raw);
      return;
    }
    this.remember(id, opened);
    this.stats.opened++;
    if (isRelayBounce(env, opened)) {
      // A bounce the relay sent after hand-over: settle the original (relay-bounce.ts), never
      // route it. One bounce at a time: two reports of one failure must not both notify.
      const network = env.source;
      const settle = () => settleRelayBounce({
        store: this.store, network, now: Date.now,
        notifySender: (orig, failures, reason) => this.notifySender(orig, failures, reason, null, `bounce:${id}`),
      }, id, opened);
      const turn = this.bounces.then(settle);
      this.bounces = turn.then(() => undefined, () => undefined);
      const r = await turn;
      if (r.state === 'quarantined') this.stats.quarantined++;
      this.opened.delete(id);
      for (const l of this.listeners) l(id, r.state);
      return;
    }

    const result: RoutingResult = { routes: [], failures: [], events: [{ stage: 'open', level: 'info', detail: `opened: ${describeContent(opened)}` }] };
    const pending = known ? env.recipients : this.store.pendingDeliveries(id).map((d) => d.recipient);
    for (const recipient of pending) {
      let reason: GatewayError | null = null;
      try {
        const r = await this.resolver.resolve(recipient);
        if (!r) reason = new GatewayError('UNKNOWN_RECIPIENT', { detail: 'no route for this address' });
        else if (r.status !== 'active') reason = new GatewayError('RECIPIENT_SUSPENDED', { detail: `recipient is ${r.status}` });
        else if (r.network === env.source) reason = new GatewayError('RELAY_DENIED', { detail: 'route leads back to the source network' });
        else {
          result.routes.push({ recipient, network: r.network, address: r.address });
          result.events.push({ stage: 'route', level: 'info', detail: `routed to ${r.network}`, recipient });
        }
      } catch (err) {
        reason = asGatewayError(err, 'NO_ROUTE');
      }
      if (reason) {
        result.failures.push({ recipient, reply: reason.reply });
        result.events.push({ stage: 'route', level: 'error', detail: `${reason.reply}${reason.detail ? ` (${reason.detail})` : ''}`, recipient });
        this.stats.failed++;
      }
    }
    await this.store.recordRouting(id, result, Date.now());
    if (result.routes.length === 0) await this.finish(id, opened, this.store.settle(id, Date.now()));
    this.pump();
  }

  private remember(id: string, m: OpenedMessage): void {
    this.opened.set(id, m);
    if (this.opened.size > 2000) this.opened.delete(this.opened.keys().next().value as string);
  }

  private async reopen(id: string): Promise<OpenedMessage> {
    const cached = this.opened.get(id);
    if (cached) return cached;
    const env = this.store.envelope(id);
    const raw = this.store.raw(id);
    if (!env || !raw) throw new GatewayError('CANNOT_OPEN', { detail: 'message missing from the store' });
    const adapter = this.adapters[env.source as NetworkId];
    if (!adapter) throw new GatewayError('NO_ROUTE', { detail: `no adapter for network ${env.source}` });
    const m = await adapter.open(raw, env);
    this.remember(id, m);
    return m;
  }

  // ---- deliver ----

  private pump(): void {
    if (!this.running || this.held || this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      if (!this.running) return;
      const room = this.concurrency - this.inFlight;
      if (room <= 0) return;
      const rows = this.store.claimDue(Date.now(), room, this.leaseMs);
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
        void this.deliverGroup(g).finally(() => {
          this.inFlight -= g.length;
          this.pump();
        });
      }
      if (rows.length === room) this.pump();
    });
  }

  private async deliverGroup(rows: DeliveryRow[]): Promise<void> {
    const id = rows[0].messageRef;
    const network = rows[0].targetNetwork as NetworkId;
    const adapter = this.adapters[network];
    const env = this.store.envelope(id)!;
    let outcomes: DeliveryOutcome[];
    let opened: OpenedMessage | null = null;
    const events: NewEvent[] = [];
    try {
      if (!adapter) throw new GatewayError('NO_ROUTE', { detail: `no adapter for network ${network}` });
      let outbound: OutboundMessage;
      if (env.source === 'gateway') {
        outbound = decodeOutbound(this.store.raw(id)!);
        outbound = { ...outbound, to: rows.map((r) => r.targetAddress!) };
      } else {
        opened = await this.reopen(id);
        // A notification is relayed as the gateway's own (its author has no address on the other network).
        const from = opened.content.kind === 'notification'
          ? adapter.ownAddress
          : (await this.resolver.aliasFor(opened.from || env.mailFrom, network)) ?? (await this.resolver.aliasFor(env.mailFrom, network));
        if (!from) throw new GatewayError('BAD_SENDER', { detail: 'the sender has no address on the target network' });
        try {
          outbound = await this.translator(opened, {
            network, recipients: rows.map((r) => r.targetAddress!), from, messageId: `<${id}.${network}@${this.domain}>`,
          });
        } catch (err) {
          throw asGatewayError(err, 'CANNOT_TRANSLATE');
        }
        const certificates: Record<string, string> = {};
        for (const r of rows) {
          const route = await this.resolver.resolve(r.recipient).catch(() => null);
          if (route?.certificate) certificates[r.targetAddress!.toLowerCase()] = route.certificate;
        }
        if (Object.keys(certificates).length) outbound = { ...outbound, recipientCertificates: certificates };
      }
      const sealed = await adapter.seal(outbound).catch((err: unknown) => {
        throw asGatewayError(err, 'CANNOT_SEAL');
      });
      events.push({ stage: 'seal', level: 'info', detail: `sealed for ${network}: ${sealed.raw.byteLength} bytes, ${sealed.recipients.length} recipient(s)` });
      for (const note of sealed.notes ?? []) events.push({ stage: 'seal', level: 'info', detail: note });
      outcomes = await adapter.deliver(sealed);
    } catch (err) {
      const ge = asGatewayError(err, 'CANNOT_TRANSLATE');
      if (ge.kind === 'CANNOT_TRANSLATE' || ge.kind === 'BAD_SENDER') {
        await this.store.recordOutcomes(id, rows.map((r) => ({ deliveryId: r.id, state: 'quarantined' as const, reply: ge.reply })), events, Date.now());
        await this.quarantine(id, ge.kind === 'BAD_SENDER' ? 'route' : 'translate', ge, null);
        return;
      }
      outcomes = rows.map((r) => ({ recipient: r.targetAddress!, result: ge.permanent ? 'permanent' : 'temporary', reply: ge.reply }));
      events.push({ stage: 'deliver', level: 'warn', detail: `${network} hand-over failed: ${ge.reply}${ge.detail ? ` (${ge.detail})` : ''}` });
    }
    const state = await this.record(id, env.receivedAt, rows, outcomes, events);
    await this.finish(id, opened, state);
  }

  private record(id: string, receivedAt: number, rows: DeliveryRow[], outcomes: DeliveryOutcome[], events: NewEvent[]): Promise<MessageState> {
    const now = Date.now();
    const byAddress = new Map(outcomes.map((o) => [o.recipient.toLowerCase(), o]));
    const updates: OutcomeUpdate[] = [];
    for (const r of rows) {
      const o = byAddress.get(r.targetAddress!.toLowerCase()) ?? {
        recipient: r.targetAddress!, result: 'temporary' as const, reply: '451 4.3.0 No outcome reported for this recipient',
      };
      if (o.result === 'delivered') {
        updates.push({ deliveryId: r.id, state: 'delivered', reply: o.reply });
        events.push({ stage: 'deliver', level: 'info', detail: `delivered to ${r.targetNetwork}: ${o.reply}`, recipient: r.recipient });
        this.stats.delivered++;
      } else if (o.result === 'permanent') {
        updates.push({ deliveryId: r.id, state: 'failed', reply: o.reply });
        events.push({ stage: 'deliver', level: 'error', detail: `refused: ${o.reply}`, recipient: r.recipient });
        this.stats.failed++;
      } else {
        const next = this.schedule.next({ attempts: r.attempts + 1, receivedAt, now });
        if (next === null) {
          updates.push({ deliveryId: r.id, state: 'failed', reply: `${new GatewayError('EXPIRED').reply} (last: ${o.reply})` });
          events.push({ stage: 'deliver', level: 'error', detail: `expired after ${r.attempts + 1} attempt(s): ${o.reply}`, recipient: r.recipient });
          this.stats.failed++;
        } else {
          updates.push({ deliveryId: r.id, state: 'queued', nextAttemptAt: next, reply: o.reply });
          events.push({ stage: 'deliver', level: 'warn', detail: `will retry at ${new Date(next).toISOString()}: ${o.reply}`, recipient: r.recipient });
        }
      }
    }
    return this.store.recordOutcomes(id, updates, events, now);
  }

  /** Once no delivery of a message is left to try: tell the sender of failures. */
  private async finish(id: string, opened: OpenedMessage | null, state: MessageState): Promise<void> {
    if (state !== 'done') return;
    await this.settledNotices(id, opened);
    this.opened.delete(id);
    for (const l of this.listeners) l(id, state);
  }

  /** The notices a message that is done calls for: MDNs asked for, a failure notice. */
  private async settledNotices(id: string, opened: OpenedMessage | null): Promise<void> {
    await this.dispositionNotices(id);
    const failed = this.store.deliveries(id).filter((d) => d.state === 'failed');
    if (failed.length) await this.notifySender(id, failed.map((d) => ({ recipient: d.recipient, reply: d.lastError ?? '' })), 'Delivery failed', opened, `failure:${id}`);
    this.store.noticesQueued(id);
  }

  /** After a restart: the notices of a message settled just before the crash (queued once: keyed). */
  private async resumeNotices(id: string): Promise<void> {
    try {
      const m = this.store.message(id);
      if (m?.state === 'done') {
        await this.settledNotices(id, null);
      } else if (m?.state === 'quarantined') {
        const reply = /^(\d{3} \d\.\d{1,3}\.\d{1,3} [^(]*?)(?: \(|$)/.exec(m.reason ?? '')?.[1] ?? '451 4.3.0 Message could not be processed';
        await this.quarantineNotice(id, m.stage ?? 'quarantine', reply, reply.replace(/^\d{3} /, ''));
      }
    } finally {
      this.store.noticesQueued(id);
    }
  }

  // ---- quarantine and notices ----

  private async quarantine(id: string, stage: string, err: GatewayError, raw: Uint8Array | null): Promise<void> {
    const now = Date.now();
    this.store.quarantinePending(id, err.reply, now);
    const reason = `${err.reply}${err.detail ? ` (${err.detail})` : ''}`;
    this.store.setMessageState(id, 'quarantined', { stage, reason });
    this.store.event(id, stage, 'error', `quarantined: ${reason}`);
    this.stats.quarantined++;
    this.log.warn('message quarantined', { id, stage, reason: err.kind });
    await this.quarantineNotice(id, stage, err.reply, err.message, raw);
    this.store.noticesQueued(id);
    for (const l of this.listeners) l(id, 'quarantined');
  }

  /** Tell the sender of a quarantined message (unless it is itself a notification). */
  private async quarantineNotice(id: string, stage: string, reply: string, reason: string, raw: Uint8Array | null = this.store.raw(id)): Promise<void> {
    const env = this.store.envelope(id);
    if (!env) return;
    const notification = raw ? isNotification(raw, env.mailFrom) : env.mailFrom === '';
    if (!notification) {
      await this.notifySender(id, env.recipients.map((r) => ({ recipient: r, reply })), reason, null, `quarantine:${id}:${reply}`);
    } else {
      this.store.event(id, stage, 'info', 'no notice sent: the message is itself a notification');
    }
  }

  private async notifySender(id: string, failures: { recipient: string; reply: string }[], reason: string, opened: OpenedMessage | null, key: string): Promise<void> {
    const env = this.store.envelope(id);
    if (!env || env.source === 'gateway' || env.mailFrom === '') return;
    if (opened?.content.kind === 'notification') return;
    const adapter = this.adapters[env.source];
    if (!adapter) return;
    try {
      const notice = await adapter.failureNotice({
        original: env, originalMessageId: env.messageId, to: env.mailFrom, failures, reason, originalRaw: this.store.raw(id) ?? undefined,
      });
      const noticeId = await this.queueNotice(id, notice, env.source, env.mailFrom, key);
      this.store.event(id, 'notify', 'info', noticeId ? `failure notice ${noticeId} queued for the sender` : 'failure notice already queued before a restart');
    } catch (err) {
      this.store.event(id, 'notify', 'error', `could not write the failure notice: ${(err as Error).message}`);
    }
  }

  /**
   * Queue a notice the gateway wrote, already routed to `address` on `network`. `key` names
   * what it is about: the same key queued again (after a restart) is not sent twice (null).
   */
  private async queueNotice(relatedId: string, notice: OutboundMessage, network: NetworkId, address: string, key: string): Promise<string | null> {
    const { id, duplicates } = await this.store.accept({
      source: 'gateway', mailFrom: '', recipients: [address], messageId: null, raw: encodeOutbound(notice),
      relatedId, routes: { [address]: { network, address } }, noticeKey: key,
    });
    if (duplicates.length) return null;
    this.store.setMessageState(id, 'routed');
    this.pump();
    return id;
  }

  /** MDNs the sender asked for, once each recipient's delivery is settled (processed, or processed/error). */
  private async dispositionNotices(id: string): Promise<void> {
    const env = this.store.envelope(id);
    if (!env || env.source === 'gateway') return;
    const adapter = this.adapters[env.source];
    const raw = this.store.raw(id);
    if (!adapter?.dispositionNotice || !raw) return;
    for (const d of this.store.deliveries(id)) {
      try {
        const mdn = await adapter.dispositionNotice({
          original: env, originalRaw: raw, recipient: d.recipient,
          disposition: d.state === 'delivered' ? 'processed' : 'processed/error',
          ...(d.state === 'delivered' ? {} : { errorText: d.lastError ?? 'not delivered' }),
        });
        if (!mdn) return; // none asked for (the same answer for every recipient)
        const mdnId = await this.queueNotice(id, mdn, env.source, mdn.to[0], `mdn:${d.id}`);
        if (mdnId) this.store.event(id, 'notify', 'info', `disposition notification ${mdnId} queued (${d.state === 'delivered' ? 'processed' : 'processed/error'})`, d.recipient);
      } catch (err) {
        this.store.event(id, 'notify', 'error', `could not write the disposition notification: ${(err as Error).message}`, d.recipient);
      }
    }
  }
}

function describeContent(m: OpenedMessage): string {
  const c = m.content;
  const files = c.attachments.length;
  if (c.kind === 'lab-report') return `lab report${c.report ? `, ${c.report.results.length} result(s)` : ''}, ${files} attachment(s)`;
  return `${c.kind}, ${files} attachment(s)`;
}
