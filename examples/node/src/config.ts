/** Configuration from the environment, with the defaults of a local setup. */
export interface Config {
  /** Ingestion API base URL (CDP_HOST). */
  cdpHost: string;
  /** Write key of the source (CDP_WRITE_KEY); defaults to the local dev key. */
  writeKey: string;
  /** Port this service listens on (PORT). */
  port: number;
}

export const DEFAULT_CDP_HOST = 'http://127.0.0.1:8080';
/** The public local key `cdp-ingest-api --dev` starts with (it listens on loopback only with it). */
export const DEV_WRITE_KEY = 'wk_dev_local_write_key';
export const DEFAULT_PORT = 3000;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const writeKey = env['CDP_WRITE_KEY'] || DEV_WRITE_KEY;
  const port = Number(env['PORT'] ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT is not a port number: ${env['PORT']}`);
  return { cdpHost: env['CDP_HOST'] || DEFAULT_CDP_HOST, writeKey, port };
}
