import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    name: 'example-web',
    include: ['test/**/*.test.ts'],
    // The ingestion API embeds chdb (one data directory per process): each file gets its own process.
    pool: 'forks',
    globalSetup: ['test/build-sdk.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
