/**
 * `SqlClient` over postgres.js (`postgres`), for `bench/postgres-drivers.bench.ts` only:
 * statements prepared once per connection, int8 read as numbers, `synchronous_commit` set at
 * connect. The engine ships node-postgres (see `storage/postgres/README.md`).
 */
import postgres from 'postgres';
import { checkSchemaName, type SqlClient, type SqlClientOptions, type SqlResult, type SqlSession } from '../../storage/postgres/sql-client.js';

export function postgresJsClient(url: string, opts: SqlClientOptions = {}): SqlClient {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    prepare: true,
    connect_timeout: 10,
    onnotice: () => {},
    types: { bigint: { to: 20, from: [20], serialize: (x: unknown) => String(x), parse: (x: string) => Number(x) } },
    connection: {
      application_name: opts.applicationName ?? 'passerelle',
      synchronous_commit: opts.synchronousCommit ?? 'on',
      ...(opts.schema ? { search_path: checkSchemaName(opts.schema) } : {}),
    },
  });
  type Runner = (text: string, params?: never[], o?: { prepare?: boolean }) => Promise<postgres.RowList<postgres.Row[]>>;
  const run = async <R>(on: { unsafe: Runner }, text: string, params: readonly unknown[] = []): Promise<SqlResult<R>> => {
    const r = await on.unsafe(text, params as never[], { prepare: true });
    return { rows: r as unknown as R[], count: r.count };
  };
  return {
    query: <R>(text: string, params?: readonly unknown[]) => run<R>(sql as never, text, params),
    transaction: <T>(fn: (tx: SqlSession) => Promise<T>) =>
      sql.begin((tx) => fn({ query: <R>(text: string, params?: readonly unknown[]) => run<R>(tx as never, text, params) })) as Promise<T>,
    end: () => sql.end({ timeout: 5 }),
  };
}
