/**
 * The admin API's shapes, as zod schemas: they validate requests and answers' types, and the
 * OpenAPI 3.1 document is generated from them (`/openapi.json`).
 */
import { z } from '@hono/zod-openapi';

export const MESSAGE_STATES = ['received', 'opened', 'routed', 'done', 'quarantined', 'duplicate', 'dropped'] as const;
export const DELIVERY_STATES = ['pending', 'queued', 'sending', 'delivered', 'failed', 'quarantined'] as const;
export const NETWORK = z.enum(['legacy', 'mssante']).openapi({ description: 'A network the gateway bridges' });
const ORIGIN = z.enum(['legacy', 'mssante', 'gateway']);
const ISO = z.string().openapi({ format: 'date-time', example: '2026-12-04T09:30:00.000Z' });
const DOMAIN = z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'a domain name');

export const ErrorSchema = z.object({
  error: z.object({ code: z.string().openapi({ example: 'not_found' }), message: z.string() }),
}).openapi('Error');

export const MessageIdParam = z.object({
  id: z.string().regex(/^[0-9A-Z]{26}$/, 'a message id (26 characters, ULID)').openapi({ param: { name: 'id', in: 'path' }, example: '01JEXAMPLE0000000000000000' }),
});

export const MessageSchema = z.object({
  id: z.string(),
  source: ORIGIN,
  state: z.enum(MESSAGE_STATES),
  stage: z.string().nullable().openapi({ description: 'The stage that stopped it (quarantined)' }),
  reason: z.string().nullable().openapi({ description: 'Why, naming the rule, never the content' }),
  reply: z.string().nullable().openapi({ description: 'The SMTP reply its sender was or will be told' }),
  envelopeSender: z.string().openapi({ description: "A professional's or a system's address (never a patient's)" }),
  messageId: z.string().nullable(),
  receivedAt: ISO,
  size: z.number().int(),
  relatedId: z.string().nullable(),
}).openapi('Message');

export const DeliverySchema = z.object({
  recipient: z.string(),
  targetNetwork: NETWORK.nullable(),
  targetAddress: z.string().nullable(),
  state: z.enum(DELIVERY_STATES),
  attempts: z.number().int(),
  nextAttemptAt: ISO.nullable(),
  lastError: z.string().nullable(),
  uncertain: z.boolean().openapi({ description: 'A send cut by a crash: the peer may have it twice' }),
}).openapi('Delivery');

export const EventSchema = z.object({
  at: ISO, stage: z.string(), level: z.enum(['info', 'warn', 'error']), detail: z.string(), recipient: z.string().nullable(),
}).openapi('Event');

export const HeadersSchema = z.object({
  revealed: z.boolean().openapi({ description: 'false: subject and names are masked; ask with reveal=true (audited)' }),
  subject: z.string().nullable(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  date: z.string().nullable(),
}).openapi('Headers');

export const TraceSchema = z.object({
  message: MessageSchema,
  deliveries: z.array(DeliverySchema),
  events: z.array(EventSchema),
  headers: HeadersSchema.nullable().openapi({ description: 'The outer headers of the message as received; null once its bytes are purged' }),
}).openapi('Trace');

export const MessageListSchema = z.object({
  messages: z.array(MessageSchema),
  next: z.string().nullable().openapi({ description: 'Pass as `before` for the next page; null on the last' }),
}).openapi('MessageList');

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((s, ctx) => {
    const parts = s.split(',').map((x) => x.trim()).filter(Boolean);
    for (const p of parts) {
      if (!(values as readonly string[]).includes(p)) {
        ctx.addIssue({ code: 'custom', message: `unknown value ${JSON.stringify(p)}; one or more of ${values.join(', ')}` });
        return z.NEVER;
      }
    }
    return parts as unknown as T[number][];
  });

export const MessageQuerySchema = z.object({
  state: csv(MESSAGE_STATES).optional().openapi({ description: 'States, comma-separated', example: 'quarantined' }),
  source: ORIGIN.optional(),
  target: NETWORK.optional(),
  senderDomain: DOMAIN.optional(),
  recipientDomain: DOMAIN.optional(),
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Received at or after' }),
  until: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Received before' }),
  messageId: z.string().max(998).optional(),
  stage: z.string().max(32).optional(),
  before: z.string().regex(/^[0-9A-Z]{26}$/).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const RevealQuery = z.object({
  reveal: z.enum(['true', 'false']).default('false').openapi({ description: 'Show the subject and the names (audited in the trace)' }),
});

export const BulkSchema = z.object({
  ids: z.array(z.string().regex(/^[0-9A-Z]{26}$/)).max(10_000).optional().openapi({ description: 'These messages' }),
  all: z.boolean().optional().openapi({ description: 'Every quarantined message matching `stage` and `before`' }),
  stage: z.string().max(32).optional(),
  before: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Quarantined messages received before' }),
}).refine((b) => (b.ids?.length ?? 0) > 0 || b.all === true, { message: 'give ids, or all: true (with stage and before to narrow)' }).openapi('Bulk');

export const BulkResultSchema = z.object({
  done: z.array(z.string()),
  skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
}).openapi('BulkResult');

export const ActionResultSchema = z.object({ id: z.string(), done: z.boolean(), detail: z.string() }).openapi('ActionResult');

export const QueueSchema = z.object({
  deliveries: z.record(z.string(), z.number().int()),
  messages: z.record(z.string(), z.number().int()),
  nextDue: ISO.nullable(),
}).openapi('Queue');

export const WhoAmISchema = z.object({ name: z.string(), role: z.enum(['reader', 'operator']) }).openapi('WhoAmI');

export const NetworkParam = z.object({ network: NETWORK.openapi({ param: { name: 'network', in: 'path' } }) });

export const HoldsSchema = z.object({
  networks: z.array(z.object({
    network: NETWORK, held: z.boolean(), since: ISO.nullable(), by: z.string().nullable().openapi({ description: 'The token or CLI user that held it' }),
  })),
}).openapi('Holds');

export const TrustSchema = z.object({
  trustList: z.object({
    ageSeconds: z.number().int().nullable(), domains: z.number().int(), refreshFailing: z.boolean(),
    generatedAt: z.string().nullable().openapi({ description: 'DateDeGeneration of the copy in use' }),
    entries: z.array(z.object({ domain: z.string(), description: z.string(), operator: z.string(), updated: z.string().nullable() })),
  }).nullable(),
  crls: z.array(z.object({ nextUpdate: ISO })),
  certificates: z.array(z.object({
    role: z.enum(['gateway', 'anchor']), name: z.string(), notBefore: ISO, notAfter: ISO, daysToExpiry: z.number().int(),
  })),
}).openapi('Trust');

export const HistorySchema = z.object({
  start: z.number().int().openapi({ description: 'Epoch seconds of the first point' }),
  step: z.number().int().openapi({ description: 'Seconds between points' }),
  flows: z.record(z.string(), z.array(z.number().int())).openapi({ description: 'Messages delivered per minute, per flow (`legacy→mssante`)' }),
  p50: z.array(z.number().nullable()).openapi({ description: 'Delivery latency per minute, ms (null: nothing delivered)' }),
  p99: z.array(z.number().nullable()),
}).openapi('History');
