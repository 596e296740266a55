/**
 * Failure notice: the sender of a message that failed for some recipients (refused,
 * unknown, suspended, expired, bounced by the relay after hand-over, quarantined) is told
 * once, on its own network, in the form its adapter writes (a sealed French notice on the
 * legacy network, an RFC 3464 DSN on the national one). A notification is never answered.
 */
import type { PipelineContext } from '../context.js';
import { queueNotice } from './queue-notice.js';

export interface FailureNotice {
  /** The message whose sender is told. */
  id: string;
  failures: { recipient: string; reply: string }[];
  /** What happened, in words safe to send across networks. */
  reason: string;
  /** What the notice is about (its key: queued once). */
  key: string;
}

export async function failureNotice(ctx: PipelineContext, n: FailureNotice): Promise<void> {
  const { store } = ctx;
  const env = await store.envelope(n.id);
  if (!env || env.source === 'gateway' || env.mailFrom === '') return;
  const opened = ctx.opened.get(n.id);
  if (opened?.content.kind === 'notification') return;
  const adapter = ctx.adapters[env.source];
  if (!adapter) return;
  const now = () => ctx.clock.now();
  try {
    const notice = await adapter.failureNotice({
      original: env, originalMessageId: env.messageId, to: env.mailFrom, failures: n.failures, reason: n.reason,
      originalRaw: (await store.raw(n.id)) ?? undefined,
    });
    const noticeId = await queueNotice(ctx, n.id, notice, env.source, env.mailFrom, n.key);
    await store.events(n.id, [{ stage: 'notify', level: 'info', detail: noticeId ? `failure notice ${noticeId} queued for the sender` : 'failure notice already queued before a restart' }], now());
  } catch (err) {
    await store.events(n.id, [{ stage: 'notify', level: 'error', detail: `could not write the failure notice: ${(err as Error).message}` }], now());
  }
}
