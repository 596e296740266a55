/**
 * What a settled message calls for, decided from its row alone so that any node, after any
 * crash, queues the same notices once (they are keyed): a `done` message gets the MDNs its
 * sender asked for and one failure notice for the recipients that failed; a relay bounce, the
 * notice of the deliveries it failed; a `quarantined` message, its sender's notice. The
 * message's `notices_due` flag is then cleared.
 */
import type { NoticeDue } from '../../ports/message-store.js';
import type { PipelineContext } from '../context.js';
import { dispositionNotices } from './disposition.js';
import { failureNotice } from './failure.js';
import { quarantineNotice } from './quarantine.js';
import { relayBounceNotice } from './relay-bounce.js';

export async function settledNotices(ctx: PipelineContext, due: NoticeDue): Promise<void> {
  const { store } = ctx;
  try {
    if (due.state === 'done') {
      // Only a relay bounce names the deliveries it failed: no read for the others.
      const bounced = due.relatedId ? await store.bouncedBy(due.id) : [];
      if (bounced.length) {
        await relayBounceNotice(ctx, due.id, bounced);
      } else {
        await dispositionNotices(ctx, due.id);
        const failed = (await store.deliveries(due.id)).filter((d) => d.state === 'failed');
        if (failed.length) {
          await failureNotice(ctx, { id: due.id, failures: failed.map((d) => ({ recipient: d.recipient, reply: d.lastError ?? '' })), reason: 'Delivery failed', key: `failure:${due.id}` });
        }
      }
    } else if (due.state === 'quarantined') {
      await quarantineNotice(ctx, due.id, due.stage ?? 'quarantine', due.reply ?? '451 4.3.0 Message could not be processed');
    }
  } finally {
    await store.noticesQueued(due.id);
    ctx.opened.delete(due.id);
  }
}
