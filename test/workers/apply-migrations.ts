/**
 * Setup of the workerd tests: the address book's migrations (`drizzle-directory/`, read in
 * `vitest.workers.config.ts`) applied to the `DIRECTORY` D1 database, as `wrangler d1
 * migrations apply` does for the real one.
 */
/// <reference types="@cloudflare/vitest-pool-workers/types" />
import { applyD1Migrations, env } from 'cloudflare:test';

const e = env as unknown as { DIRECTORY: Parameters<typeof applyD1Migrations>[0]; TEST_MIGRATIONS: Parameters<typeof applyD1Migrations>[1] };
await applyD1Migrations(e.DIRECTORY, e.TEST_MIGRATIONS);
