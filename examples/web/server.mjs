#!/usr/bin/env node
// Serves the example page and the built SDK (dist/cdp.global.js of @cdp/sdk-web).
// By hand: `pnpm -C examples/web start` with the API running (`pnpm start` at the repository root).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PAGE = fileURLToPath(new URL('./index.html', import.meta.url));
const SDK = createRequire(import.meta.url).resolve('@cdp/sdk-web/cdp.global.js');

/** Defaults for running by hand: the API's `--dev` write key on its default port. */
export const EXAMPLE_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 5173,
  apiUrl: 'http://127.0.0.1:8080',
  writeKey: 'wk_dev_local_write_key',
});

/** @param {{ host?: string, port?: number, apiUrl?: string, writeKey?: string }} [options] */
export async function startExampleServer(options = {}) {
  const o = { ...EXAMPLE_DEFAULTS, ...options };
  const config = `<script>window.CDP_EXAMPLE = ${JSON.stringify({ host: o.apiUrl, writeKey: o.writeKey })};</script>`;
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    try {
      if (path === '/' || path === '/index.html') {
        const html = (await readFile(PAGE, 'utf8')).replace('<!-- CDP_EXAMPLE_CONFIG -->', config);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
      } else if (path === '/cdp.global.js') {
        res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' }).end(await readFile(SDK));
      } else {
        res.writeHead(404).end('not found');
      }
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise((resolve) => server.listen(o.port, o.host, () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  return {
    port,
    url: `http://${o.host}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = process.env;
  const site = await startExampleServer({
    ...(env.PORT && { port: Number(env.PORT) }),
    ...(env.CDP_API_URL && { apiUrl: env.CDP_API_URL }),
    ...(env.CDP_WRITE_KEY && { writeKey: env.CDP_WRITE_KEY }),
  });
  process.stderr.write(`Example page on ${site.url} (events to ${env.CDP_API_URL ?? EXAMPLE_DEFAULTS.apiUrl})\n`);
}
