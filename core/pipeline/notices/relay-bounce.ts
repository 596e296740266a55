/**
 * Relay-bounce notice: the deliveries a relay bounce marked failed after hand-over
 * (`stages/correlate-bounce.ts`) are told to the original's sender, once: the notice is
 * keyed by the bounce, and the deliveries it names are those the bounce's own commit changed.
 */
import type { DeliveryRow } from '../../ports/message-store.js';
import type { PipelineContext } from '../context.js';
import { failureNotice } from './failure.js';

/** What the failure notice says happened, in words safe to send across networks. */
export const RELAY_BOUNCE_REASON = 'The legacy network returned the message after the gateway had handed it over';

export async function relayBounceNotice(ctx: PipelineContext, bounceId: string, bounced: DeliveryRow[]): Promise<void> {
  const originalId = bounced[0]!.messageRef;
  const failures = bounced.map((d) => ({ recipient: d.recipient, reply: d.lastError ?? '' }));
  await failureNotice(ctx, { id: originalId, failures, reason: RELAY_BOUNCE_REASON, key: `bounce:${bounceId}` });
}
