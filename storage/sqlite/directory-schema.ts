/**
 * The federated address book, as drizzle `sqlite-core` tables.
 *
 * - `directory_mailboxes`: one row per mailbox of either network (national extraction line or
 *   legacy `annuaire` line), never deleted: a mailbox gone from a newer file is marked
 *   `removed`. `party_key` (`rpps:…`, `adeli:…`, `finess:…`) groups the mailboxes of one
 *   person or organisation across both networks ("one entry").
 *   `alias` is the single namespace of legacy `LOCAL` parts (unique, never reassigned).
 * - `directory_imports`: one row per import run; `change_run` on mailboxes points here.
 * - `directory_issues`: what an import or a link pass reported (ambiguities, rejected lines,
 *   alias conflicts).
 * - `directory_exports`: per feed, the last run included in an export (for differences).
 * - Search (custom migration `drizzle/0006_directory_fts.sql`, which drizzle cannot express):
 *   a virtual generated column `search_text` on `directory_mailboxes`, the FTS5 table
 *   `directory_fts` over it and the triggers keeping it in step (docs/directory.md, Search).
 *   Not declared here: nothing reads them through drizzle.
 */
import { sql } from 'drizzle-orm';
import { sqliteTable, text, integer, index, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const directoryMailboxes = sqliteTable(
  'directory_mailboxes',
  {
    id: integer('id').primaryKey(),
    /** `mssante` (national extraction) or `legacy` (network annuaire). */
    network: text('network').notNull(),
    /** The real address, lower-cased. */
    address: text('address').notNull(),
    /** `PER` person or `ORG` organisation. */
    kind: text('kind').notNull(),
    /** `active`, `suspended` or `removed`. */
    status: text('status').notNull(),
    /**
     * The `LOCAL` this mailbox holds in the alias namespace: for a national mailbox its
     * `interop` alias, for a legacy subscriber its own `LOCAL` (also its alias on the
     * gateway's national domain). Never reassigned, kept when the mailbox is removed.
     */
    alias: text('alias'),
    /** `Dr Jean DUPONT`, `LABO TEST - Secrétariat`: for headers (never logged). */
    displayName: text('display_name'),
    /** `rpps:…`, `adeli:…`, `finess:…` or `org:TYPE:ID`; null when nothing identifies it. */
    partyKey: text('party_key'),
    /** Legacy rows: `linked`, `unlinked` or `ambiguous`; null on national rows. */
    linkState: text('link_state'),
    linkNote: text('link_note'),
    /**
     * The source line as read (national: UTF-8 `|` line; legacy: the `;` line decoded from
     * ISO-8859-1). Its fields are read with `parseNationalLine` / `parseLegacyLine`.
     */
    record: text('record').notNull(),
    /** Hash of the source line: an unchanged line costs no write. */
    lineHash: integer('line_hash').notNull(),
    firstRun: integer('first_run').notNull(),
    /** The import run that last changed this row (exports diff on it). */
    changeRun: integer('change_run').notNull(),
  },
  (t) => [
    uniqueIndex('directory_mailboxes_address_idx').on(t.address),
    // The alias namespace, unique (as on PostgreSQL): an alias is given inside the import's
    // write transaction, checked against this index. Resolve finds the row here and reads its
    // route from it (141,000 lookups/s on a million rows; covering, with the route's columns in
    // the index, 170,000/s, but 110 MB to sort and write in a first load instead of 35:
    // migration 0004, docs/directory.md, Performance).
    uniqueIndex('directory_mailboxes_alias_idx').on(t.alias),
    index('directory_mailboxes_party_idx').on(t.partyKey),
    // The legacy subscribers alone (a sixth of the rows at national scale): the link pass and
    // a legacy import read them without a scan of the whole table (600 MB at 1,000,000 rows).
    index('directory_mailboxes_legacy_idx').on(t.id).where(sql`network = 'legacy'`),
  ],
);

export const directoryImports = sqliteTable('directory_imports', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** `national`, `legacy` or `link`. */
  source: text('source').notNull(),
  fileName: text('file_name'),
  /** Date taken from the file name (YYYYMMDDhhmm or YYYYMMDD), when it has one. */
  fileDate: text('file_date'),
  startedAt: integer('started_at').notNull(),
  finishedAt: integer('finished_at'),
  /** JSON of the run's counters. */
  counts: text('counts'),
});

export const directoryIssues = sqliteTable(
  'directory_issues',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    run: integer('run').notNull(),
    /** `rejected-line`, `duplicate`, `ambiguous-link`, `alias-conflict`, … */
    kind: text('kind').notNull(),
    /** Line number in the file, when the issue is about a line. */
    line: integer('line'),
    address: text('address'),
    detail: text('detail').notNull(),
  },
  (t) => [index('directory_issues_run_idx').on(t.run)],
);

export const directoryExports = sqliteTable('directory_exports', {
  /** `interop` or `operator`. */
  feed: text('feed').primaryKey(),
  lastRun: integer('last_run').notNull(),
  exportedAt: integer('exported_at').notNull(),
  count: integer('count').notNull(),
});
