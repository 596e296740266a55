/**
 * The federated address book on PostgreSQL, as drizzle `pg-core` tables: the same tables,
 * columns and meanings as the SQLite ones (`storage/sqlite/directory-schema.ts`, which
 * documents each column), in PostgreSQL's types. Migrations: `drizzle-pg/` (generated with
 * `npm run db:generate:pg`).
 *
 * - times are `bigint` milliseconds, line hashes `bigint` (53 bits; read back as numbers);
 * - run ids are identities (`directory_imports.id`), `change_run` points there;
 * - `alias` has a unique index of its own: the namespace is unique by construction (the
 *   import holds an advisory lock and knows every alias), and the database says so too, so
 *   that no two nodes can ever give the same LOCAL; resolve reads by it.
 * - search: a stored generated `tsvector` column `search_doc` and its GIN index, in the custom
 *   migration `drizzle-pg/0002_directory_search.sql` (docs/directory.md, Search); not declared
 *   here (nothing reads it through drizzle).
 */
import { pgTable, text, bigint, integer, index, uniqueIndex } from 'drizzle-orm/pg-core';

const ms = (name: string) => bigint(name, { mode: 'number' });

export const directoryMailboxes = pgTable(
  'directory_mailboxes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** `mssante` (national extraction) or `legacy` (network annuaire). */
    network: text('network').notNull(),
    /** The real address, lower-cased. */
    address: text('address').notNull(),
    /** `PER` or `ORG`. */
    kind: text('kind').notNull(),
    /** `active`, `suspended` or `removed`. */
    status: text('status').notNull(),
    /** The LOCAL this mailbox holds in the alias namespace (never reassigned). */
    alias: text('alias'),
    displayName: text('display_name'),
    partyKey: text('party_key'),
    linkState: text('link_state'),
    linkNote: text('link_note'),
    /** The source line as read. */
    record: text('record').notNull(),
    lineHash: bigint('line_hash', { mode: 'number' }).notNull(),
    firstRun: integer('first_run').notNull(),
    changeRun: integer('change_run').notNull(),
  },
  (t) => [
    uniqueIndex('directory_mailboxes_address_idx').on(t.address),
    uniqueIndex('directory_mailboxes_alias_idx').on(t.alias),
    index('directory_mailboxes_party_idx').on(t.partyKey),
  ],
);

export const directoryImports = pgTable('directory_imports', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  /** `national` or `legacy`. */
  source: text('source').notNull(),
  fileName: text('file_name'),
  fileDate: text('file_date'),
  startedAt: ms('started_at').notNull(),
  finishedAt: ms('finished_at'),
  /** JSON of the run's counters. */
  counts: text('counts'),
});

export const directoryIssues = pgTable(
  'directory_issues',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    run: integer('run').notNull(),
    kind: text('kind').notNull(),
    line: integer('line'),
    address: text('address'),
    detail: text('detail').notNull(),
  },
  (t) => [index('directory_issues_run_idx').on(t.run, t.id)],
);

export const directoryExports = pgTable('directory_exports', {
  /** `interop` or `operator`. */
  feed: text('feed').primaryKey(),
  lastRun: integer('last_run').notNull(),
  exportedAt: ms('exported_at').notNull(),
  count: integer('count').notNull(),
});
