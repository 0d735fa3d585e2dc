#!/usr/bin/env node
// Bundle size of this SDK next to its peers, measured in one run with one set of
// esbuild settings (those of the reference figures): --bundle --minify
// --format=esm --platform=browser --splitting; gzip level 9, brotli quality 11,
// KB = 1024 B. Counted: the entry chunk and the chunks it imports statically,
// transitively (what the page loads up front); chunks behind dynamic import()
// (optional plugins) and runtime CDN downloads are not.
// Usage: pnpm bench:sdk-web   (writes the table into bench/README.md)
import { build } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = new URL('./README.md', import.meta.url);

/** The same init + track for each SDK. */
const ENTRIES = [
  ['@cdp/sdk-web (init+track)', `import { init, track } from '@cdp/sdk-web';
    init({ writeKey: 'wk', host: 'https://cdp.example.com' }); track('Signed Up', { plan: 'pro' });`],
  ['@cdp/sdk-web (init+track+identify+page+consent)', `import { init, track, identify, page, consent } from '@cdp/sdk-web';
    init({ writeKey: 'wk', host: 'https://cdp.example.com' }); track('Signed Up', { plan: 'pro' });
    identify('u1', { email: 'a@example.com' }); page(); consent.set({ marketing: false });`],
  ['@segment/analytics-next', `import { AnalyticsBrowser } from '@segment/analytics-next';
    const a = AnalyticsBrowser.load({ writeKey: 'wk' }); a.track('Signed Up', { plan: 'pro' });`],
  ['posthog-js', `import posthog from 'posthog-js';
    posthog.init('phc_key', { api_host: 'https://cdp.example.com' }); posthog.capture('Signed Up', { plan: 'pro' });`],
  ['posthog-js module.slim', `import posthog from 'posthog-js/dist/module.slim';
    posthog.init('phc_key', { api_host: 'https://cdp.example.com' }); posthog.capture('Signed Up', { plan: 'pro' });`],
  ['@rudderstack/analytics-js', `import { RudderAnalytics } from '@rudderstack/analytics-js';
    const a = new RudderAnalytics(); a.load('wk', 'https://cdp.example.com'); a.track('Signed Up', { plan: 'pro' });`],
  ['@jitsu/js', `import { jitsuAnalytics } from '@jitsu/js';
    const a = jitsuAnalytics({ host: 'https://cdp.example.com', writeKey: 'wk' }); a.track('Signed Up', { plan: 'pro' });`],
  ['@snowplow/browser-tracker', `import { newTracker, trackStructEvent } from '@snowplow/browser-tracker';
    newTracker('sp', 'https://cdp.example.com', { appId: 'app' }); trackStructEvent({ category: 'signup', action: 'Signed Up' });`],
];

async function version(name) {
  if (name.startsWith('@cdp/')) return JSON.parse(await readFile(`${root}/package.json`, 'utf8')).version;
  const pkg = name.split(' ')[0];
  return JSON.parse(await readFile(`${root}/node_modules/${pkg}/package.json`, 'utf8')).version;
}

async function measure(contents) {
  const result = await build({
    stdin: { contents, resolveDir: root, sourcefile: 'entry.js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    splitting: true,
    outdir: '/virtual-out',
    write: false,
    metafile: true,
    conditions: ['source'],
    logLevel: 'silent',
  });
  // Metafile paths are relative to the working directory; output files are absolute.
  const outputs = Object.fromEntries(Object.entries(result.metafile.outputs).map(([k, v]) => [resolve(k), v]));
  const upFront = new Set();
  const visit = (path) => {
    if (upFront.has(path)) return;
    upFront.add(path);
    for (const i of outputs[path].imports) if (i.kind === 'import-statement' && !i.external) visit(resolve(i.path));
  };
  // Chunks behind import() are entry points too; ours is the stdin one (sourcefile entry.js).
  visit(Object.keys(outputs).find((k) => outputs[k].entryPoint === 'entry.js'));
  let min = 0, gzip = 0, brotli = 0;
  for (const { path, contents: code } of result.outputFiles) {
    if (!upFront.has(path)) continue;
    min += code.length;
    gzip += gzipSync(code, { level: 9 }).length;
    brotli += brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  }
  return { min, gzip, brotli };
}

const kb = (n) => (n / 1024).toFixed(1);
const rows = [];
for (const [name, contents] of ENTRIES) {
  const size = await measure(contents);
  rows.push({ name, version: await version(name), ...size });
  process.stderr.write(`${name}: gzip ${kb(size.gzip)} KB\n`);
}
const ours = rows[0];
const table = [
  '| SDK | version | min KB | gzip KB | brotli KB | gzip vs @cdp/sdk-web (init+track) |',
  '|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} | ${r.version} | ${kb(r.min)} | ${kb(r.gzip)} | ${kb(r.brotli)} | ${(r.gzip / ours.gzip).toFixed(1)}× |`),
].join('\n');
console.log(table);

const stamp = `Measured ${new Date().toISOString().slice(0, 10)} with Node ${process.version}, esbuild ${(await import('esbuild')).version}, by \`pnpm bench:sdk-web\`.`;
const text = await readFile(readme, 'utf8');
const begin = '<!-- results:begin -->';
const end = '<!-- results:end -->';
await writeFile(readme, `${text.slice(0, text.indexOf(begin) + begin.length)}\n${stamp}\n\n${table}\n${text.slice(text.indexOf(end))}`);
