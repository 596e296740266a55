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
import type { NetworkId } from '../model/network.js';
import type { Clock } from './clock.js';
import type { Route, RouteResolver } from './route-resolver.js';

export interface DirectoryConfig {
  /** The legacy network's domain (`lnp.test`): interop aliases are `LOCAL@interop.DOMAIN`. */
  legacyDomain: string;
  /** The gateway's national domain: legacy subscribers are `LOCAL@DOMAIN` there. */
  nationalDomain: string;
  /** LOCALs never given as aliases (the gateway's own LOCAL, postmaster, …). */
  reservedLocals?: string[];
  /** Where the time of imports and exports comes from (default: the system's clock). */
  clock?: Clock;
  /**
   * Who cuts a national re-import's file into lines and keys them on their bytes
   * (`directory/line-keys.ts`): the import's own thread by default; the Node edge hands a
   * second thread's (`app/node/threaded-line-keys.ts`), so that the reading, most of a
   * re-import's work, runs beside the writing.
   */
  lineKeyer?: (chunks: AsyncIterable<Uint8Array>) => AsyncIterable<KeyedLines>;
  /**
   * Decodes a national file's lines, strictly (throws on bytes that are not UTF-8): `TextDecoder`
   * by default; the Node edge gives one whose text takes a byte a character when it can
   * (`app/node/native-text.ts`), which every step after it reads faster.
   */
  decodeUtf8?: (bytes: Uint8Array) => string;
}

/** Whole lines of a file and, per line, `LINE_KEY_NUMBERS` numbers (`directory/line-keys.ts`). */
export interface KeyedLines {
  bytes: Uint8Array;
  keys: Float64Array;
  count: number;
}

export interface ImportOptions {
  /** The file's name: its date is checked against the last import (no going backwards). */
  fileName?: string;
  /** Import even when the file is older than the last one imported. */
  force?: boolean;
  /** Told the input bytes read so far. */
  onProgress?: (bytes: number) => void;
  /** Lines per transaction (default 20,000). */
  batchLines?: number;
}

export interface DirectoryIssue {
  kind: string;
  line?: number;
  address?: string;
  detail: string;
}

export interface LinkReport {
  linked: number;
  unlinked: number;
  ambiguous: number;
  changed: number;
}

export interface ImportReport {
  run: number;
  source: 'national' | 'legacy';
  fileName: string | null;
  fileDate: string | null;
  lines: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Gone from this file: marked removed (alias kept). */
  removed: number;
  rejected: number;
  /** Legacy lines in the `interop` zone (the gateway's own entries), skipped. */
  skipped: number;
  aliasesAssigned: number;
  aliasConflicts: number;
  link: LinkReport;
  /** Count of issues recorded (the first ones are in `issues`, all in `directory_issues`). */
  issueCount: number;
  issues: DirectoryIssue[];
  elapsedMs: number;
}

export type Feed = 'interop' | 'operator';

export interface ExportSummary {
  feed: Feed;
  mode: 'full' | 'diff';
  /** Rows written. */
  count: number;
  /** Changes after `sinceRun` up to `uptoRun` were included; commit with `commitExport`. */
  sinceRun: number;
  uptoRun: number;
}

/** Where a candidate address comes from: one network's directory, or both (a legacy subscriber linked to a national party). */
export type AddressSource = 'national' | 'legacy' | 'linked';

/**
 * Why a candidate address may not be the right one:
 * - `several-addresses`: the same party (RPPS, ADELI, FINESS) has another active address on this network;
 * - `suspended-elsewhere` / `removed-elsewhere`: the same party's address on the other network is suspended / removed;
 * - `removed`: this address is gone from its directory since run `run`.
 */
export interface AddressConflict {
  kind: 'several-addresses' | 'suspended-elsewhere' | 'removed-elsewhere' | 'removed';
  /** The other address concerned (not for `removed`). */
  address?: string;
  /** The import run that recorded the removal (`removed`). */
  run?: number;
}

/** How far a candidate address can be trusted: freshness, source, conflicts. */
export interface AddressConfidence {
  source: AddressSource;
  /** The last finished import of its directory that listed it (run, extraction date, when imported); null when none did. */
  lastSeen: { run: number; fileDate: string | null; importedAt: number } | null;
  conflicts: AddressConflict[];
}

export interface SearchMailbox {
  network: NetworkId;
  address: string;
  alias: string | null;
  status: Route['status'];
  linkState: string | null;
  confidence: AddressConfidence;
}

export interface SearchEntry {
  /** `rpps:…`, `adeli:…`, `finess:…`, or null for a mailbox nobody is identified with. */
  partyKey: string | null;
  name: string;
  mailboxes: SearchMailbox[];
}

/** A resolve with what the sender's software needs to judge the address (`DirectoryStore.lookup`). */
export interface AddressLookup extends Route {
  partyKey: string | null;
  confidence: AddressConfidence;
}


export interface DirectoryStats {
  /** Per network: counts by status (`active`…), by kind, and `total`. */
  mailboxes: Record<string, Record<string, number>>;
  /** Legacy mailboxes by link state (`linked`, `unlinked`, `ambiguous`, `none`). */
  links: Record<string, number>;
  imports: unknown[];
  exports: unknown[];
}

/** A mailbox row as the address book keeps it, for a copy elsewhere (`passerelle directory publish`). */
export interface PublishedMailbox {
  id: number;
  network: string;
  address: string;
  kind: string;
  status: string;
  alias: string | null;
  displayName: string | null;
  partyKey: string | null;
  linkState: string | null;
  linkNote: string | null;
  record: string;
  lineHash: number;
  firstRun: number;
  changeRun: number;
}

/** An import run as recorded (`directory_imports`), for a copy elsewhere: freshness is read from them. */
export interface PublishedRun {
  id: number;
  source: string;
  fileName: string | null;
  fileDate: string | null;
  startedAt: number;
  finishedAt: number | null;
  counts: string | null;
}

/** A page of a publication: runs and mailbox rows, as the gateway keeps them. */
export interface DirectoryPublication {
  runs: PublishedRun[];
  mailboxes: PublishedMailbox[];
}

/**
 * A copy of the address book kept elsewhere (Workers + D1) and fed by the gateway's
 * publications (`passerelle directory publish`): rows upserted by the gateway's ids, the run
 * published last remembered once a publication has finished.
 */
export interface DirectoryReplica {
  applyPublication(p: DirectoryPublication): Promise<{ runs: number; mailboxes: number }>;
  /** The last run whose publication finished (0: none). */
  publishedRun(): Promise<number>;
  markPublished(uptoRun: number, count: number): Promise<void>;
}

export interface DirectoryStore extends RouteResolver {
  /** Import the national extraction (text, or its ZIP) as a new run. */
  importNational(input: AsyncIterable<Uint8Array>, opts?: ImportOptions): Promise<ImportReport>;
  /** Import the legacy annuaire (ISO-8859-1 CSV, or its ZIP) as a new run. */
  importLegacy(input: AsyncIterable<Uint8Array>, opts?: ImportOptions): Promise<ImportReport>;
  /**
   * Entries where every word of `query` starts a word of the mailbox's line (name, profession,
   * specialty, city, RPPS/ADELI/FINESS, address) or alias; accents and case ignored; indexed.
   */
  search(query: string, limit?: number): Promise<SearchEntry[]>;
  /** `resolve` with the target's confidence (freshness, source, conflicts); `resolve` stays lean for routing. */
  lookup(address: string): Promise<AddressLookup | null>;
  stats(): Promise<DirectoryStats>;
  /** When each source (`national`, `legacy`) last finished an import (epoch ms): the sync age of the metrics, without counting mailboxes. */
  lastImports(): Promise<Record<string, number>>;
  /** Issues recorded for a run (default: the last run). */
  issues(run?: number, limit?: number): Promise<Array<DirectoryIssue & { run: number }>>;
  /** Write a feed (full, or the changes since the last acknowledged export) to `sink`. */
  exportFeed(feed: Feed, mode: 'full' | 'diff', sink: (chunk: Uint8Array) => void | Promise<void>): Promise<ExportSummary>;
  /** The client stored an export: the next `diff` starts after it. */
  commitExport(s: ExportSummary): Promise<void>;
  /** Mailbox rows changed by a run after `sinceRun`, in id order after `afterId`, at most `limit` (a publication's pages). */
  changedMailboxes(sinceRun: number, afterId: number, limit: number): Promise<PublishedMailbox[]>;
  /** Every import run, in id order. */
  importRuns(): Promise<PublishedRun[]>;
  close(): Promise<void>;
}
