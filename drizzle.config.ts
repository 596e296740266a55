import { defineConfig } from 'drizzle-kit';

/** Migrations are generated from every schema file of the core and are applied at start. */
export default defineConfig({
  dialect: 'sqlite',
  schema: ['./src/store/schema.ts', './src/directory/schema.ts'],
  out: './drizzle',
});
