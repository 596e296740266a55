/**
 * The admin API, under `/api`: what operators watch and steer the gateway with, described by
 * an OpenAPI 3.1 document generated from the route schemas (`/openapi.json`; a reference page
 * at `/api/docs` when the runtime serves its assets). Runtime agnostic (Hono); `app/node/`
 * mounts it.
 *
 * - Bearer tokens with two roles (`tokens.ts`): a `reader` looks, an `operator` also acts.
 *   Every action is written in the message's trace with the token's name (audit).
 * - Patient-identifying fields (the subject, the names in From/To) are masked unless asked for
 *   with `reveal=true`, and that reveal is itself written in the trace.
 *
 * @example
 * app.route('/', adminApi({ store, tokens: () => tokens, wake: () => gateway.wake() }));
 * // curl -H 'Authorization: Bearer …' 'http://127.0.0.1:8025/api/messages?state=quarantined'
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { MessageQuery, MessageRow, MessageStore, Trace } from '../../../core/ports/message-store.js';
import { allMessages } from '../../../core/ports/message-store.js';
import type { Clock } from '../../../core/ports/clock.js';
import { headerBag } from '../../../core/pipeline/header-peek.js';
import { decodeEncodedWords } from '../../../adapters/legacy/lnp-mail.js';
import { findToken, type ApiToken, type Role } from './tokens.js';
import {
  ActionResultSchema, BulkResultSchema, BulkSchema, ErrorSchema, MessageIdParam, MessageListSchema, MessageQuerySchema,
  QueueSchema, RevealQuery, TraceSchema, WhoAmISchema, HoldsSchema, NetworkParam, TrustSchema, HistorySchema,
} from './schemas.js';
import { NETWORKS } from '../../../core/model/network.js';

export interface AdminApiOptions {
  store: MessageStore;
  /** The tokens in force (read again by the caller when their file changes). */
  tokens: () => readonly ApiToken[];
  clock?: Clock;
  /** Tell the pipeline new work may be waiting (after a release or a retry). */
  wake?: () => void;
  /** The running configuration, secrets already masked. */
  config?: () => Record<string, unknown>;
  /** The trust list, CRLs and certificates the node holds (`/api/trust`). */
  trust?: () => z.infer<typeof TrustSchema>;
  /** Deliveries and latency per minute over the last hours (`/api/stats/history`), from this node's memory. */
  history?: (minutes: number) => z.infer<typeof HistorySchema>;
  /** Load the trust list again now (`POST /api/trust/refresh`, an operator). */
  refreshTrust?: () => Promise<z.infer<typeof TrustSchema>>;
  /** Where operators' actions without a message (holds) are written, with the token's name. */
  log?: { info(msg: string, fields?: Record<string, unknown>): void };
  /** Sub-apps under `/api` with the same tokens (`reader` may GET, `operator` anything): the directory. */
  mounts?: Record<string, Hono>;
  version?: string;
}

export type Env = { Variables: { token: ApiToken } };

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const ERRORS = {
  400: json(ErrorSchema, 'The request is malformed'),
  401: json(ErrorSchema, 'No valid bearer token'),
  403: json(ErrorSchema, 'The token\'s role may not do this'),
};
const NOT_FOUND = { 404: json(ErrorSchema, 'No such message') };
const security = [{ bearer: [] }];

function fail<S extends 400 | 401 | 403 | 404 | 409>(c: Context, status: S, code: string, message: string) {
  if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="passerelle"');
  return c.json({ error: { code, message } }, status);
}

/** Bearer authentication for `/api/*`: the token's entry in `c.var.token`. */
export function apiAuth(tokens: () => readonly ApiToken[]): MiddlewareHandler<Env> {
  return async (c, next) => {
    const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('Authorization') ?? '');
    const token = m ? await findToken(tokens(), m[1]!) : null;
    if (!token) return fail(c, 401, 'unauthorized', 'a valid bearer token is required');
    c.set('token', token);
    // Reads are open to both roles; anything else needs an operator.
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && token.role !== 'operator') {
      return fail(c, 403, 'forbidden', `the ${token.role} role may only read`);
    }
    await next();
  };
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

function messageView(m: MessageRow) {
  return {
    id: m.id, source: m.source, state: m.state, stage: m.stage, reason: m.reason, reply: m.reply, envelopeSender: m.mailFrom,
    messageId: m.messageId, receivedAt: new Date(m.receivedAt).toISOString(), size: m.size, relatedId: m.relatedId,
  };
}

/** An address list with its display names removed: `"Dr X" <a@b>` → `a@b`. */
function addressesOnly(v: string | undefined): string | null {
  if (!v) return null;
  const found = v.match(/[^\s<>",;]+@[^\s<>",;]+/g);
  return found ? found.join(', ') : null;
}

/** A header read byte for byte (Latin-1): its 8-bit text is UTF-8 when it decodes as such (RFC 6532). */
function utf8OrLatin1(v: string): string {
  if (!/[\x80-\xff]/.test(v)) return v;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(v, (ch) => ch.charCodeAt(0) & 0xff));
  } catch {
    return v;
  }
}

function headersView(raw: Uint8Array | null, reveal: boolean) {
  if (!raw) return null;
  const h = headerBag(raw.subarray(0, Math.min(raw.byteLength, 64 * 1024)));
  const decode = (v: string | undefined) => (v === undefined ? null : decodeEncodedWords(utf8OrLatin1(v)));
  return {
    revealed: reveal,
    subject: reveal ? decode(h['subject']) : h['subject'] === undefined ? null : '[masked]',
    from: reveal ? decode(h['from']) : addressesOnly(h['from']),
    to: reveal ? decode(h['to']) : addressesOnly(h['to']),
    date: h['date'] ?? null,
  };
}

function traceView(t: Trace, raw: Uint8Array | null, reveal: boolean) {
  return {
    message: messageView(t.message),
    deliveries: t.deliveries.map((d) => ({
      recipient: d.recipient, targetNetwork: d.targetNetwork, targetAddress: d.targetAddress, state: d.state, attempts: d.attempts,
      nextAttemptAt: d.state === 'queued' ? iso(d.nextAttemptAt) : null, lastError: d.lastError, uncertain: d.uncertain,
    })),
    events: t.events.map((e) => ({ at: new Date(e.at).toISOString(), stage: e.stage, level: e.level, detail: e.detail, recipient: e.recipient })),
    headers: headersView(raw, reveal),
  };
}

function toQuery(q: z.infer<typeof MessageQuerySchema>): MessageQuery {
  return {
    limit: q.limit,
    ...(q.state ? { states: q.state } : {}),
    ...(q.source ? { source: q.source } : {}),
    ...(q.target ? { target: q.target } : {}),
    ...(q.senderDomain ? { senderDomain: q.senderDomain } : {}),
    ...(q.recipientDomain ? { recipientDomain: q.recipientDomain } : {}),
    ...(q.since ? { since: Date.parse(q.since) } : {}),
    ...(q.until ? { until: Date.parse(q.until) } : {}),
    ...(q.messageId ? { messageId: q.messageId } : {}),
    ...(q.stage ? { stage: q.stage } : {}),
    ...(q.before ? { before: q.before } : {}),
  };
}

export function adminApi(o: AdminApiOptions): OpenAPIHono<Env> {
  const now = () => (o.clock ?? { now: () => Date.now() }).now();
  const app = new OpenAPIHono<Env>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');
        return fail(c, 400, 'invalid_request', issues);
      }
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http', scheme: 'bearer', description: 'A token from the tokens file (`passerelle token add NAME --role reader|operator`)',
  });
  app.use('/api/*', apiAuth(o.tokens));
  app.onError((err, c) => {
    if ('getResponse' in err && typeof (err as { getResponse?: unknown }).getResponse === 'function') {
      return (err as unknown as { getResponse(): Response }).getResponse();
    }
    return c.json({ error: { code: 'internal', message: 'the gateway could not answer; see its log' } }, 500);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/whoami', tags: ['access'], summary: 'The token presented: its name and role', security,
    responses: { 200: json(WhoAmISchema, 'The token'), ...ERRORS },
  }), (c) => c.json({ name: c.var.token.name, role: c.var.token.role }, 200));

  app.openapi(createRoute({
    method: 'get', path: '/api/queue', tags: ['queue'], summary: 'Deliveries and messages by state, and the next delivery due', security,
    responses: { 200: json(QueueSchema, 'The queue'), ...ERRORS },
  }), async (c) => {
    const s = await o.store.summary();
    return c.json({ deliveries: s.deliveries, messages: s.messages, nextDue: iso(s.nextDue) }, 200);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/messages', tags: ['messages'], summary: 'Search messages, newest first', security,
    request: { query: MessageQuerySchema },
    responses: { 200: json(MessageListSchema, 'A page of messages'), ...ERRORS },
  }), async (c) => {
    const q = toQuery(c.req.valid('query'));
    const rows = await o.store.searchMessages({ ...q, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    return c.json({ messages: page.map(messageView), next: rows.length > q.limit ? page.at(-1)!.id : null }, 200);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/messages/{id}', tags: ['messages'], summary: 'A message\'s trace: its deliveries, every event, its headers', security,
    description: 'The subject and the names in From and To are masked unless `reveal=true`; a reveal is written in the trace with the token\'s name.',
    request: { params: MessageIdParam, query: RevealQuery },
    responses: { 200: json(TraceSchema, 'The trace'), ...ERRORS, ...NOT_FOUND },
  }), async (c) => {
    const { id } = c.req.valid('param');
    const reveal = c.req.valid('query').reveal === 'true';
    if (reveal) {
      if (!(await o.store.message(id))) return fail(c, 404, 'not_found', `no message ${id}`);
      const t = c.var.token;
      await o.store.events(id, [{ stage: 'audit', level: 'info', detail: `subject and names revealed to ${t.name} (${t.role}) through the API` }], now());
    }
    const trace = await o.store.trace(id);
    if (!trace) return fail(c, 404, 'not_found', `no message ${id}`);
    return c.json(traceView(trace, await o.store.raw(id), reveal), 200);
  });

  const action = (verb: 'release' | 'drop' | 'retry', summary: string) =>
    app.openapi(createRoute({
      method: 'post', path: `/api/messages/{id}/${verb}`, tags: ['messages'], summary, security,
      request: { params: MessageIdParam },
      responses: { 200: json(ActionResultSchema, 'Done, or why not'), ...ERRORS, ...NOT_FOUND },
    }), async (c) => {
      const { id } = c.req.valid('param');
      const m = await o.store.message(id);
      if (!m) return fail(c, 404, 'not_found', `no message ${id}`);
      const r = await act(verb, m, c.var.token.name);
      return c.json({ id, ...r }, 200);
    });

  /** One operator's action on one message, `who` named in its trace. */
  const act = async (verb: 'release' | 'drop' | 'retry', m: MessageRow, who: string): Promise<{ done: boolean; detail: string }> => {
    if (verb === 'retry') {
      const n = await o.store.retryNow(m.id, now(), who);
      if (n > 0) o.wake?.();
      return { done: n > 0, detail: n > 0 ? `${n} deliveries due now` : `no delivery of ${m.id} is waiting for a retry` };
    }
    const ok = verb === 'release' ? await o.store.release(m.id, now(), who) : await o.store.drop(m.id, now(), who);
    if (ok && verb === 'release') o.wake?.();
    return ok
      ? { done: true, detail: verb === 'release' ? 'released: the pipeline runs it again' : 'dropped: raw bytes erased, trace kept' }
      : { done: false, detail: `the message is ${m.state}, not quarantined` };
  };
  action('release', 'Release a quarantined message: the pipeline runs it again');
  action('drop', 'Drop a quarantined message: its raw bytes are erased, its trace kept');
  action('retry', 'Make a message\'s queued deliveries due now');

  app.openapi(createRoute({
    method: 'get', path: '/api/quarantine', tags: ['quarantine'], summary: 'Quarantined messages, newest first', security,
    request: { query: MessageQuerySchema.pick({ stage: true, before: true, limit: true, source: true }) },
    responses: { 200: json(MessageListSchema, 'A page of quarantined messages'), ...ERRORS },
  }), async (c) => {
    const q = c.req.valid('query');
    const rows = await o.store.searchMessages({ ...toQuery({ ...q } as z.infer<typeof MessageQuerySchema>), states: ['quarantined'], limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    return c.json({ messages: page.map(messageView), next: rows.length > q.limit ? page.at(-1)!.id : null }, 200);
  });

  for (const verb of ['release', 'drop'] as const) {
    app.openapi(createRoute({
      method: 'post', path: `/api/quarantine/${verb}`, tags: ['quarantine'], security,
      summary: verb === 'release' ? 'Release quarantined messages, one or many' : 'Drop quarantined messages, one or many',
      request: { body: { content: { 'application/json': { schema: BulkSchema } }, required: true } },
      responses: { 200: json(BulkResultSchema, 'What was done, and what was not and why'), ...ERRORS },
    }), async (c) => {
      const b = c.req.valid('json');
      const done: string[] = [];
      const skipped: { id: string; reason: string }[] = [];
      const targets: MessageRow[] = [];
      if (b.ids?.length) {
        for (const id of b.ids) {
          const m = await o.store.message(id);
          if (m) targets.push(m);
          else skipped.push({ id, reason: 'no such message' });
        }
      } else {
        targets.push(...await allMessages(o.store, {
          states: ['quarantined'], ...(b.stage ? { stage: b.stage } : {}), ...(b.before ? { until: Date.parse(b.before) } : {}),
        }));
      }
      for (const m of targets) {
        const r = await act(verb, m, c.var.token.name);
        if (r.done) done.push(m.id);
        else skipped.push({ id: m.id, reason: r.detail });
      }
      return c.json({ done, skipped }, 200);
    });
  }

  const holdsView = async () => {
    const held = new Map((await o.store.holds()).map((h) => [h.network, h]));
    return { networks: NETWORKS.map((n) => ({ network: n, held: held.has(n), since: held.has(n) ? iso(held.get(n)!.since) : null, by: held.get(n)?.by ?? null })) };
  };
  app.openapi(createRoute({
    method: 'get', path: '/api/networks', tags: ['queue'], summary: 'Whether the deliveries to each network are held', security,
    responses: { 200: json(HoldsSchema, 'Each network'), ...ERRORS },
  }), async (c) => c.json(await holdsView(), 200));
  for (const verb of ['hold', 'release'] as const) {
    app.openapi(createRoute({
      method: 'post', path: `/api/networks/{network}/${verb}`, tags: ['queue'], security,
      summary: verb === 'hold' ? 'Hold the deliveries to a network, on every node (messages are still accepted and routed)' : 'Release the deliveries to a network',
      request: { params: NetworkParam },
      responses: { 200: json(HoldsSchema, 'Each network, after the change'), ...ERRORS },
    }), async (c) => {
      const { network } = c.req.valid('param');
      const changed = await o.store.holdNetwork(network, verb === 'hold', now(), c.var.token.name);
      if (changed) {
        o.log?.info(verb === 'hold' ? 'deliveries held by an operator' : 'deliveries released by an operator', { network, by: c.var.token.name });
        if (verb === 'release') o.wake?.();
      }
      return c.json(await holdsView(), 200);
    });
  }

  app.openapi(createRoute({
    method: 'get', path: '/api/trust', tags: ['configuration'], summary: 'The trust list, the CRLs and the certificates in use, with their ages and expiries', security,
    responses: { 200: json(TrustSchema, 'What this node holds'), ...ERRORS },
  }), (c) => c.json(o.trust?.() ?? { trustList: null, crls: [], certificates: [] }, 200));
  app.openapi(createRoute({
    method: 'get', path: '/api/stats/history', tags: ['queue'], security,
    summary: 'Messages delivered per minute and flow, and the delivery latency p50/p99, over the last minutes (this node, since it started)',
    request: { query: z.object({ minutes: z.coerce.number().int().min(1).max(360).default(180) }) },
    responses: { 200: json(HistorySchema, 'One point a minute'), ...ERRORS },
  }), (c) => {
    const { minutes } = c.req.valid('query');
    return c.json(o.history?.(minutes) ?? { start: Math.floor(now() / 60_000) * 60, step: 60, flows: {}, p50: [], p99: [] }, 200);
  });
  app.openapi(createRoute({
    method: 'post', path: '/api/trust/refresh', tags: ['configuration'], security,
    summary: 'Load the trust list again now (from its file or URL, its signature checked); the last good copy stays in use when that fails',
    responses: { 200: json(TrustSchema, 'What this node holds after the attempt (refreshFailing says whether it failed)'), ...ERRORS },
  }), async (c) => {
    const t = o.refreshTrust ? await o.refreshTrust() : o.trust?.() ?? { trustList: null, crls: [], certificates: [] };
    o.log?.info('trust list refresh asked by an operator', { by: c.var.token.name, failing: t.trustList?.refreshFailing ?? null });
    return c.json(t, 200);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/config', tags: ['configuration'], summary: 'The running configuration, secrets masked', security,
    responses: { 200: json(z.record(z.string(), z.unknown()).openapi('Configuration'), 'The configuration'), ...ERRORS },
  }), (c) => c.json(o.config?.() ?? {}, 200));

  for (const [path, sub] of Object.entries(o.mounts ?? {})) app.route(`/api${path}`, sub as never);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Passerelle admin API', version: o.version ?? '0.1.0',
      description: 'Watch and steer the Passerelle gateway: queue, messages and their traces, quarantine, configuration. '
        + 'Bearer tokens: `reader` looks, `operator` also acts; every action is written in the message\'s trace with the token\'s name.',
    },
  });
  return app;
}
