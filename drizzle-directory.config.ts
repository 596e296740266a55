import { defineConfig } from 'drizzle-kit';

/**
 * The address book's own SQLite file (`storage/sqlite/directory-database.ts`), and D1: the
 * directory tables alone, never the message store's. The search index is a custom migration
 * (FTS5, which drizzle cannot express).
 */
export default defineConfig({
  dialect: 'sqlite',
  schema: ['./storage/sqlite/directory-schema.ts'],
  out: './drizzle-directory',
});
