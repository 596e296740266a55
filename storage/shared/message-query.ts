/**
 * The SQL of an operator's message search (`MessageStore.searchMessages`), the same on every
 * engine: a WHERE clause over `messages m` (and `deliveries` for recipients and targets) with
 * the engine's placeholders (`?` on SQLite, `$1…` on PostgreSQL). Domains match the end of an
 * address after its `@`, case-insensitively; LIKE's wildcards in them are escaped.
 */
import type { Actor, MessageQuery } from '../../core/ports/message-store.js';

export function messageFilter(q: MessageQuery, placeholder: (n: number) => string): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return placeholder(params.length);
  };
  const parts: string[] = [];
  if (q.states?.length) parts.push(`m.state IN (${q.states.map((s) => p(s)).join(', ')})`);
  if (q.source) parts.push(`m.source = ${p(q.source)}`);
  if (q.senderDomain) parts.push(`lower(m.mail_from) LIKE ${p(domainPattern(q.senderDomain))} ESCAPE '\\'`);
  if (q.recipientDomain) {
    parts.push(`EXISTS (SELECT 1 FROM deliveries d WHERE d.message_ref = m.id AND lower(d.recipient) LIKE ${p(domainPattern(q.recipientDomain))} ESCAPE '\\')`);
  }
  if (q.target) parts.push(`EXISTS (SELECT 1 FROM deliveries t WHERE t.message_ref = m.id AND t.target_network = ${p(q.target)})`);
  if (q.since !== undefined) parts.push(`m.received_at >= ${p(q.since)}`);
  if (q.until !== undefined) parts.push(`m.received_at < ${p(q.until)}`);
  if (q.messageId) {
    const bare = q.messageId.trim().replace(/^<|>$/g, '');
    parts.push(`m.message_id IN (${p(`<${bare}>`)}, ${p(bare)})`);
  }
  if (q.stage) parts.push(`m.stage = ${p(q.stage)}`);
  if (q.before) parts.push(`m.id < ${p(q.before)}`);
  return { where: parts.join(' AND '), params };
}

function domainPattern(domain: string): string {
  return `%@${domain.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}`;
}

/** How an operator's action names who did it in a trace. */
export function operator(by: Actor | undefined): string {
  return by ? `an operator (${by})` : 'an operator';
}
