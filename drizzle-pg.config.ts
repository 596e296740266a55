import { defineConfig } from 'drizzle-kit';

/**
 * Migrations of the PostgreSQL engine (`storage/postgres/`), generated into `drizzle-pg/`
 * (`npm run db:generate:pg`) and applied when a `PostgresStore` or a `PostgresDirectoryStore` opens. The SQLite ones are
 * `drizzle.config.ts` → `drizzle/`.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./storage/postgres/schema.ts', './storage/postgres/directory-schema.ts'],
  out: './drizzle-pg',
});
