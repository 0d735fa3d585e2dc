// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { VERSION } from './version.js';
import { readFileSync } from 'node:fs';

/**
 * Size budget of what a page ships for `init + track + identify + page + consent`.
 * Raise it only in the commit that grows the bundle, saying why.
 * +64 B (from 6 KB): exactly-once adoption of a closed tab's queue with Web Locks, kept compatible with
 * the back/forward cache, plus the hardened lease fallback, cost ~200 B; ~100 B were saved elsewhere in
 * the same change (shared type guards, a smaller UUID, declared error fields, shorter error messages),
 * and nothing else could go without losing a feature.
 */
const BUDGET_GZIP_BYTES = 6 * 1024 + 64;
/** Identifiers of zod: the browser bundle must not pull the schema library in. */
const FORBIDDEN = ['zod', 'ZodError', '_zod', 'safeParse', '$ZodType'];
const root = fileURLToPath(new globalThis.URL('..', import.meta.url).href);

async function bundle(entry: { contents: string } | { file: string }, format: 'esm' | 'iife' = 'esm') {
  const result = await build({
    ...('file' in entry ? { entryPoints: [`${root}/${entry.file}`] } : { stdin: { ...entry, resolveDir: root, loader: 'ts' as const } }),
    bundle: true,
    minify: true,
    format,
    platform: 'browser',
    conditions: ['source'],
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.contents;
  const gzip = gzipSync(code, { level: 9 }).length;
  const brotli = brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return { text: new TextDecoder().decode(code), min: code.length, gzip, brotli };
}
const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;

describe('bundle size', () => {
  it(`ESM init + track + identify + page + consent stays under ${kb(BUDGET_GZIP_BYTES)} min+gzip, without zod`, async () => {
    const size = await bundle({
      contents: `
      import { init, track, identify, page, consent } from './src/index.ts';
      init({ writeKey: 'wk', host: 'https://cdp.example.com' });
      track('Signed Up', { plan: 'pro' });
      identify('u1', { email: 'a@example.com' });
      page();
      consent.set({ marketing: false });
    `,
    });
    console.log(`sdk-web ESM (init+track+identify+page+consent): min ${kb(size.min)}, gzip ${kb(size.gzip)}, brotli ${kb(size.brotli)}`);
    expect(size.gzip).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
    for (const word of FORBIDDEN) expect(size.text, word).not.toContain(word);
  });

  it('tree-shakes: a page using only init + track does not carry group, alias or the loader', async () => {
    const size = await bundle({ contents: `import { init, track } from './src/index.ts'; init({ writeKey: 'k', host: 'https://x' }); track('a');` });
    expect(size.text).not.toContain('type:"group"');
    expect(size.text).not.toContain('type:"alias"');
    expect(size.text).not.toContain('c.q.push');
  });

  it('the <script> (IIFE) build with the whole API carries no zod either', async () => {
    const size = await bundle({ file: 'src/browser.ts' }, 'iife');
    console.log(`sdk-web IIFE (whole API): min ${kb(size.min)}, gzip ${kb(size.gzip)}, brotli ${kb(size.brotli)}`);
    for (const word of FORBIDDEN) expect(size.text, word).not.toContain(word);
  });

  it('stamps the package version', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
