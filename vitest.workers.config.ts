/**
 * The tests that run inside workerd, Cloudflare's Workers runtime, through
 * @cloudflare/vitest-pool-workers: the Workers entry (`wrangler.toml`, `app/workers/worker.ts`)
 * with its bindings, offline. A project of `vitest.config.ts`, so `npm test` runs them too;
 * alone: `npx vitest run --project workers`.
 */
import { defineProject } from 'vitest/config';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';

// Offline: miniflare would otherwise try to download the `Request.cf` placeholder data.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
process.env.WRANGLER_SEND_METRICS ??= 'false';

/** The token the test worker is given as its `MAPPING_API_TOKEN` secret. */
export const TEST_MAPPING_TOKEN = 'workers-test-token';
/** Its directory secrets: readers, and the gateway's publisher. */
export const TEST_DIRECTORY_TOKEN = 'workers-directory-token';
export const TEST_PUBLISH_TOKEN = 'workers-publish-token';

/** The address book's migrations, applied to the test D1 database by `test/workers/apply-migrations.ts`. */
const migrations = await readD1Migrations('./drizzle-directory');

export default defineProject({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: { MAPPING_API_TOKEN: TEST_MAPPING_TOKEN, DIRECTORY_API_TOKEN: TEST_DIRECTORY_TOKEN, DIRECTORY_PUBLISH_TOKEN: TEST_PUBLISH_TOKEN, TEST_MIGRATIONS: migrations },
      },
    }),
  ],
  test: {
    name: 'workers',
    include: ['test/workers/**/*.test.ts'],
    setupFiles: ['./test/workers/apply-migrations.ts'],
  },
});
