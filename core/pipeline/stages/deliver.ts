/**
 * Deliver: one claimed group of deliveries (one message, one target network) is translated
 * for the target network, sealed by its adapter and handed over; each recipient's outcome
 * (delivered, retried later by the schedule, failed for good, expired) is written with its
 * events in one commit. Content that cannot be translated, or a sender without an address on
 * the target network, quarantines the message (stage `translate` or `route`), in one commit.
 *
 * Next: nothing while deliveries are left to try; once the message is `done`, its notices.
 */
import type { DeliveryOutcome } from '../../ports/adapter.js';
import type { OpenedMessage, OutboundMessage } from '../../model/message.js';
import type { NetworkId } from '../../model/network.js';
import { GatewayError, asGatewayError } from '../../errors/gateway-error.js';
import type { ErrorKind } from '../../errors/reply-codes.js';
import type { DeliveryRow, MessageState, NewEvent, OutcomeUpdate } from '../../ports/message-store.js';
import type { AttemptResult } from '../../ports/observer.js';
import { openedMessage, type PipelineContext } from '../context.js';
import { decodeOutbound } from '../outbound-codec.js';
import { quarantine } from './quarantine.js';
import { headerAddresses } from '../header-addresses.js';

/**
 * Errors of this stage that quarantine the message rather than retry it (policy as data),
 * with the stage the quarantine names: content that cannot be translated, hostile or
 * unreadable documents (`mappings/safety/content-rules.ts`), a sender without an address on
 * the target network.
 */
export const QUARANTINED_AT: Partial<Record<ErrorKind, string>> = {
  CANNOT_TRANSLATE: 'translate', UNREADABLE_CONTENT: 'translate', UNSAFE_CONTENT: 'translate', BAD_SENDER: 'route',
};

/** Deliveries of one message to one network, claimed together. */
export interface DeliveryGroup {
  rows: DeliveryRow[];
}

export async function deliverStage(ctx: PipelineContext, group: DeliveryGroup): Promise<MessageState> {
  const { rows } = group;
  const id = rows[0]!.messageRef;
  const network = rows[0]!.targetNetwork as NetworkId;
  const adapter = ctx.adapters[network];
  // Opened on this node, the message carries its envelope: no read (a gateway's notice is never opened).
  const env = ctx.opened.get(id)?.envelope ?? (await ctx.store.envelope(id))!;
  let outcomes: DeliveryOutcome[];
  const events: NewEvent[] = [];
  try {
    if (!adapter) throw new GatewayError('NO_ROUTE', { detail: `no adapter for network ${network}` });
    let outbound: OutboundMessage;
    if (env.source === 'gateway') {
      outbound = decodeOutbound((await ctx.store.raw(id))!);
      outbound = { ...outbound, to: rows.map((r) => r.targetAddress!) };
    } else {
      const opened = await openedMessage(ctx, id);
      outbound = await translate(ctx, opened, rows, network, env.mailFrom, id, events);
    }
    let t = performance.now();
    const sealed = await adapter.seal(outbound).catch((err: unknown) => {
      throw asGatewayError(err, 'CANNOT_SEAL');
    });
    ctx.observer.timing('seal', network, performance.now() - t);
    events.push({ stage: 'seal', level: 'info', detail: `sealed for ${network}: ${sealed.raw.byteLength} bytes, ${sealed.recipients.length} recipient(s)` });
    for (const note of sealed.notes ?? []) events.push({ stage: 'seal', level: 'info', detail: note });
    t = performance.now();
    outcomes = await adapter.deliver(sealed);
    ctx.observer.timing('handover', network, performance.now() - t);
  } catch (err) {
    const ge = asGatewayError(err, 'CANNOT_TRANSLATE');
    const stage = QUARANTINED_AT[ge.kind];
    if (stage) return quarantine(ctx, id, stage, ge, { deliveryIds: rows.map((r) => r.id), events });
    outcomes = rows.map((r) => ({ recipient: r.targetAddress!, result: ge.permanent ? 'permanent' : 'temporary', reply: ge.reply }));
    events.push({ stage: 'deliver', level: 'warn', detail: `${network} hand-over failed: ${ge.reply}${ge.detail ? ` (${ge.detail})` : ''}` });
  }
  return record(ctx, id, env.source, network, env.receivedAt, rows, outcomes, events);
}

/** The opened message as the target network gets it: the sender's alias there, the clinical mappings, recipients' certificates. */
async function translate(
  ctx: PipelineContext, opened: OpenedMessage, rows: DeliveryRow[], network: NetworkId, mailFrom: string, id: string, events: NewEvent[],
): Promise<OutboundMessage> {
  const adapter = ctx.adapters[network]!;
  // A notification is relayed as the gateway's own (its author has no address on the other network).
  const from = opened.content.kind === 'notification'
    ? adapter.ownAddress
    : (await addressBook(ctx.resolver.aliasFor(opened.from || mailFrom, network))) ?? (await addressBook(ctx.resolver.aliasFor(mailFrom, network)));
  if (!from) throw new GatewayError('BAD_SENDER', { detail: 'the sender has no address on the target network' });
  const recipients = rows.map((r) => r.targetAddress!);
  // The original's To and Cc as this network's readers can reply to them (display only; notices keep their own).
  const shown = opened.content.kind === 'notification' ? null : await headerAddresses(ctx.resolver, opened, network, recipients);
  if (shown?.omitted) events.push({ stage: 'translate', level: 'info', detail: `${shown.omitted} To/Cc address(es) with no address on ${network} left out of the headers` });
  let outbound: OutboundMessage;
  const t = performance.now();
  try {
    outbound = await ctx.translator(opened, {
      network, recipients, from, messageId: `<${id}.${network}@${ctx.domain}>`, ...(shown ? { to: shown.to, cc: shown.cc } : {}),
    });
  } catch (err) {
    throw asGatewayError(err, 'CANNOT_TRANSLATE');
  }
  ctx.observer.timing('translate', network, performance.now() - t);
  const certificates: Record<string, string> = {};
  for (const r of rows) {
    // Unanswered, the recipient's certificate is unknown: wait rather than send unencrypted.
    const route = await addressBook(ctx.resolver.resolve(r.recipient));
    if (route?.certificate) certificates[r.targetAddress!.toLowerCase()] = route.certificate;
  }
  return Object.keys(certificates).length ? { ...outbound, recipientCertificates: certificates } : outbound;
}

/**
 * Each recipient's outcome → its delivery row (delivered, queued for the next attempt, failed,
 * expired), in one commit; and for each, one log line and one observation: message id,
 * networks, the recipient's DOMAIN only (a local part may name a patient), attempt, result,
 * reply code, latency from acceptance.
 */
function record(
  ctx: PipelineContext, id: string, source: string, network: NetworkId, receivedAt: number, rows: DeliveryRow[], outcomes: DeliveryOutcome[], events: NewEvent[],
): Promise<MessageState> {
  const now = ctx.clock.now();
  const latencyMs = now - receivedAt;
  const byAddress = new Map(outcomes.map((o) => [o.recipient.toLowerCase(), o]));
  const updates: OutcomeUpdate[] = [];
  for (const r of rows) {
    const o = byAddress.get(r.targetAddress!.toLowerCase()) ?? {
      recipient: r.targetAddress!, result: 'temporary' as const, reply: '451 4.3.0 No outcome reported for this recipient',
    };
    const attempt = r.attempts + 1;
    let result: AttemptResult;
    if (o.result === 'delivered') {
      result = 'delivered';
      updates.push({ deliveryId: r.id, state: 'delivered', reply: o.reply });
      events.push({ stage: 'deliver', level: 'info', detail: `delivered to ${r.targetNetwork}: ${o.reply}`, recipient: r.recipient });
      ctx.stats.delivered++;
    } else if (o.result === 'permanent') {
      result = 'failed';
      updates.push({ deliveryId: r.id, state: 'failed', reply: o.reply });
      events.push({ stage: 'deliver', level: 'error', detail: `refused: ${o.reply}`, recipient: r.recipient });
      ctx.stats.failed++;
    } else {
      const next = ctx.schedule.next({ attempts: attempt, receivedAt, now });
      if (next === null) {
        result = 'expired';
        updates.push({ deliveryId: r.id, state: 'failed', reply: `${new GatewayError('EXPIRED').reply} (last: ${o.reply})` });
        events.push({ stage: 'deliver', level: 'error', detail: `expired after ${attempt} attempt(s): ${o.reply}`, recipient: r.recipient });
        ctx.stats.failed++;
      } else {
        result = 'deferred';
        updates.push({ deliveryId: r.id, state: 'queued', nextAttemptAt: next, reply: o.reply });
        events.push({ stage: 'deliver', level: 'warn', detail: `will retry at ${new Date(next).toISOString()}: ${o.reply}`, recipient: r.recipient });
      }
    }
    const code = replyCode(o.reply);
    ctx.observer.outcome(source, network, result, code, latencyMs, attempt);
    const fields = { id, network, domain: domainOf(r.targetAddress!), attempt, result, reply: code, latencyMs };
    if (result === 'delivered') ctx.log.info('delivery attempt', fields);
    else ctx.log.warn('delivery attempt', fields);
  }
  return ctx.store.recordOutcomes(id, updates, events, now);
}

/** The 3-digit code of an SMTP reply (`000` when the reply has none). */
function replyCode(reply: string): string {
  const c = reply.slice(0, 3);
  return /^[2-5]\d\d$/.test(c) ? c : '000';
}

/** The domain of an address, lower case: what a log line may say of a recipient. */
function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * An answer of the address book, or a temporary failure (`451 4.3.0`, retried on the
 * schedule) when it cannot answer (its database away): never a quarantine or a bounce for a
 * passing outage, never a copy sent without the recipient's certificate.
 */
async function addressBook<T>(answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('STORE_UNAVAILABLE', { detail: 'the address book could not answer' });
  }
}
