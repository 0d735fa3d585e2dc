import { describe, expect, it } from 'vitest';
import { isRetryableStatus, parseRetryAfter, retryDelay } from './backoff.js';

describe('retryDelay', () => {
  it('doubles from the base with jitter between half and all of the step', () => {
    const at = (retry: number, r: number) => retryDelay({ retry, baseMs: 100, maxMs: 10_000, retryAfterMs: undefined, random: () => r });
    expect([at(1, 0), at(1, 1), at(2, 0), at(2, 1), at(4, 0.5)]).toEqual([50, 100, 100, 200, 600]);
  });

  it('caps at maxMs', () => {
    expect(retryDelay({ retry: 30, baseMs: 100, maxMs: 5_000, retryAfterMs: undefined, random: () => 1 })).toBe(5_000);
  });

  it('waits at least what Retry-After asks, even beyond maxMs', () => {
    expect(retryDelay({ retry: 1, baseMs: 100, maxMs: 1_000, retryAfterMs: 3_000, random: () => 1 })).toBe(3_000);
    expect(retryDelay({ retry: 5, baseMs: 100, maxMs: 10_000, retryAfterMs: 10, random: () => 1 })).toBe(1_600);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2_000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.UTC(2024, 0, 1, 0, 0, 0);
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Mon, 01 Jan 2023 00:00:05 GMT', now)).toBe(0);
  });

  it('ignores absent or malformed values', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
  });
});

describe('isRetryableStatus', () => {
  it('retries 5xx, 408 and 429 only', () => {
    expect([500, 502, 503, 504, 408, 429].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 405, 410, 413, 415].some(isRetryableStatus)).toBe(false);
  });
});
