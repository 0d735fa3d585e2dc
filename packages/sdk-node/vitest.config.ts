import { defineProject } from 'vitest/config';

// Vitest runs tests in Vite's SSR environment, which reads ssr.resolve.conditions,
// so the `source` condition goes there too for workspace packages to resolve to src/.
export default defineProject({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    name: 'sdk-node',
    include: ['src/**/*.test.ts'],
    // The ingestion API's embedded ClickHouse binds one data directory per process.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
