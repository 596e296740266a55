/**
 * Open: the source adapter parses, decrypts and verifies a received message into the
 * neutral `OpenedMessage`. What cannot be opened is quarantined (stage `open`).
 *
 * Next: `route` (or `bounce` for a report the relay sent after hand-over); nothing when the
 * message was quarantined or is no longer waiting to be processed.
 */
import { GatewayError, asGatewayError } from '../../errors/gateway-error.js';
import type { Envelope } from '../../model/envelope.js';
import type { OpenedMessage } from '../../model/message.js';
import type { PipelineContext } from '../context.js';
import { isRelayBounce } from './correlate-bounce.js';
import { quarantine } from './quarantine.js';

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
  let opened: OpenedMessage;
  try {
    if (!adapter) throw new GatewayError('NO_ROUTE', { detail: `no adapter for network ${env.source}` });
    if (!raw) throw new GatewayError('CANNOT_OPEN', { detail: 'raw bytes missing from the store' });
    opened = await adapter.open(raw, env);
  } catch (err) {
    await quarantine(ctx, job.id, 'open', asGatewayError(err, 'CANNOT_OPEN'));
    return { next: 'quarantined' };
  }
  ctx.opened.set(job.id, opened);
  ctx.stats.opened++;
  const recipients = job.envelope ? env.recipients : (await store.pendingDeliveries(job.id)).map((d) => d.recipient);
  const opened_ = { id: job.id, envelope: env, opened, recipients };
  return isRelayBounce(env, opened) ? { next: 'bounce', job: opened_ } : { next: 'route', job: opened_ };
}
