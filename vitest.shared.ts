/**
 * Resolve workspace packages to their TypeScript sources (the `source` export
 * condition) in tests. Vitest runs test files in Vite's SSR environment, which
 * reads `ssr.resolve.conditions`; without it a stale `dist` would be tested.
 */
export const sourceConditions = {
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
};
