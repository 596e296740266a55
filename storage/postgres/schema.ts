/**
 * The gateway's durable state on PostgreSQL, as a drizzle `pg-core` schema: the same tables
 * and columns as the SQLite schema (`storage/sqlite/schema.ts`), in PostgreSQL's own types.
 * Migrations in `drizzle-pg/` are generated from this file by drizzle-kit
 * (`npm run db:generate:pg`, config `drizzle-pg.config.ts`) and applied when a store opens.
 *
 * - times are milliseconds since the epoch in `bigint` columns (read back as numbers);
 * - raw messages are `bytea`;
 * - flags are `boolean`;
 * - `seen` has its primary key on (network, Message-ID or notice key, recipient): inserted
 *   with `ON CONFLICT DO NOTHING`, it holds across every node sharing the database;
 * - partial indexes serve the claim paths (`FOR UPDATE SKIP LOCKED`) and the notices due.
 */
import { sql } from 'drizzle-orm';
import { pgTable, text, bigint, boolean, customType, index, uniqueIndex, primaryKey } from 'drizzle-orm/pg-core';

/** Raw bytes (drizzle's pg-core has no `bytea` builder of its own). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/** A time in milliseconds since the epoch (fits a double exactly for the next 285,000 years). */
const ms = (name: string) => bigint(name, { mode: 'number' });

export const messages = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    /** `legacy`, `mssante` or `gateway` (a notice the gateway wrote). */
    source: text('source').notNull(),
    mailFrom: text('mail_from').notNull(),
    /** The Message-ID header, or null. */
    messageId: text('message_id'),
    receivedAt: ms('received_at').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    /** received → opened → routed → done; or quarantined, duplicate, dropped. */
    state: text('state').notNull(),
    /** For a quarantined message: the stage that stopped it and why (no patient data). */
    stage: text('stage'),
    reason: text('reason'),
    /** For a quarantined message: the SMTP reply line its sender's notice carries. */
    reply: text('reply'),
    /** While `received` or `opened`: the worker processing it and when its claim lapses. */
    owner: text('owner'),
    leaseUntil: ms('lease_until'),
    /** JSON of the remote peer (address, helo, tls subject, user). */
    remote: text('remote'),
    /** For a notice the gateway wrote: the message it is about. */
    relatedId: text('related_id'),
    /** True from the commit that settles the message until the notices it calls for are queued. */
    noticesDue: boolean('notices_due').notNull().default(false),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    // Per-state lists, newest first (quarantine list), and the summary.
    index('messages_state_idx').on(t.state, t.id),
    // Messages to process (open, route): the claim scans these only.
    index('messages_unprocessed_idx').on(t.id).where(sql`${t.state} in ('received', 'opened')`),
    index('messages_notices_due_idx').on(t.id).where(sql`${t.noticesDue}`),
  ],
);

export const rawMessages = pgTable('raw_messages', {
  id: text('id').primaryKey(),
  bytes: bytea('bytes').notNull(),
});

export const deliveries = pgTable(
  'deliveries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    messageRef: text('message_ref').notNull(),
    /** The envelope recipient as received. */
    recipient: text('recipient').notNull(),
    /** Resolved at the route stage. */
    targetNetwork: text('target_network'),
    targetAddress: text('target_address'),
    /** pending → queued ⇄ sending → delivered | failed | quarantined. */
    state: text('state').notNull(),
    attempts: bigint('attempts', { mode: 'number' }).notNull().default(0),
    nextAttemptAt: ms('next_attempt_at').notNull(),
    /** While `sending`: the worker that claimed it and when the claim lapses (then any worker reclaims it). */
    owner: text('owner'),
    leaseUntil: ms('lease_until'),
    /** The relay bounce that failed this delivery after hand-over (its notice names it). */
    bouncedBy: text('bounced_by'),
    lastError: text('last_error'),
    /** Set when a send was cut by a crash and the outcome is unknown (resent once). */
    uncertain: boolean('uncertain').notNull().default(false),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('deliveries_message_recipient_idx').on(t.messageRef, t.recipient),
    // Due sends, in the order they are claimed.
    index('deliveries_queued_idx').on(t.nextAttemptAt, t.id).where(sql`${t.state} = 'queued'`),
    // Sends in hand: lapsed leases, renewals, a restarted node's release.
    index('deliveries_sending_idx').on(t.leaseUntil).where(sql`${t.state} = 'sending'`),
    index('deliveries_bounced_by_idx').on(t.bouncedBy),
  ],
);

export const seen = pgTable(
  'seen',
  {
    network: text('network').notNull(),
    messageId: text('message_id').notNull(),
    recipient: text('recipient').notNull(),
    /** SHA-256 of what the message says (`core/pipeline/content-digest.ts`); empty for notice keys. */
    digest: text('digest').notNull().default(''),
    messageRef: text('message_ref').notNull(),
  },
  (t) => [primaryKey({ columns: [t.network, t.messageId, t.recipient, t.digest] })],
);

export const events = pgTable(
  'events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    messageRef: text('message_ref').notNull(),
    at: ms('at').notNull(),
    stage: text('stage').notNull(),
    /** `info`, `warn` or `error`. */
    level: text('level').notNull(),
    /** What happened, for operators: never a patient's identity or a secret. */
    detail: text('detail').notNull(),
    recipient: text('recipient'),
  },
  (t) => [index('events_message_idx').on(t.messageRef, t.id)],
);

/** Deliveries held per target network by an operator (as on SQLite). */
export const networkHolds = pgTable('network_holds', {
  network: text('network').primaryKey(),
  heldAt: ms('held_at').notNull(),
  heldBy: text('held_by').notNull(),
});
