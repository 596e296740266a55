/**
 * Disposition notifications: a national message that asks for one (`Disposition-Notification-To`)
 * gets an MDN per recipient once its delivery is settled: `processed` when it was handed to
 * the other network, `processed/error` when it could not be, or for every recipient of a
 * quarantined message (with its reply). One per (message, recipient) whatever happens later
 * (RFC 8098 §2.1; keyed `mdn:ID:RECIPIENT`): a message released from quarantine gets no
 * second one. The adapter decides whether one was asked for and writes it.
 */
import type { PipelineContext } from '../context.js';
import { queueNotice } from './queue-notice.js';

export async function dispositionNotices(ctx: PipelineContext, id: string, quarantined?: string): Promise<void> {
  const { store } = ctx;
  // Opened on this node, the message carries its envelope (a quarantine's notice names every recipient: from the store).
  const env = (quarantined === undefined ? ctx.opened.get(id)?.envelope : undefined) ?? (await store.envelope(id));
  if (!env || env.source === 'gateway') return;
  const adapter = ctx.adapters[env.source];
  if (!adapter?.dispositionNotice) return; // a network without MDNs: no need to read the raw message
  const raw = await store.raw(id);
  if (!raw) return;
  const settled = quarantined !== undefined
    ? env.recipients.map((recipient) => ({ recipient, processed: false, reply: quarantined }))
    : (await store.deliveries(id)).map((d) => ({ recipient: d.recipient, processed: d.state === 'delivered', reply: d.lastError ?? 'not delivered' }));
  for (const d of settled) {
    const processed = d.processed;
    try {
      const mdn = await adapter.dispositionNotice({
        original: env, originalRaw: raw, recipient: d.recipient,
        disposition: processed ? 'processed' : 'processed/error',
        ...(processed ? {} : { errorText: d.reply }),
      });
      if (!mdn) return; // none asked for (the same answer for every recipient)
      const mdnId = await queueNotice(ctx, id, mdn, env.source, mdn.to[0]!, `mdn:${id}:${d.recipient}`);
      if (mdnId) {
        await store.events(id, [{ stage: 'notify', level: 'info', detail: `disposition notification ${mdnId} queued (${processed ? 'processed' : 'processed/error'})`, recipient: d.recipient }], ctx.clock.now());
      }
    } catch (err) {
      await store.events(id, [{ stage: 'notify', level: 'error', detail: `could not write the disposition notification: ${(err as Error).message}`, recipient: d.recipient }], ctx.clock.now());
    }
  }
}
