/**
 * Disposition notifications: a national message that asks for one (`Disposition-Notification-To`)
 * gets an MDN per recipient once its delivery is settled: `processed` when it was handed to
 * the other network, `processed/error` when it could not be. The adapter decides whether one
 * was asked for and writes it.
 */
import type { PipelineContext } from '../context.js';
import { queueNotice } from './queue-notice.js';

export async function dispositionNotices(ctx: PipelineContext, id: string): Promise<void> {
  const { store } = ctx;
  const env = await store.envelope(id);
  if (!env || env.source === 'gateway') return;
  const adapter = ctx.adapters[env.source];
  const raw = await store.raw(id);
  if (!adapter?.dispositionNotice || !raw) return;
  for (const d of await store.deliveries(id)) {
    const processed = d.state === 'delivered';
    try {
      const mdn = await adapter.dispositionNotice({
        original: env, originalRaw: raw, recipient: d.recipient,
        disposition: processed ? 'processed' : 'processed/error',
        ...(processed ? {} : { errorText: d.lastError ?? 'not delivered' }),
      });
      if (!mdn) return; // none asked for (the same answer for every recipient)
      const mdnId = await queueNotice(ctx, id, mdn, env.source, mdn.to[0]!, `mdn:${d.id}`);
      if (mdnId) {
        await store.events(id, [{ stage: 'notify', level: 'info', detail: `disposition notification ${mdnId} queued (${processed ? 'processed' : 'processed/error'})`, recipient: d.recipient }], ctx.clock.now());
      }
    } catch (err) {
      await store.events(id, [{ stage: 'notify', level: 'error', detail: `could not write the disposition notification: ${(err as Error).message}`, recipient: d.recipient }], ctx.clock.now());
    }
  }
}
