/**
 * Delay before retry number `retry` (1-based): exponential from `baseMs`, capped at
 * `maxMs`, with "equal jitter" (between half and all of the step) so that clients
 * failing together do not retry together, yet the delay still grows. A server's
 * Retry-After wins when it asks for longer.
 */
export function retryDelay(options: {
  retry: number;
  baseMs: number;
  maxMs: number;
  retryAfterMs: number | undefined;
  random?: () => number;
}): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** (options.retry - 1));
  const jittered = step / 2 + (options.random ?? Math.random)() * (step / 2);
  return Math.round(Math.max(jittered, options.retryAfterMs ?? 0));
}

/** Parses `Retry-After` (delay in seconds, or an HTTP date) to milliseconds; undefined when absent or invalid. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date names its day and month ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone takes "-1" too.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Statuses worth retrying: the server may succeed later. Other 4xx will fail the same way again. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
