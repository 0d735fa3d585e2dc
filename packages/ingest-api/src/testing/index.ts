import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { createApp, type App } from '../app.js';
import { createLogger } from '../http/logger.js';
import type { Options } from '../config/options.js';
import type { QueryParams } from '../storage/transport.js';

export { startClickHouseHttpFront, type ClickHouseHttpFront } from './clickhouse-http-front.js';

export interface TestApi {
  url: string;
  writeKey: string;
  secretKey: string;
  adminKey: string;
  workspaceId: string;
  /** Spool and (embedded) engine directory of this instance. */
  dataDir: string;
  database: string;
  app: App;
  /** Runs SQL against the instance's store (tables unqualified). */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Waits until everything acknowledged is committed to ClickHouse. */
  flush(): Promise<void>;
  /** Graceful stop; the data stays for a restart unless `cleanup` is true (default). */
  close(options?: { cleanup?: boolean }): Promise<void>;
}

export interface StartTestApiOptions {
  /** Extra server options (limits, rate limit, ...). */
  options?: Options;
  /** Reuse the data of an earlier instance (restart). */
  reuse?: Pick<TestApi, 'dataDir' | 'database' | 'writeKey' | 'secretKey' | 'adminKey'>;
  /** Receives every log line as a parsed object (e.g. to check redaction). */
  onLog?: (line: Record<string, unknown>) => void;
}

/**
 * libchdb allows one data directory per process, so every test instance of a
 * process shares one engine directory and gets its own database; the spool
 * lives in the instance's own directory.
 */
let engineDir: string | undefined;
function sharedEngineDir(): string {
  engineDir ??= mkdtempSync(join(tmpdir(), `cdp-engine-${process.pid}-`));
  return engineDir;
}

/** Starts the real server on 127.0.0.1 with a random port and fresh keys. */
export async function startTestApi(input: StartTestApiOptions = {}): Promise<TestApi> {
  const reuse = input.reuse;
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'cdp-test-'));
  const database = reuse?.database ?? `cdp_test_${randomBytes(6).toString('hex')}`;
  const writeKey = reuse?.writeKey ?? `wk_test_${randomBytes(12).toString('hex')}`;
  const secretKey = reuse?.secretKey ?? `sk_test_${randomBytes(12).toString('hex')}`;
  const adminKey = reuse?.adminKey ?? `admin_test_${randomBytes(12).toString('hex')}`;
  const onLog = input.onLog;
  const logger: Logger =
    onLog === undefined
      ? pino({ level: 'silent' })
      : createLogger({ level: 'info', destination: { write: (line: string) => onLog(JSON.parse(line) as Record<string, unknown>) } });
  const options: Options = {
    host: '127.0.0.1',
    port: 0,
    database,
    writeKey,
    secretKey,
    adminKey,
    ...input.options,
    dataDir,
    flush: { batchWaitMs: 20, ...input.options?.flush },
  };
  const app = await createApp({ ...options, logger, ...engineOverride(options) });
  const url = await app.listen();
  return {
    url,
    writeKey,
    secretKey,
    adminKey,
    workspaceId: 'default',
    dataDir,
    database,
    app,
    query: (sql, params) => app.store.query(sql, params ?? {}),
    flush: () => app.flush(),
    async close(options = {}) {
      await app.close();
      if (options.cleanup !== false) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Points the embedded engine at the process-wide directory (ignored for a ClickHouse server). */
function engineOverride(options: Options): { engineDir?: string } {
  return options.clickhouseUrl === undefined ? { engineDir: sharedEngineDir() } : {};
}
