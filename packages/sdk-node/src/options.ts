import { z } from 'zod';
import { DEFAULT_LIMITS } from '@cdp/protocol';

/** What the queue does when `maxQueueEvents` is reached. Either way a `drop` event reports the count. */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest';

/** Options of {@link Analytics}. Only `writeKey` and `host` are required; see {@link DEFAULT_OPTIONS}. */
export interface Options {
  /** Write key of the source, sent as HTTP Basic user name and as `writeKey` in the body. */
  writeKey: string;
  /** Base URL of the ingestion API or of any Segment-compatible endpoint, e.g. `http://127.0.0.1:8080`. */
  host: string;
  /** Path of the batch endpoint. */
  path?: string;
  /** Most events in one request (the API accepts up to 2,500). */
  maxBatchEvents?: number;
  /** Largest request body before compression, in bytes (the API accepts up to 500 KB). */
  maxBatchBytes?: number;
  /**
   * Largest single serialized event, in bytes; larger events are rejected with an `event_too_large` error.
   * An event must also fit in a batch on its own: the limit in force is the smaller of the two.
   */
  maxEventBytes?: number;
  /** A partial batch is sent at most this long after its first event was queued. */
  flushIntervalMs?: number;
  /** Most events held in memory (queued, being sent or waiting for a retry). */
  maxQueueEvents?: number;
  /** Which events to discard when the queue is full. */
  overflow?: OverflowPolicy;
  /** Most requests in flight (including batches waiting for a retry). */
  maxConcurrentRequests?: number;
  /** Time limit of one HTTP attempt, from sending to the end of the response. */
  requestTimeoutMs?: number;
  /** Retries of a batch after its first attempt (network errors, timeouts, 5xx, 408, 429). 0 disables retries. */
  maxRetries?: number;
  /** Backoff before the first retry; doubles on each retry, with jitter. */
  retryBaseDelayMs?: number;
  /** Longest backoff between retries (a longer `Retry-After` from the server is still honoured). */
  retryMaxDelayMs?: number;
  /** Body compression. Bodies under 1 KB are always sent uncompressed. */
  compression?: 'gzip' | 'none';
  /** How long `close()` waits for delivery when called without `timeoutMs`. */
  closeTimeoutMs?: number;
}

/** Every default, in one place. */
export const DEFAULT_OPTIONS = Object.freeze({
  path: '/v1/batch',
  maxBatchEvents: 500,
  maxBatchBytes: DEFAULT_LIMITS.maxBodyBytes,
  maxEventBytes: DEFAULT_LIMITS.maxEventBytes,
  flushIntervalMs: 10_000,
  maxQueueEvents: 500_000,
  overflow: 'drop-newest',
  maxConcurrentRequests: 4,
  requestTimeoutMs: 10_000,
  maxRetries: 10,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 30_000,
  compression: 'gzip',
  closeTimeoutMs: 10_000,
} as const satisfies Required<Omit<Options, 'writeKey' | 'host'>>);

const int = (min: number, max: number) => z.number().int().min(min).max(max);

const optionsSchema = z.strictObject({
  writeKey: z.string().min(1),
  host: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  path: z.string().startsWith('/').default(DEFAULT_OPTIONS.path),
  maxBatchEvents: int(1, DEFAULT_LIMITS.maxBatchEvents).default(DEFAULT_OPTIONS.maxBatchEvents),
  // A batch must hold at least one event of the largest allowed size.
  maxBatchBytes: int(1024, DEFAULT_LIMITS.maxBodyBytes).default(DEFAULT_OPTIONS.maxBatchBytes),
  maxEventBytes: int(64, DEFAULT_LIMITS.maxEventBytes).default(DEFAULT_OPTIONS.maxEventBytes),
  flushIntervalMs: int(0, 3_600_000).default(DEFAULT_OPTIONS.flushIntervalMs),
  maxQueueEvents: int(1, 100_000_000).default(DEFAULT_OPTIONS.maxQueueEvents),
  overflow: z.enum(['drop-newest', 'drop-oldest']).default(DEFAULT_OPTIONS.overflow),
  maxConcurrentRequests: int(1, 64).default(DEFAULT_OPTIONS.maxConcurrentRequests),
  requestTimeoutMs: int(1, 600_000).default(DEFAULT_OPTIONS.requestTimeoutMs),
  maxRetries: int(0, 100).default(DEFAULT_OPTIONS.maxRetries),
  retryBaseDelayMs: int(0, 600_000).default(DEFAULT_OPTIONS.retryBaseDelayMs),
  retryMaxDelayMs: int(0, 3_600_000).default(DEFAULT_OPTIONS.retryMaxDelayMs),
  compression: z.enum(['gzip', 'none']).default(DEFAULT_OPTIONS.compression),
  closeTimeoutMs: int(0, 3_600_000).default(DEFAULT_OPTIONS.closeTimeoutMs),
});

/** Options after defaults, checked and frozen; `endpoint` is the full batch URL. */
export type ResolvedOptions = Readonly<z.output<typeof optionsSchema> & { endpoint: string; authorization: string }>;

/** Thrown by the constructor only, for an invalid option: the one place the SDK throws. */
export class InvalidOptionsError extends Error {
  override readonly name = 'InvalidOptionsError';
  /** Name of the first offending option, e.g. `maxBatchEvents`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(`@cdp/sdk-node: invalid option ${option}: ${message}`);
    this.option = option;
  }
}

export function resolveOptions(input: Options): ResolvedOptions {
  const result = optionsSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const keys = issue?.code === 'unrecognized_keys' ? issue.keys : [];
    const option = keys.length > 0 ? keys.join(', ') : String(issue?.path[0] ?? 'options');
    throw new InvalidOptionsError(option, issue?.message ?? 'invalid');
  }
  const o = result.data;
  // A host with a base path (https://example.com/segment) keeps it: the path is appended to it.
  const base = new URL(o.host);
  const endpoint = `${base.origin}${base.pathname.replace(/\/$/, '')}${o.path}`;
  const authorization = `Basic ${Buffer.from(`${o.writeKey}:`).toString('base64')}`;
  return Object.freeze({ ...o, endpoint, authorization });
}
