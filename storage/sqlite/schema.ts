/**
 * The gateway's durable state, as a drizzle `sqlite-core` schema (valid on SQLite and on
 * Cloudflare D1). Migrations in `drizzle/` are generated from this file by drizzle-kit and
 * applied at start.
 *
 * - `messages`: one row per received message, with its processing state.
 * - `raw_messages`: the bytes as received, written before the sender is told `250`.
 * - `deliveries`: one row per (message, envelope recipient): state, attempts, next attempt.
 * - `seen`: (network, Message-ID, recipient, content digest) already claimed, so that a
 *   resent copy (the same content) is never delivered twice while a different message
 *   reusing a Message-ID is; the gateway's notices are keyed there too (`noticeKey`).
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
    /** For a quarantined message: the SMTP reply line its sender's notice carries. */
    reply: text('reply'),
    /** While `received` or `opened`: the worker processing it and when its claim lapses. */
    owner: text('owner'),
    leaseUntil: integer('lease_until'),
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
    /** While `sending`: the worker that claimed it and when the claim lapses (then any worker reclaims it). */
    owner: text('owner'),
    leaseUntil: integer('lease_until'),
    /** The relay bounce that failed this delivery after hand-over (its notice names it). */
    bouncedBy: text('bounced_by'),
    lastError: text('last_error'),
    /** Set when a send was cut by a crash and the outcome is unknown (resent once). */
    uncertain: integer('uncertain').notNull().default(0),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('deliveries_message_recipient_idx').on(t.messageRef, t.recipient),
    index('deliveries_due_idx').on(t.state, t.nextAttemptAt),
    index('deliveries_bounced_by_idx').on(t.bouncedBy),
  ],
);

export const seen = sqliteTable(
  'seen',
  {
    network: text('network').notNull(),
    messageId: text('message_id').notNull(),
    recipient: text('recipient').notNull(),
    /**
     * SHA-256 of what the message says (`core/pipeline/content-digest.ts`), `raw:`-prefixed for
     * a message that could not be opened (its bytes'). Empty for notice keys, and for rows
     * written before digests were kept (read as "same content": exactly-once as before).
     */
    digest: text('digest').notNull().default(''),
    messageRef: text('message_ref').notNull(),
  },
  (t) => [primaryKey({ columns: [t.network, t.messageId, t.recipient, t.digest] })],
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

/**
 * Locks of the periodic jobs that run once across the processes sharing the file
 * (`JobLock`): one row per job while a holder runs it, with the holder's id and when its
 * lease lapses. A holder renews its lease while the job runs and deletes the row when done;
 * one that dies leaves the row, and the lock frees when the lease lapses.
 */
export const jobLocks = sqliteTable('job_locks', {
  job: text('job').primaryKey(),
  holder: text('holder').notNull(),
  leaseUntil: integer('lease_until').notNull(),
});

/**
 * Deliveries held per target network by an operator (maintenance of a peer): no node claims
 * a delivery to a network listed here until it is released. Messages are still accepted,
 * opened and routed.
 */
export const networkHolds = sqliteTable('network_holds', {
  network: text('network').primaryKey(),
  heldAt: integer('held_at').notNull(),
  /** Who held it: the API token's or the CLI user's name. */
  heldBy: text('held_by').notNull(),
});
