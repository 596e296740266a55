/**
 * Route: each recipient of an opened message → its target network and address, through the
 * route resolver (the federated address book, then the configuration). A recipient that is
 * unknown, suspended or routed back to its own network fails with its reason. The decisions
 * and their events are written in one commit. When the resolver itself fails (the address
 * book cannot answer), nothing is written: the stage throws and the message is routed again.
 *
 * Next: the worker claims the queued deliveries; when none is left (every recipient failed),
 * the message is `done` and its notices are due.
 */
import { GatewayError, asGatewayError } from '../../errors/gateway-error.js';
import type { MessageState, RoutingResult } from '../../ports/message-store.js';
import type { PipelineContext } from '../context.js';
import type { OpenedJob } from './open.js';

export async function routeStage(ctx: PipelineContext, job: OpenedJob): Promise<MessageState> {
  const result: RoutingResult = { routes: [], failures: [], events: [{ stage: 'open', level: 'info', detail: `opened: ${describeContent(job)}` }] };
  for (const recipient of job.recipients) {
    let reason: GatewayError | null = null;
    try {
      const r = await ctx.resolver.resolve(recipient);
      if (!r) reason = new GatewayError('UNKNOWN_RECIPIENT', { detail: 'no route for this address' });
      else if (r.status !== 'active') reason = new GatewayError('RECIPIENT_SUSPENDED', { detail: `recipient is ${r.status}` });
      else if (r.network === job.envelope.source) reason = new GatewayError('RELAY_DENIED', { detail: 'route leads back to the source network' });
      else {
        result.routes.push({ recipient, network: r.network, address: r.address });
        result.events.push({ stage: 'route', level: 'info', detail: `routed to ${r.network}`, recipient });
      }
    } catch (err) {
      // The address book could not answer (its database away, a timeout): nothing is decided.
      // The stage stops without a commit; the message stays claimed and is routed again once
      // the claim lapses (or the store is back). Never a failure notice for a passing outage.
      if (!(err instanceof GatewayError) || err.reply.startsWith('4')) throw err;
      reason = asGatewayError(err, 'NO_ROUTE');
    }
    if (reason) {
      result.failures.push({ recipient, reply: reason.reply });
      result.events.push({ stage: 'route', level: 'error', detail: `${reason.reply}${reason.detail ? ` (${reason.detail})` : ''}`, recipient });
      ctx.stats.failed++;
    }
  }
  return ctx.store.recordRouting(job.id, result, ctx.clock.now());
}

function describeContent(job: OpenedJob): string {
  const c = job.opened.content;
  const files = c.attachments.length;
  if (c.kind === 'lab-report') return `lab report${c.report ? `, ${c.report.results.length} result(s)` : ''}, ${files} attachment(s)`;
  return `${c.kind}, ${files} attachment(s)`;
}
