/**
 * Queue a notice the gateway wrote, already routed to its recipient, keyed by what it is
 * about (`failure:ID`, `mdn:DELIVERY`, `quarantine:ID:REPLY`, `bounce:ID`): the same key
 * queued again (after a restart, or by another node) is not sent twice.
 */
import type { OutboundMessage } from '../../model/message.js';
import type { NetworkId } from '../../model/network.js';
import type { PipelineContext } from '../context.js';
import { encodeOutbound } from '../outbound-codec.js';

/** Resolves to the notice's id, or null when a notice with this key was queued before. */
export async function queueNotice(ctx: PipelineContext, relatedId: string, notice: OutboundMessage, network: NetworkId, address: string, key: string): Promise<string | null> {
  const { id, duplicates } = await ctx.store.accept({
    source: 'gateway', mailFrom: '', recipients: [address], messageId: null, raw: encodeOutbound(notice),
    relatedId, routes: { [address]: { network, address } }, noticeKey: key,
  }, ctx.clock.now());
  if (duplicates.length) return null;
  ctx.wake();
  return id;
}
