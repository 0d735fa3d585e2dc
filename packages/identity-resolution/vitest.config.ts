import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared';

export default defineProject({
  ...sourceConditions,
  // Property tests run hundreds of generated scenarios each: on a loaded 2-core machine a few
  // take several seconds, past vitest's 5 s default.
  test: { name: 'identity-resolution', include: ['src/**/*.test.ts'], testTimeout: 60_000 },
});
