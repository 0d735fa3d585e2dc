import { defineProject } from 'vitest/config';

// Vitest runs tests in Vite's SSR environment: the `source` condition must be set there too.
export default defineProject({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { name: 'example-node', include: ['src/**/*.test.ts'] },
});
