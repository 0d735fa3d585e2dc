import { OptionsError, type Options } from './options.js';

/**
 * Maps environment variables to Options. Each variable is documented in the
 * package README; an unparsable value fails fast naming the variable.
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): Options {
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new OptionsError(`invalid environment variable ${name}: expected a number, got "${raw}"`);
    return n;
  };
  const bool = (name: string): boolean | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new OptionsError(`invalid environment variable ${name}: expected true or false, got "${raw}"`);
  };
  const str = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const list = (name: string): string[] | undefined =>
    str(name)
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return {
    host: str('HOST'),
    port: num('PORT'),
    dataDir: str('CDP_DATA_DIR'),
    engineDir: str('CDP_ENGINE_DIR'),
    clickhouseUrl: str('CLICKHOUSE_URL'),
    database: str('CDP_DATABASE'),
    writeKey: str('CDP_WRITE_KEY'),
    secretKey: str('CDP_SECRET_KEY'),
    adminKey: str('CDP_ADMIN_KEY'),
    limits: {
      maxEventBytes: num('CDP_MAX_EVENT_BYTES'),
      maxBodyBytes: num('CDP_MAX_BODY_BYTES'),
      maxBatchEvents: num('CDP_MAX_BATCH_EVENTS'),
    },
    rateLimit: { max: num('CDP_RATE_LIMIT_MAX'), windowMs: num('CDP_RATE_LIMIT_WINDOW_MS') },
    corsOrigins: list('CDP_CORS_ORIGINS'),
    captureIp: bool('CDP_CAPTURE_IP'),
    identityResolution: bool('CDP_IDENTITY_RESOLUTION'),
    trustProxy: bool('CDP_TRUST_PROXY'),
    spool: { maxBacklogBytes: num('CDP_SPOOL_MAX_BYTES') },
    flush: { batchWaitMs: num('CDP_FLUSH_INTERVAL_MS'), batchBytes: num('CDP_FLUSH_BATCH_BYTES') },
    propertyColumns: list('CDP_PROPERTY_COLUMNS')?.map((item) => {
      const [property = '', type = ''] = item.split(':').map((s) => s.trim());
      if (type !== 'number' && type !== 'string') {
        throw new OptionsError(`invalid environment variable CDP_PROPERTY_COLUMNS: expected property:number or property:string, got "${item}"`);
      }
      return { property, type };
    }),
    shutdownTimeoutMs: num('CDP_SHUTDOWN_TIMEOUT_MS'),
    logLevel: str('LOG_LEVEL') as Options['logLevel'],
  };
}
