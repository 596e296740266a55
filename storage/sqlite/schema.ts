/**
 * The gateway's durable state, as a drizzle `sqlite-core` schema (valid on SQLite and on
 * Cloudflare D1). Migrations in `drizzle/` are generated from this file by drizzle-kit and
 * applied at start.
 *
 * - `messages`: one row per received message, with its processing state.
 * - `raw_messages`: the bytes as received, written before the sender is told `250`.
 * - `deliveries`: one row per (message, envelope recipient): state, attempts, next attempt.
 * - `seen`: (network, Message-ID, recipient) already accepted, so that a resent copy is
 *   never delivered twice.
 * - `events`: the trace of every stage of every message.
 */
import { sqliteTable, text, integer, blob, index, uniqueIndex, primaryKey } from 'drizzle-orm/sqlite-core';

export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    /** `legacy`, `mssante` or `gateway` (a notice the gateway wrote). */
    source: text('source').notNull(),
    mailFrom: text('mail_from').notNull(),
    /** The Message-ID header, or null. */
    messageId: text('message_id'),
    receivedAt: integer('received_at').notNull(),
    size: integer('size').notNull(),
    /** received → opened → routed → done; or quarantined, duplicate. */
    state: text('state').notNull(),
    /** For a quarantined message: the stage that stopped it and why (no patient data). */
    stage: text('stage'),
    reason: text('reason'),
    /** JSON of the remote peer (address, helo, tls subject, user). */
    remote: text('remote'),
    /** For a notice the gateway wrote: the message it is about. */
    relatedId: text('related_id'),
    /**
     * 1 from the commit that settles the message (done or quarantined) until the notices it
     * calls for (failure notice, MDNs) are queued: a restart in between queues them then.
     */
    noticesDue: integer('notices_due').notNull().default(0),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('messages_state_idx').on(t.state), index('messages_notices_due_idx').on(t.noticesDue)],
);

export const rawMessages = sqliteTable('raw_messages', {
  id: text('id').primaryKey(),
  bytes: blob('bytes', { mode: 'buffer' }).notNull(),
});

export const deliveries = sqliteTable(
  'deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    messageRef: text('message_ref').notNull(),
    /** The envelope recipient as received. */
    recipient: text('recipient').notNull(),
    /** Resolved at the route stage. */
    targetNetwork: text('target_network'),
    targetAddress: text('target_address'),
    /** pending → queued ⇄ sending → delivered | failed | quarantined. */
    state: text('state').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    /** While `sending`: when the claim lapses. */
    leaseUntil: integer('lease_until'),
    lastError: text('last_error'),
    /** Set when a send was cut by a crash and the outcome is unknown (resent once). */
    uncertain: integer('uncertain').notNull().default(0),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('deliveries_message_recipient_idx').on(t.messageRef, t.recipient),
    index('deliveries_due_idx').on(t.state, t.nextAttemptAt),
  ],
);

export const seen = sqliteTable(
  'seen',
  {
    network: text('network').notNull(),
    messageId: text('message_id').notNull(),
    recipient: text('recipient').notNull(),
    messageRef: text('message_ref').notNull(),
  },
  (t) => [primaryKey({ columns: [t.network, t.messageId, t.recipient] })],
);

export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    messageRef: text('message_ref').notNull(),
    at: integer('at').notNull(),
    stage: text('stage').notNull(),
    /** `info`, `warn` or `error`. */
    level: text('level').notNull(),
    /** What happened, for operators: never a patient's identity or a secret. */
    detail: text('detail').notNull(),
    recipient: text('recipient'),
  },
  (t) => [index('events_message_idx').on(t.messageRef)],
);
