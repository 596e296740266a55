/**
 * The one place that chooses the storage engine from the `database` setting and opens the
 * message store and the address book; everything else (the gateway, the HTTP routes, the
 * resolver chain, the CLI) sees only the ports, `MessageStore` and `DirectoryStore`.
 *
 * - a file path: SQLite (the embedded default, `<dataDir>/passerelle.db`), the message store
 *   and the address book in that one file, each on its own connection;
 * - `postgres://…` or `postgresql://…`: PostgreSQL, shared by several nodes, with the options
 *   of `postgres` (schema, pool size, synchronous_commit). The node's id is locked on the
 *   server for as long as it runs (two running nodes cannot share one).
 *
 * @example
 * const storage = await openStorage(config, { node: 'gw1', directory: { legacyDomain, nationalDomain } });
 * await storage.store.accept(…);
 * await storage.close();
 */
import { nodeUtf8 } from './native-text.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from '../config/defaults.js';
import type { MessageStore } from '../../core/ports/message-store.js';
import type { JobLock } from '../../core/ports/job-lock.js';

/** What a node's store gives: the message store, and the lock of its periodic jobs. */
export type NodeStore = MessageStore & JobLock;
import type { DirectoryConfig, DirectoryStore } from '../../core/ports/directory-store.js';
import { parseDuration } from '../../core/queue/duration.js';
import { SqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { SqliteDirectoryStore } from '../../storage/sqlite/directory-store.js';
import { directoryFileFor } from '../../storage/sqlite/directory-database.js';
import { ThreadedImportDirectory } from './threaded-directory.js';
import { PostgresStore } from '../../storage/postgres/postgres-store.js';
import { PostgresDirectoryStore } from '../../storage/postgres/directory-store.js';


export type Engine = 'sqlite' | 'postgres';

/** Is this `database` setting a PostgreSQL URL (else a SQLite file)? */
export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

/** The database as it may be logged: a URL without its password (and user), a path as it is. */
export function describeDatabase(database: string): string {
  if (!isPostgresUrl(database)) return database;
  try {
    const u = new URL(database);
    return `postgres://${u.host}${u.pathname}`;
  } catch {
    return 'postgres://…';
  }
}

export interface OpenedStorage {
  engine: Engine;
  store: NodeStore;
  directory: DirectoryStore;
  /** The SQLite engine's store when `engine` is `sqlite` (tests that read its tables directly). */
  sqliteStore?: SqliteStore;
  /** The PostgreSQL engine's store when `engine` is `postgres`. */
  postgresStore?: PostgresStore;
  /** Closes the address book, then the message store (commits what is queued first). */
  close(): Promise<void>;
}

export interface OpenStorageOptions {
  /** This node's id: on PostgreSQL, locked on the server while the node runs. Leave out for a command. */
  node?: string;
  directory: DirectoryConfig;
}

/** The PostgreSQL options of a configuration (a partial one: commands may run without a valid configuration). */
function postgresOptions(config: Partial<GatewayConfig> | null) {
  const pg = config?.postgres;
  const lease = config?.queue?.lease ? parseDuration(config.queue.lease) : 60_000;
  return {
    ...(pg?.schema ? { schema: pg.schema } : {}),
    max: pg?.poolSize ?? 10,
    synchronousCommit: pg?.synchronousCommit ?? 'on',
    // Writes wait for an absent database at most half a lease: a claim they belong to still holds when they land.
    holdMs: Math.max(1000, Math.floor(lease / 2)),
  } as const;
}

/** Opens the message store and the address book the configuration names. */
export async function openStorage(config: GatewayConfig, o: OpenStorageOptions): Promise<OpenedStorage> {
  if (!isPostgresUrl(config.database)) {
    const sqliteStore = SqliteStore.open(config.database, { synchronous: config.durability });
    let directory: DirectoryStore;
    try {
      // The address book has a file of its own beside the message store's (its imports never
      // hold the message store's write lock), and runs its imports on a thread with a second
      // connection to it. It takes the directory rows an older layout kept in the message file.
      directory = config.database === ':memory:'
        ? SqliteDirectoryStore.open(config.database, o.directory)
        : ThreadedImportDirectory.open(directoryFileFor(config.database), o.directory, { adoptFrom: config.database });
    } catch (err) {
      sqliteStore.closeNow();
      throw err;
    }
    return {
      engine: 'sqlite', store: sqliteStore, directory, sqliteStore,
      async close() {
        await directory.close();
        await sqliteStore.close();
      },
    };
  }
  const opts = postgresOptions(config);
  const postgresStore = await PostgresStore.open(config.database, { ...opts, applicationName: `passerelle${o.node ? ` ${o.node}` : ''}` });
  let directory: DirectoryStore;
  try {
    if (o.node) await postgresStore.lockNode(o.node);
    directory = await openPostgresDirectory(config.database, o.directory, config);
  } catch (err) {
    await postgresStore.close();
    throw err;
  }
  return {
    engine: 'postgres', store: postgresStore, directory, postgresStore,
    async close() {
      await directory.close();
      await postgresStore.close();
    },
  };
}

async function openPostgresDirectory(url: string, cfg: DirectoryConfig, config: Partial<GatewayConfig> | null): Promise<DirectoryStore> {
  return PostgresDirectoryStore.open(url, { ...cfg, decodeUtf8: nodeUtf8 }, { ...(config?.postgres?.schema ? { schema: config.postgres.schema } : {}) });
}

/** Why a command cannot open this database (a SQLite file that does not exist yet), or null. */
export function missingDatabase(database: string): string | null {
  if (isPostgresUrl(database) || existsSync(database)) return null;
  return `no database at ${database}: has the gateway run here? (or give --db PATH)`;
}

/**
 * The message store alone, for a command (`queue`, `trace`, `quarantine`): `database` is a
 * SQLite file or a PostgreSQL URL; `config` gives the PostgreSQL options when there is one.
 */
export async function openMessageStore(database: string, config: Partial<GatewayConfig> | null): Promise<NodeStore> {
  if (!isPostgresUrl(database)) return SqliteStore.open(database);
  return PostgresStore.open(database, { ...postgresOptions(config), max: 2, applicationName: 'passerelle command', link: false });
}

/** Whether `database` has an address book to read: a PostgreSQL URL, the address book's own file, or an older file that still holds it. */
export function directoryExists(database: string): boolean {
  return isPostgresUrl(database) || existsSync(directoryFileFor(database)) || existsSync(database);
}

/** The address book alone, for a command (`directory …`). */
export async function openDirectoryStore(database: string, cfg: DirectoryConfig, config: Partial<GatewayConfig> | null): Promise<DirectoryStore> {
  // Imports run as in the gateway: on a thread of their own, its heap bounded
  // (`threaded-directory.ts`), where a re-import's lines are keyed on one more thread and a
  // first load's search index is built on another.
  if (!isPostgresUrl(database)) return ThreadedImportDirectory.open(directoryFileFor(database), cfg, { adoptFrom: database });
  return openPostgresDirectory(database, cfg, config);
}
