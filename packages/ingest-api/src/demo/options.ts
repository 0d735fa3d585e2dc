import { z } from 'zod';

/** Every default of `pnpm seed:demo`, in one place. */
export const DEFAULT_DEMO_OPTIONS = {
  /** `bulk` writes the store directly (the server must not be running on it); `http` sends to a running API. */
  mode: 'bulk' as 'bulk' | 'http',
  /** People to generate (each becomes one profile, some after merges). */
  profiles: 10_000,
  /** Target number of events (the mean per person is events / profiles). */
  events: 100_000,
  seed: 42,
  /** Days of history. */
  days: 365,
  /** Time of the latest event (ISO 8601); default: now, to the minute. */
  end: undefined as string | undefined,
  /** Bulk: the data directory of the server (`CDP_DATA_DIR`). */
  dataDir: './.cdp-data',
  /** Bulk: the embedded engine directory (`CDP_ENGINE_DIR`); default `<dataDir>/clickhouse`. */
  engineDir: undefined as string | undefined,
  /** Bulk: a ClickHouse server instead of the embedded engine (`CLICKHOUSE_URL`). */
  clickhouseUrl: undefined as string | undefined,
  /** Bulk: the database (`CDP_DATABASE`). */
  database: 'cdp',
  /** Bulk: name of the workspace created for the demo. */
  workspaceName: 'Demo wallet',
  /** Bulk: events per insert. */
  batchEvents: 50_000,
  /** HTTP: the API's base URL. */
  url: 'http://127.0.0.1:8080',
  /** HTTP: a write key of the target workspace. */
  writeKey: undefined as string | undefined,
  /** HTTP: a secret key of the same workspace, to set the demo's segment settings (optional). */
  secretKey: undefined as string | undefined,
  /** HTTP: requests in flight. */
  concurrency: 4,
  /** HTTP: events per request (whole people; at most 2,500). */
  requestEvents: 500,
  /** Draw a progress bar with an ETA on stderr. */
  progress: true,
};

const isoTime = z.string().refine((v) => Number.isFinite(Date.parse(v)), 'must be an ISO 8601 date-time');

export const demoOptionsSchema = z
  .strictObject({
    mode: z.enum(['bulk', 'http']),
    profiles: z.number().int().min(1).max(5_000_000),
    events: z.number().int().min(1).max(100_000_000),
    seed: z.number().int().min(0).max(2 ** 31 - 1),
    days: z.number().int().min(1).max(3_650),
    end: isoTime.optional(),
    dataDir: z.string().min(1),
    engineDir: z.string().min(1).optional(),
    clickhouseUrl: z.url().optional(),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier'),
    workspaceName: z.string().min(1).max(200),
    batchEvents: z.number().int().min(1_000).max(1_000_000),
    url: z.url(),
    writeKey: z.string().min(8).optional(),
    secretKey: z.string().min(8).optional(),
    concurrency: z.number().int().min(1).max(64),
    requestEvents: z.number().int().min(1).max(2_500),
    progress: z.boolean(),
  })
  .refine((o) => o.mode !== 'http' || o.writeKey !== undefined, { message: 'is required in http mode', path: ['writeKey'] });

export type DemoOptions = Readonly<z.output<typeof demoOptionsSchema>>;
export type DemoOptionsInput = { [K in keyof typeof DEFAULT_DEMO_OPTIONS]?: (typeof DEFAULT_DEMO_OPTIONS)[K] | undefined };

export class DemoOptionsError extends Error {
  override readonly name = 'DemoOptionsError';
}

export function resolveDemoOptions(input: DemoOptionsInput = {}): DemoOptions {
  const merged = { ...DEFAULT_DEMO_OPTIONS };
  for (const [k, v] of Object.entries(input)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  const parsed = demoOptionsSchema.safeParse(Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DemoOptionsError(`invalid option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return Object.freeze(parsed.data);
}

/** The end of the data: the option, else now to the minute (so one run is self-consistent). */
export function demoEnd(options: DemoOptions): number {
  return options.end === undefined ? Math.floor(Date.now() / 60_000) * 60_000 : Date.parse(options.end);
}
