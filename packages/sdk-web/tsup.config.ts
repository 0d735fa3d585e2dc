import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  sourcemap: true,
  target: 'es2020',
  platform: 'browser',
  // The few protocol constants are inlined from source: the SDK ships with no runtime dependency.
  noExternal: [/^@cdp\/protocol/],
  esbuildOptions(options) {
    options.conditions = ['source'];
  },
};

export default defineConfig([
  {
    // Tree-shakeable ESM for bundlers.
    ...shared,
    entry: ['src/index.ts', 'src/snippet.ts'],
    format: ['esm'],
    dts: true,
    clean: true,
    treeshake: true,
  },
  {
    // One file for a <script> tag: installs window.cdp and replays the snippet's queue.
    ...shared,
    entry: { cdp: 'src/browser.ts' },
    format: ['iife'],
    minify: true,
  },
]);
