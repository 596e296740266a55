/**
 * Quarantine: a message the gateway cannot process is kept, with the stage that stopped it
 * and why (the reply of its error kind and a detail naming the rule, never content), in one
 * commit that also makes its sender's notice due. The notices stage then tells the sender.
 */
import type { GatewayError } from '../../errors/gateway-error.js';
import type { NewEvent } from '../../ports/message-store.js';
import type { PipelineContext } from '../context.js';

export async function quarantine(
  ctx: PipelineContext, id: string, stage: string, err: GatewayError, extra: { deliveryIds?: number[]; events?: NewEvent[] } = {},
): Promise<'quarantined'> {
  const reason = `${err.reply}${err.detail ? ` (${err.detail})` : ''}`;
  await ctx.store.quarantine(id, { stage, reply: err.reply, reason, ...extra }, ctx.clock.now());
  ctx.stats.quarantined++;
  ctx.observer.quarantined(stage, err.kind);
  ctx.opened.delete(id);
  ctx.log.warn('message quarantined', { id, stage, kind: err.kind });
  return 'quarantined';
}
