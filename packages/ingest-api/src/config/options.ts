import { z } from 'zod';
import { DEFAULT_LIMITS, type Limits } from '@cdp/protocol';

/**
 * Every default of the server, in one place. `Options` (public, all optional)
 * is validated and merged over these into the frozen `ResolvedOptions`.
 */
export const DEFAULT_OPTIONS = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './.cdp-data',
  /** Embedded engine directory; undefined means `<dataDir>/clickhouse`. */
  engineDir: undefined as string | undefined,
  clickhouseUrl: undefined as string | undefined,
  database: 'cdp',
  writeKey: undefined as string | undefined,
  secretKey: undefined as string | undefined,
  adminKey: undefined as string | undefined,
  limits: { ...DEFAULT_LIMITS } as Limits,
  rateLimit: { max: 5_000, windowMs: 1_000 },
  corsOrigins: ['*'] as string[],
  captureIp: false,
  /** Resolve every event to a profile at ingestion (off: profile_id stays empty; for benchmarks and pure event capture). */
  identityResolution: true,
  trustProxy: false,
  spool: {
    maxSegmentBytes: 64 * 1024 * 1024,
    maxBacklogBytes: 10 * 1024 * 1024 * 1024,
  },
  flush: {
    batchBytes: 4 * 1024 * 1024,
    batchWaitMs: 200,
    // ~16k events: large enough for efficient inserts, small enough that processing a batch
    // never blocks the event loop (and request latency) for long.
    maxBatchBytes: 8 * 1024 * 1024,
    dedupCapacity: 200_000,
    retryMinMs: 100,
    retryMaxMs: 5_000,
  },
  /** Top-level event properties kept in typed columns of `events`, read by segments instead of parsing JSON. */
  propertyColumns: [] as Array<{ property: string; type: 'number' | 'string' }>,
  shutdownTimeoutMs: 10_000,
  logLevel: 'info' as 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent',
};

/** Property names of `propertyColumns`: they go into a column name and a DDL string literal as they are. */
export const PROPERTY_COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const positiveInt = z.number().int().positive();
const key = z.string().min(8, 'must be at least 8 characters');

const optionsSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65_535),
    dataDir: z.string().min(1),
    engineDir: z.string().min(1).optional(),
    clickhouseUrl: z.url().optional(),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier'),
    writeKey: key.optional(),
    secretKey: key.optional(),
    adminKey: z.string().min(16, 'must be at least 16 characters').optional(),
    limits: z.object({
      maxEventBytes: positiveInt,
      maxBodyBytes: positiveInt,
      maxBatchEvents: positiveInt,
      maxMessageIdLength: positiveInt,
    }),
    rateLimit: z.object({ max: z.number().int().min(0), windowMs: positiveInt }),
    corsOrigins: z.array(z.string().min(1)),
    captureIp: z.boolean(),
    identityResolution: z.boolean(),
    trustProxy: z.boolean(),
    spool: z.object({ maxSegmentBytes: positiveInt, maxBacklogBytes: positiveInt }),
    flush: z.object({
      batchBytes: positiveInt,
      batchWaitMs: positiveInt,
      maxBatchBytes: positiveInt,
      dedupCapacity: positiveInt,
      retryMinMs: positiveInt,
      retryMaxMs: positiveInt,
    }),
    propertyColumns: z
      .array(
        z.strictObject({
          property: z.string().regex(PROPERTY_COLUMN_NAME, 'must be a top-level property name: letters, digits and _, not starting with a digit, at most 63'),
          type: z.enum(['number', 'string']),
        }),
      )
      .max(64)
      .refine((list) => new Set(list.map((p) => `${p.property}:${p.type}`)).size === list.length, 'lists a property and type twice'),
    shutdownTimeoutMs: positiveInt,
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  })
  .refine((o) => o.limits.maxEventBytes <= o.limits.maxBodyBytes, {
    message: 'must not exceed limits.maxBodyBytes',
    path: ['limits', 'maxEventBytes'],
  })
  .refine((o) => o.writeKey === undefined || o.writeKey !== o.secretKey, {
    message: 'must differ from writeKey',
    path: ['secretKey'],
  });

export type ResolvedOptions = Readonly<z.output<typeof optionsSchema>>;

type DeepPartial<T> = {
  [K in keyof T]?: (T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K]) | undefined;
};
/** Server options; every field is optional and defaults to DEFAULT_OPTIONS. */
export type Options = DeepPartial<typeof DEFAULT_OPTIONS>;

export class OptionsError extends Error {
  override readonly name = 'OptionsError';
}

/** Merges options over the defaults and validates them; throws OptionsError naming the bad option. */
export function resolveOptions(options: Options = {}): ResolvedOptions {
  const merged = {
    ...DEFAULT_OPTIONS,
    ...stripUndefined(options),
    limits: { ...DEFAULT_OPTIONS.limits, ...stripUndefined(options.limits ?? {}) },
    rateLimit: { ...DEFAULT_OPTIONS.rateLimit, ...stripUndefined(options.rateLimit ?? {}) },
    spool: { ...DEFAULT_OPTIONS.spool, ...stripUndefined(options.spool ?? {}) },
    flush: { ...DEFAULT_OPTIONS.flush, ...stripUndefined(options.flush ?? {}) },
  };
  const parsed = optionsSchema.safeParse(stripUndefined(merged));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    throw new OptionsError(`invalid option ${path}: ${issue?.message ?? 'invalid'}`);
  }
  return deepFreeze(parsed.data);
}

function stripUndefined<T extends object>(o: T): T {
  const out = {} as T;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
