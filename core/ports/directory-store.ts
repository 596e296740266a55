/**
 * The federated address book as a port: every method async, so that the HTTP API, the CLI
 * and the pipeline's route resolver depend on it and not on an engine. `SqliteDirectoryStore`
 * implements it over the SQLite `Directory`; one contract suite
 * (`storage/contract/directory-store-contract.ts`) runs against every implementation.
 *
 * @example
 * const dir: DirectoryStore = SqliteDirectoryStore.open('./var/passerelle.db', config);
 * await dir.resolve('jean.dupont.med@interop.lnp.test'); // { network: 'mssante', … }
 */
import type { RouteResolver } from './route-resolver.js';
import type { DirectoryIssue, ExportSummary, Feed, ImportOptions, ImportReport, SearchEntry } from '../../storage/sqlite/directory.js';

export interface DirectoryStats {
  /** Per network: counts by status (`active`…), by kind, and `total`. */
  mailboxes: Record<string, Record<string, number>>;
  /** Legacy mailboxes by link state (`linked`, `unlinked`, `ambiguous`, `none`). */
  links: Record<string, number>;
  imports: unknown[];
  exports: unknown[];
}

export interface DirectoryStore extends RouteResolver {
  /** Import the national extraction (text, or its ZIP) as a new run. */
  importNational(input: AsyncIterable<Uint8Array>, opts?: ImportOptions): Promise<ImportReport>;
  /** Import the legacy annuaire (ISO-8859-1 CSV, or its ZIP) as a new run. */
  importLegacy(input: AsyncIterable<Uint8Array>, opts?: ImportOptions): Promise<ImportReport>;
  /** Entries whose names or addresses match every word of `query`. */
  search(query: string, limit?: number): Promise<SearchEntry[]>;
  stats(): Promise<DirectoryStats>;
  /** Issues recorded for a run (default: the last run). */
  issues(run?: number, limit?: number): Promise<Array<DirectoryIssue & { run: number }>>;
  /** Write a feed (full, or the changes since the last acknowledged export) to `sink`. */
  exportFeed(feed: Feed, mode: 'full' | 'diff', sink: (chunk: Uint8Array) => void | Promise<void>): Promise<ExportSummary>;
  /** The client stored an export: the next `diff` starts after it. */
  commitExport(s: ExportSummary): Promise<void>;
  close(): Promise<void>;
}
