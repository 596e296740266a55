/**
 * `DirectoryStore` over SQLite (Node edge: better-sqlite3), through the `Directory` that
 * imports, links, aliases, searches and exports in the address book's own file.
 */
import type { NetworkId } from '../../core/model/network.js';
import type { Route } from '../../core/ports/route-resolver.js';
import { Directory, type DirectoryConfig, type ExportSummary, type Feed, type ImportOptions } from './directory.js';
import type { DirectoryStore, DirectoryStats } from '../../core/ports/directory-store.js';
import type { OpenDirectoryOptions } from './directory-database.js';

export class SqliteDirectoryStore implements DirectoryStore {
  constructor(readonly directory: Directory) {}

  /** `path`: the address book's own file (`directoryFileFor(database)`); see `Directory.open`. */
  static open(path: string, config: DirectoryConfig, opts: OpenDirectoryOptions = {}): SqliteDirectoryStore {
    return new SqliteDirectoryStore(Directory.open(path, config, opts));
  }

  resolve(address: string): Promise<Route | null> {
    return this.directory.resolve(address);
  }

  aliasFor(address: string, target: NetworkId): Promise<string | null> {
    return this.directory.aliasFor(address, target);
  }

  importNational(input: AsyncIterable<Uint8Array>, opts?: ImportOptions) {
    return this.directory.importNational(input, opts);
  }

  importLegacy(input: AsyncIterable<Uint8Array>, opts?: ImportOptions) {
    return this.directory.importLegacy(input, opts);
  }

  async search(query: string, limit?: number) {
    return this.directory.search(query, limit);
  }

  async lookup(address: string) {
    return this.directory.lookupSync(address);
  }

  async lastImports(): Promise<Record<string, number>> {
    return this.directory.lastImports();
  }

  async stats(): Promise<DirectoryStats> {
    return this.directory.stats();
  }

  async issues(run?: number, limit?: number) {
    return this.directory.issues(run, limit);
  }

  async exportFeed(feed: Feed, mode: 'full' | 'diff', sink: (chunk: Uint8Array) => void | Promise<void>): Promise<ExportSummary> {
    // The SQLite reader is synchronous: each chunk goes to the sink as it is read; an async
    // sink orders its own writes, and the export resolves once every one has finished.
    const pending: Promise<void>[] = [];
    const summary = this.directory.exportFeed(feed, mode, (c) => {
      const r = sink(c);
      if (r) pending.push(r);
    });
    await Promise.all(pending);
    return summary;
  }

  async commitExport(s: ExportSummary): Promise<void> {
    this.directory.commitExport(s);
  }

  async changedMailboxes(sinceRun: number, afterId: number, limit: number) {
    return this.directory.changedMailboxes(sinceRun, afterId, limit);
  }

  async importRuns() {
    return this.directory.importRuns();
  }

  async close(): Promise<void> {
    this.directory.close();
  }
}
