/**
 * Open: the source adapter parses, decrypts and verifies a received message into the
 * neutral `OpenedMessage`. What cannot be opened is quarantined (stage `open`).
 *
 * A resend is told from a new message here, on what it says once opened (same Message-ID,
 * recipient and content digest: `content-digest.ts`): the decision and its marks are one
 * commit (`MessageStore.claimContent`), so a copy is never delivered twice, even across a
 * restart or on two nodes. A message that cannot be opened claims the digest of its bytes:
 * the very same bytes sent again earn one quarantine and one notice, not two.
 *
 * Next: `route` (or `bounce` for a report the relay sent after hand-over); nothing when the
 * message was quarantined, is a duplicate, or is no longer waiting to be processed.
 */
import { GatewayError, asGatewayError } from '../../errors/gateway-error.js';
import type { Envelope } from '../../model/envelope.js';
import type { OpenedMessage } from '../../model/message.js';
import type { PipelineContext } from '../context.js';
import { isRelayBounce } from './correlate-bounce.js';
import { quarantine } from './quarantine.js';
import { contentDigest, rawDigest } from '../content-digest.js';

/** A message to process: its id, and what the accepting stage already has in hand. */
export interface ProcessJob {
  id: string;
  raw?: Uint8Array;
  envelope?: Envelope;
}

export interface OpenedJob {
  id: string;
  envelope: Envelope;
  opened: OpenedMessage;
  /** Recipients to route: the envelope's, or (resumed) those still pending. */
  recipients: string[];
}

export type AfterOpen =
  | { next: 'route'; job: OpenedJob }
  | { next: 'bounce'; job: OpenedJob }
  | { next: 'routed' }
  | { next: 'quarantined' }
  | { next: 'duplicate' }
  | { next: 'none' };

export async function openStage(ctx: PipelineContext, job: ProcessJob): Promise<AfterOpen> {
  const { store } = ctx;
  let env = job.envelope ?? null;
  if (!env) {
    const msg = await store.message(job.id);
    if (!msg || (msg.state !== 'received' && msg.state !== 'opened')) return { next: 'none' };
    env = await store.envelope(job.id);
  }
  if (!env) return { next: 'none' };
  if (env.source === 'gateway') {
    // A notice the gateway wrote carries its routes already.
    await store.recordRouting(job.id, { routes: [], failures: [], events: [] }, ctx.clock.now());
    return { next: 'routed' };
  }
  const adapter = ctx.adapters[env.source];
  const raw = job.raw ?? (await store.raw(job.id));
  let recipients = job.envelope ? env.recipients : (await store.pendingDeliveries(job.id)).map((d) => d.recipient);
  const { source, messageId } = env;
  // Is it a resend? Without a Message-ID there is nothing to compare under.
  const isDuplicate = async (digest: string): Promise<boolean> => {
    if (!messageId) return false;
    const c = await store.claimContent(job.id, { network: source, messageId, digest, recipients }, ctx.clock.now());
    recipients = c.fresh;
    if (c.state !== 'duplicate') return false;
    ctx.log.info('duplicate not delivered again', { id: job.id, of: c.duplicates[0]?.of });
    return true;
  };
  let opened: OpenedMessage;
  try {
    if (!adapter) throw new GatewayError('NO_ROUTE', { detail: `no adapter for network ${env.source}` });
    if (!raw) throw new GatewayError('CANNOT_OPEN', { detail: 'raw bytes missing from the store' });
    opened = await adapter.open(raw, env);
  } catch (err) {
    // The very same bytes that could not be opened before: one quarantine and one notice are enough.
    if (adapter && raw && (await isDuplicate(await rawDigest(raw, ctx.sha256)))) return { next: 'duplicate' };
    await quarantine(ctx, job.id, 'open', asGatewayError(err, 'CANNOT_OPEN'));
    return { next: 'quarantined' };
  }
  if (await isDuplicate(await contentDigest(opened, ctx.sha256).catch(() => rawDigest(raw!, ctx.sha256)))) return { next: 'duplicate' };
  ctx.opened.set(job.id, opened);
  ctx.stats.opened++;
  const opened_ = { id: job.id, envelope: env, opened, recipients };
  return isRelayBounce(env, opened) ? { next: 'bounce', job: opened_ } : { next: 'route', job: opened_ };
}
