/**
 * Applies the PostgreSQL engine's drizzle-kit migrations (`drizzle-pg/`) to a database. Nodes
 * starting together take turns: the migrations run under a session advisory lock, so one
 * node applies them and the others find them applied.
 *
 * @example
 * await migratePostgres('postgres://passerelle@db.example/passerelle');
 * await migratePostgres(url, 'passerelle'); // tables in schema `passerelle`
 */
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSchemaName } from './sql-client.js';

export const PG_MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle-pg');

/**
 * @param schema where the tables live (created if missing; the migrations' own record is kept
 *   there too); default: the server's `search_path` (`public`), the record in `drizzle`.
 */
export async function migratePostgres(url: string, schema?: string): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'passerelle-migrate',
    ...(schema ? { options: `-c search_path=${checkSchemaName(schema)}` } : {}),
  });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(hashtext('passerelle: migrations'))`);
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await migrate(drizzle(client), { migrationsFolder: PG_MIGRATIONS_FOLDER, ...(schema ? { migrationsSchema: schema } : {}) });
  } finally {
    await client.end(); // ends the session, and with it the lock
  }
}
