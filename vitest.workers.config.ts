/**
 * The tests that run inside workerd, Cloudflare's Workers runtime, through
 * @cloudflare/vitest-pool-workers: the Workers entry (`wrangler.toml`, `app/workers/worker.ts`)
 * with its bindings, offline. A project of `vitest.config.ts`, so `npm test` runs them too;
 * alone: `npx vitest run --project workers`.
 */
import { defineProject } from 'vitest/config';
import { cloudflareTest } from '@cloudflare/vitest-pool-workers';

// Offline: miniflare would otherwise try to download the `Request.cf` placeholder data.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
process.env.WRANGLER_SEND_METRICS ??= 'false';

/** The token the test worker is given as its `MAPPING_API_TOKEN` secret. */
export const TEST_MAPPING_TOKEN = 'workers-test-token';

export default defineProject({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: { bindings: { MAPPING_API_TOKEN: TEST_MAPPING_TOKEN } },
    }),
  ],
  test: {
    name: 'workers',
    include: ['test/workers/**/*.test.ts'],
  },
});
