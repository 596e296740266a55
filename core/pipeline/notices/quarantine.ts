/**
 * Quarantine notice: the sender of a quarantined message is told, with the reply of the
 * error kind that stopped it (never the detail, which is for the operator), and gets the
 * MDNs it asked for (`processed/error`), unless the message is itself a notification (no loop).
 */
import type { PipelineContext } from '../context.js';
import { isNotification } from '../header-peek.js';
import { failureNotice } from './failure.js';
import { dispositionNotices } from './disposition.js';

export async function quarantineNotice(ctx: PipelineContext, id: string, stage: string, reply: string): Promise<void> {
  const { store } = ctx;
  const env = await store.envelope(id);
  if (!env) return;
  const raw = await store.raw(id);
  const notification = raw ? isNotification(raw, env.mailFrom) : env.mailFrom === '';
  if (notification) {
    await store.events(id, [{ stage, level: 'info', detail: 'no notice sent: the message is itself a notification' }], ctx.clock.now());
    return;
  }
  await failureNotice(ctx, {
    id, failures: env.recipients.map((r) => ({ recipient: r, reply })), reason: reply.replace(/^\d{3} /, ''), key: `quarantine:${id}:${reply}`,
  });
  await dispositionNotices(ctx, id, reply);
}
