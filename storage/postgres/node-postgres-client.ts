/**
 * `SqlClient` over node-postgres (`pg`): a `pg.Pool`, every statement prepared once per
 * connection (named statements), int8 read as numbers, `synchronous_commit` set at connect.
 *
 * @example
 * const client = nodePostgresClient('postgres://passerelle@db.example/passerelle', { max: 10 });
 * const { rows } = await client.query<{ n: number }>('SELECT count(*) AS n FROM messages');
 */
import pg from 'pg';
import { checkSchemaName, connectionLost, type DedicatedSession, type SqlClient, type SqlClientOptions, type SqlResult, type SqlSession } from './sql-client.js';

const INT8 = 20;

export function nodePostgresClient(url: string, opts: SqlClientOptions = {}): SqlClient {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
  const connection = {
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    types,
    application_name: opts.applicationName ?? 'passerelle',
    options: `-c synchronous_commit=${opts.synchronousCommit ?? 'on'}` + (opts.schema ? ` -c search_path=${checkSchemaName(opts.schema)}` : ''),
  };
  const pool = new pg.Pool({ ...connection, max: opts.max ?? 10 });
  // An idle connection that breaks (the server restarted) is dropped by the pool and replaced on
  // the next query; without a listener the 'error' event would end the process.
  pool.on('error', () => {});
  // And on every connection, from its creation: a connection handed from one caller to the next
  // inside one socket read (its last answer and the server's 'terminating connection' in the same
  // packet) would otherwise emit 'error' before its new holder could listen. Its next statement fails.
  pool.on('connect', (client) => client.on('error', () => {}));

  // One name per statement text: each connection parses and plans it once.
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let n = names.get(text);
    if (!n) names.set(text, (n = `s${names.size}`));
    return n;
  };
  const run = async <R>(on: pg.Pool | pg.PoolClient, text: string, params: readonly unknown[] = []): Promise<SqlResult<R>> => {
    const r = await on.query({ name: nameOf(text), text, values: params as unknown[] });
    return { rows: r.rows as R[], count: r.rowCount ?? r.rows.length };
  };

  return {
    query: <R>(text: string, params?: readonly unknown[]) => run<R>(pool, text, params),
    async transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
      const c = await pool.connect();
      let broken: Error | undefined;
      // A checked-out connection that breaks between two statements (the server stopped) emits
      // 'error': without a listener it would end the process. Its next statement fails instead.
      const onError = (err: Error) => void (broken ??= err);
      c.on('error', onError);
      try {
        await c.query('BEGIN');
        const out = await fn({ query: <R>(text: string, params?: readonly unknown[]) => run<R>(c, text, params) });
        try {
          await c.query('COMMIT');
        } catch (err) {
          if (connectionLost(err)) {
            broken = err as Error;
            throw Object.assign(err as Error, { commitInDoubt: true });
          }
          throw err; // the server refused the COMMIT: the transaction is rolled back
        }
        return out;
      } catch (err) {
        if (!broken) {
          try {
            await c.query('ROLLBACK');
          } catch (e) {
            broken = e as Error; // the connection is gone: do not give it back to the pool
          }
        }
        throw err;
      } finally {
        c.removeListener('error', onError);
        c.release(broken);
      }
    },
    end: () => pool.end(),
    async dedicated(): Promise<DedicatedSession> {
      const c = new pg.Client(connection);
      const broken = new AbortController();
      c.on('error', (err) => broken.abort(err));
      c.on('end', () => broken.abort(new Error('connection ended')));
      await c.connect();
      let ended = false;
      return {
        broken: broken.signal,
        query: async <R>(text: string, params: readonly unknown[] = []) => {
          const r = await c.query(text, params as unknown[]);
          return { rows: r.rows as R[], count: r.rowCount ?? r.rows.length };
        },
        async end() {
          if (ended) return;
          ended = true;
          await c.end().catch(() => undefined);
        },
      };
    },
  };
}
