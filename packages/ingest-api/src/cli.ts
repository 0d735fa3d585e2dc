#!/usr/bin/env -S node --max-semi-space-size=64
import { isAbsolute, resolve } from 'node:path';
import { createApp } from './app.js';
import { optionsFromEnv } from './config/env.js';
import { OptionsError, type Options } from './config/options.js';

/**
 * `cdp-ingest-api [--dev]`. Configuration comes from the environment (see the
 * README). `--dev` fills in well-known local keys when none are set, so a fresh
 * clone starts with one command; it refuses to listen beyond loopback with them.
 */
const DEV_KEYS = { writeKey: 'wk_dev_local_write_key', secretKey: 'sk_dev_local_secret_key', adminKey: 'admin_dev_local_admin_key' };
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

async function main(): Promise<void> {
  const dev = process.argv.includes('--dev');
  let options: Options;
  try {
    options = optionsFromEnv();
  } catch (err) {
    fail(err);
  }
  const usingDevKeys: string[] = [];
  if (dev) {
    for (const k of ['writeKey', 'secretKey', 'adminKey'] as const) {
      if (options[k] === undefined) {
        options[k] = DEV_KEYS[k];
        usingDevKeys.push(k);
      }
    }
    if (usingDevKeys.length > 0 && !LOOPBACK.has(options.host ?? '127.0.0.1')) {
      fail(new Error(`--dev keys are public; set CDP_WRITE_KEY, CDP_SECRET_KEY and CDP_ADMIN_KEY to listen on ${options.host}`));
    }
  }
  const dataDir = options.dataDir ?? './.cdp-data';
  options.dataDir = isAbsolute(dataDir) ? dataDir : resolve(process.env['INIT_CWD'] ?? process.cwd(), dataDir);

  let app;
  try {
    app = await createApp(options);
  } catch (err) {
    fail(err);
  }
  const url = await app.listen();
  const o = app.options;
  const lines = [
    '',
    `CDP ingestion API listening on ${url}`,
    `  storage: ${o.clickhouseUrl === undefined ? `embedded ClickHouse (chdb) in ${o.dataDir}` : 'ClickHouse server (CLICKHOUSE_URL)'}, database "${o.database}"`,
    o.writeKey === undefined ? '  write key: none from the environment (create workspaces with the admin API)' : `  write key:  ${o.writeKey}${usingDevKeys.includes('writeKey') ? '   (dev)' : ''}`,
    o.secretKey === undefined ? '' : `  secret key: ${o.secretKey}${usingDevKeys.includes('secretKey') ? '   (dev)' : ''}`,
    o.adminKey === undefined ? '  admin API: disabled (set CDP_ADMIN_KEY)' : `  admin key:  ${o.adminKey}${usingDevKeys.includes('adminKey') ? '   (dev)' : ''}`,
    `  try: curl -u ${o.writeKey ?? '<write key>'}: ${url}/v1/track -H 'content-type: application/json' -d '{"userId":"u1","event":"Signed Up"}'`,
    '',
  ].filter((l) => l !== '');
  // The banner goes to stderr so stdout stays pure JSON logs.
  process.stderr.write(`\n${lines.join('\n')}\n\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down: flushing events to ClickHouse');
    app
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        app.logger.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function fail(err: unknown): never {
  const message = err instanceof OptionsError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`cdp-ingest-api: ${message}\n`);
  process.exit(1);
}

void main();
