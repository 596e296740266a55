import { defineConfig } from 'drizzle-kit';

/** Migrations are generated from every schema file of the core and are applied at start. */
export default defineConfig({
  dialect: 'sqlite',
  schema: ['./storage/sqlite/schema.ts', './storage/sqlite/directory-schema.ts'],
  out: './drizzle',
});
