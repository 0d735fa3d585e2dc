import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  test: { name: 'identity-resolution', include: ['src/**/*.test.ts'] },
});
