/**
 * Correlates a bounce that a network's relay sent after it had accepted a submission (a
 * suspended subscriber, a failure inside the network) with the message the gateway handed
 * over, and settles it:
 *
 * - the gateway wrote the bounced message's Message-ID, `<ID.NETWORK@DOMAIN>`, so `ID` names
 *   the original in the store;
 * - each failed recipient of the report (its `Final-Recipient`, the address the gateway
 *   submitted to; else the same LOCAL, which is unique network-wide) marks that delivery of
 *   the original `failed` (it was `delivered` at hand-over), with an event on its trace;
 * - the original's sender gets one failure notice through the usual path (an RFC 3464 DSN on
 *   the national side); a delivery already failed is not notified twice;
 * - the bounce itself ends `done`, with an event naming the message it settled; one that
 *   cannot be correlated (a Message-ID the gateway did not write, an unknown message, the
 *   bounce of a notice the gateway wrote itself) is quarantined with its reason, and no
 *   notice is ever sent about it (no loop).
 *
 * The adapter that opened the bounce hands the report over as a `dsn` notification whose
 * `meta.deliveryStatus` is the JSON of its recipient blocks (`BouncedRecipient[]`) and whose
 * `content.originalMessageId` is the bounced message's Message-ID
 * (`adapters/legacy/relay-bounce.ts`). Web APIs only.
 *
 * @example
 * if (isRelayBounce(env, opened)) {
 *   const r = await settleRelayBounce({ store, network: 'legacy', now: Date.now, notifySender }, id, opened);
 *   r.state; // 'done' | 'quarantined'
 * }
 */
import type { Envelope } from '../model/envelope.js';
import type { OpenedMessage } from '../model/message.js';
import type { NetworkId } from '../model/network.js';
import type { BounceMark, Store } from '../ports/message-store.js';

/** One recipient block of the relay's report, as the adapter hands it over. */
export interface BouncedRecipient {
  recipient: string;
  action: string;
  status: string;
  diagnostic?: string;
}

export interface RelayBounceContext {
  store: Store;
  /** The network whose relay sent the bounce: the deliveries it settles went to that network. */
  network: NetworkId;
  now(): number;
  /**
   * Queue a failure notice to the original's sender (the pipeline's notice path), keyed by
   * the bounce: queued again after a restart, it is not sent twice. The pipeline settles one
   * bounce at a time, so two reports of one failure cannot both find it still delivered.
   */
  notifySender(originalId: string, failures: { recipient: string; reply: string }[], reason: string): Promise<void>;
}

export type RelayBounceOutcome =
  | { state: 'done'; originalId: string; failed: number }
  | { state: 'quarantined'; reason: string };

/** What the failure notice says happened, in words safe to send across networks. */
export const RELAY_BOUNCE_REASON = 'The legacy network returned the message after the gateway had handed it over';

const GATEWAY_MESSAGE_ID = /^<([0-9A-HJKMNP-TV-Z]{26})\.([a-z0-9-]+)@[^<>\s]+>$/i;

/**
 * Is this opened message a relay bounce for the gateway itself (null sender, a `dsn` carrying
 * the report's recipient blocks)?
 *
 * @example
 * isRelayBounce({ ...env, mailFrom: '' }, opened); // true for a report the legacy adapter read
 */
export function isRelayBounce(env: Envelope, opened: OpenedMessage): boolean {
  return env.mailFrom === '' && opened.content.kind === 'notification' && opened.content.notification === 'dsn'
    && typeof opened.meta.deliveryStatus === 'string';
}

/**
 * The gateway id and target network in a Message-ID the gateway wrote, or null.
 *
 * @example
 * gatewayMessageRef('<01JD2Z6Q7XK3M9V4T8B2C5D7FG.legacy@passerelle.mssante.test>'); // { id: '01JD2Z6Q7XK3M9V4T8B2C5D7FG', network: 'legacy' }
 */
export function gatewayMessageRef(messageId: string): { id: string; network: string } | null {
  const m = GATEWAY_MESSAGE_ID.exec(messageId.trim());
  return m ? { id: m[1]!.toUpperCase(), network: m[2]!.toLowerCase() } : null;
}

/**
 * Settle bounce `id` (already opened): mark the original's deliveries failed, notify its
 * sender once, and close the bounce; or quarantine it when it cannot be correlated.
 *
 * @example
 * const r = await settleRelayBounce(ctx, bounceId, opened);
 * if (r.state === 'done') r.originalId; // the message it settled
 */
export async function settleRelayBounce(ctx: RelayBounceContext, id: string, opened: OpenedMessage): Promise<RelayBounceOutcome> {
  const { store } = ctx;
  const quarantine = (reason: string): RelayBounceOutcome => {
    const now = ctx.now();
    store.quarantinePending(id, `554 5.6.0 ${reason}`, now);
    store.setMessageState(id, 'quarantined', { stage: 'correlate', reason });
    store.event(id, 'correlate', 'error', `quarantined: ${reason}`);
    store.event(id, 'correlate', 'info', 'no notice sent: the message is itself a notification');
    return { state: 'quarantined', reason };
  };

  const blocks = readBlocks(opened.meta.deliveryStatus);
  store.event(id, 'open', 'info', `opened: relay bounce${typeof opened.meta.bounce === 'string' ? ` (${opened.meta.bounce})` : ''}, ${blocks?.length ?? 0} recipient block(s)`);
  if (!blocks) return quarantine('the relay bounce carries no readable delivery-status blocks');
  const ref = opened.content.kind === 'notification' ? opened.content.originalMessageId : undefined;
  if (!ref) return quarantine('relay bounce without the Message-ID of the bounced message');
  const origin = gatewayMessageRef(ref);
  if (!origin || origin.network !== ctx.network) {
    return quarantine(`relay bounce of ${clip(ref)}, a Message-ID the gateway did not write for the ${ctx.network} network`);
  }
  const original = store.message(origin.id);
  if (!original) return quarantine(`relay bounce of message ${origin.id}, which the gateway does not know`);
  if (original.source === 'gateway' || original.source === ctx.network) {
    // A notice the gateway wrote (its Message-ID names the notice, or the message it was about).
    const about = original.source === 'gateway' ? original.relatedId ?? original.id : original.id;
    return quarantine(`relay bounce of a notice the gateway wrote about message ${about}: no notice about a notice (no loop)`);
  }

  const failed = blocks.filter((b) => b.action === 'failed' || (b.action === '' && b.status.startsWith('5')));
  const candidates = store.deliveries(original.id).filter((d) => d.targetNetwork === ctx.network && d.targetAddress);
  const marks: BounceMark[] = [];
  const notes: string[] = [];
  let matched = 0;
  for (const b of failed) {
    const d = candidates.find((c) => c.targetAddress!.toLowerCase() === b.recipient)
      ?? candidates.find((c) => localOf(c.targetAddress!) === localOf(b.recipient));
    if (!d) {
      notes.push(`${clip(b.recipient)}: no delivery of message ${original.id} to this address`);
      continue;
    }
    matched++;
    if (d.state !== 'delivered') {
      notes.push(`${d.recipient}: delivery is already ${d.state}, left as it is`);
      continue;
    }
    const reply = replyOf(b);
    marks.push({ deliveryId: d.id, reply, event: { stage: 'bounce', level: 'error', detail: `bounced by the relay after hand-over: ${reply}`, recipient: d.recipient } });
  }
  if (failed.length > 0 && matched === 0) {
    return quarantine(`relay bounce names no recipient that message ${original.id} was handed over for`);
  }

  // The notice is queued before the deliveries change (keyed by the bounce, so a restart in
  // between queues it once): after a crash the bounce is opened again and finds them unchanged.
  const byId = new Map(candidates.map((d) => [d.id, d]));
  const failures = marks.map((m) => ({ recipient: byId.get(m.deliveryId)!.recipient, reply: m.reply }));
  if (failures.length && original.mailFrom !== '') await ctx.notifySender(original.id, failures, RELAY_BOUNCE_REASON);
  await store.recordBounce(id, original.id, marks, ctx.now());
  for (const n of notes) store.event(id, 'correlate', 'info', n);
  if (failures.length === 0) {
    store.event(id, 'correlate', 'info', failed.length === 0
      ? `settles message ${original.id}: the report holds no failure (${blocks.map((b) => b.action || '?').join(', ')}), nothing to change`
      : `settles message ${original.id}: already settled earlier, no second notice`);
    return { state: 'done', originalId: original.id, failed: 0 };
  }
  if (original.mailFrom === '') {
    store.event(id, 'correlate', 'info', `settles message ${original.id}: ${failures.length} delivery(ies) marked failed; no notice (the original is a notification)`);
  } else {
    store.event(id, 'correlate', 'info', `settles message ${original.id}: ${failures.length} delivery(ies) marked failed, its sender notified`);
  }
  return { state: 'done', originalId: original.id, failed: failures.length };
}

function readBlocks(json: string | string[] | undefined): BouncedRecipient[] | null {
  if (typeof json !== 'string') return null;
  try {
    const v: unknown = JSON.parse(json);
    if (!Array.isArray(v)) return null;
    return v.filter((b): b is BouncedRecipient =>
      !!b && typeof b === 'object' && typeof (b as BouncedRecipient).recipient === 'string'
      && typeof (b as BouncedRecipient).action === 'string' && typeof (b as BouncedRecipient).status === 'string')
      .map((b) => ({ ...b, recipient: b.recipient.toLowerCase() }));
  } catch {
    return null;
  }
}

/** The reply line kept for a bounced recipient: the relay's diagnostic when it is an SMTP reply, else one built from its status. */
function replyOf(b: BouncedRecipient): string {
  const diag = (b.diagnostic ?? '').replace(/[\r\n]+/g, ' ').trim();
  const status = b.status || diag.match(/\b[245]\.\d{1,3}\.\d{1,3}\b/)?.[0] || '5.0.0';
  if (/^[45]\d\d[ -]/.test(diag) && diag.includes(status)) return clip(diag, 300);
  return clip(`${status.startsWith('4') ? 450 : 550} ${status} ${diag || 'Returned by the legacy relay after hand-over'}`, 300);
}

function localOf(address: string): string {
  const a = address.toLowerCase();
  const at = a.lastIndexOf('@');
  return at < 0 ? a : a.slice(0, at);
}

function clip(s: string, n = 120): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
