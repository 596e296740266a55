import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts', '{core,lib,storage,directory,mappings,adapters,app}/**/*.test.ts'],
          exclude: ['test/workers/**', '**/node_modules/**'],
        },
      },
      // The Workers entry inside workerd (@cloudflare/vitest-pool-workers): see that file.
      './vitest.workers.config.ts',
    ],
  },
});
