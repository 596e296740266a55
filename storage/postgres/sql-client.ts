/**
 * The little the PostgreSQL store needs from a driver: parameterized SQL (`$1`, `$2`…) on a
 * pool, and a transaction on one connection. Keeping the store on this seam is what let the
 * benchmark (`bench/postgres-drivers.bench.ts`) run the same store over node-postgres and
 * postgres.js; the engine itself ships one driver (`node-postgres-client.ts`, see README).
 *
 * Every client reads `bigint` (int8) columns as JavaScript numbers (times in milliseconds,
 * ids and counts all fit a double exactly), `boolean` as booleans and `bytea` as Buffers.
 */
export interface SqlResult<R> {
  rows: R[];
  /** Rows the statement returned or changed. */
  count: number;
}

export interface SqlSession {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<R>>;
}

export interface SqlClient extends SqlSession {
  /**
   * Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
   * throws. A COMMIT cut by a lost connection rejects with an error marked `commitInDoubt`.
   */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
  /** Closes every connection (waits for those in use). */
  end(): Promise<void>;
  /**
   * A connection of its own, outside the pool, for session state held a while (a periodic
   * job's advisory lock): the server frees what the session holds when it ends or breaks.
   * Optional: a client without it cannot run exclusive jobs.
   */
  dedicated?(): Promise<DedicatedSession>;
}

/** One connection outside the pool (`SqlClient.dedicated`). */
export interface DedicatedSession extends SqlSession {
  /** Aborts when the connection breaks (the server stopped, the session was terminated). */
  readonly broken: AbortSignal;
  /** Ends the session (and with it every session-level lock it holds). */
  end(): Promise<void>;
}

export interface SqlClientOptions {
  /** Connections in the pool (default 10). */
  max?: number;
  /**
   * `synchronous_commit` of every connection (default `on`: a commit is flushed to the WAL on
   * disk, and to the synchronous standbys if any, before it is acknowledged).
   */
  synchronousCommit?: 'on' | 'remote_write' | 'remote_apply';
  /** `application_name` seen in `pg_stat_activity` (default `passerelle`). */
  applicationName?: string;
  /**
   * The schema the gateway's tables live in (a plain lowercase name), set as every
   * connection's `search_path`; default: the server's (`public`).
   */
  schema?: string;
}

/** Refuses a schema name that would need quoting (it is written into connection options). */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`not a plain schema name: ${JSON.stringify(schema)} (lowercase letters, digits, _)`);
  return schema;
}

/** SQLSTATEs after which a transaction can be run again as it is: serialization failure, deadlock. */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01']);

/**
 * True for the error of a COMMIT whose answer was lost (the connection broke while it ran):
 * the transaction may or may not be committed. Never run such writes again blindly.
 */
export function commitInDoubt(err: unknown): boolean {
  return (err as { commitInDoubt?: unknown } | null)?.commitInDoubt === true;
}

/** An error from the server about the connection itself (class 08) or an operator intervention (57: shutdown, terminated). */
export function connectionLost(err: unknown): boolean {
  const code = sqlState(err);
  return code === undefined || code.startsWith('08') || code.startsWith('57');
}

export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
