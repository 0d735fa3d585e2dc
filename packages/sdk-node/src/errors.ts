import type { ErrorBody, EventType } from '@cdp/protocol';

/** The `error` field of an API error body, or of one rejected event of a 200 response. */
export type ApiError = ErrorBody['error'] | { code: string; message: string; path?: string };

interface BaseInit {
  message: string;
  messageIds: readonly string[];
  cause?: unknown;
}

/** Base of every error the SDK reports through its `error` event. Never thrown into the host. */
export abstract class SdkError extends Error {
  abstract readonly code: string;
  /** messageIds of the affected events (generated ones included). */
  readonly messageIds: readonly string[];
  /** Number of affected events (`messageIds.length`). */
  readonly count: number;
  constructor(init: BaseInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.messageIds = init.messageIds;
    this.count = init.messageIds.length;
  }
}

/**
 * An event refused before sending: bad input at the call (`invalid_event`, `path` names the
 * field), a value JSON cannot encode (`invalid_event`, `cause` is the JSON error) or an event
 * larger than `maxEventBytes` (`event_too_large`).
 */
export class InvalidEventError extends SdkError {
  override readonly name = 'InvalidEventError';
  readonly code: 'invalid_event' | 'event_too_large';
  /** Offending field, e.g. `userId` or `properties`; '' for the whole event. */
  readonly path: string;
  /** The call that produced the event. */
  readonly type: EventType;
  constructor(init: BaseInit & { code: InvalidEventError['code']; path: string; type: EventType }) {
    super(init);
    this.code = init.code;
    this.path = init.path;
    this.type = init.type;
  }
}

/** One event the API refused in an otherwise accepted batch. */
export interface RejectedEventDetail {
  messageId: string;
  code: string;
  message: string;
  path?: string;
}

/**
 * Events that were sent but not accepted:
 * - `request_rejected`: a 4xx other than 408/429, not retried (`status`, `apiError` from the body);
 * - `delivery_failed`: network errors, timeouts, 5xx, 408 or 429 until retries ran out (`cause` is the last one);
 * - `event_rejected`: a 200 response listed these events in `rejected` (`rejected` has the details).
 */
export class DeliveryError extends SdkError {
  override readonly name = 'DeliveryError';
  readonly code: 'request_rejected' | 'delivery_failed' | 'event_rejected';
  /** HTTP status of the last attempt; undefined after a network error or timeout. */
  readonly status: number | undefined;
  /** Attempts made for the batch. */
  readonly attempts: number;
  readonly apiError: ApiError | undefined;
  readonly rejected: readonly RejectedEventDetail[];
  constructor(
    init: BaseInit & {
      code: DeliveryError['code'];
      status?: number | undefined;
      attempts: number;
      apiError?: ApiError | undefined;
      rejected?: readonly RejectedEventDetail[];
    },
  ) {
    super(init);
    this.code = init.code;
    this.status = init.status;
    this.attempts = init.attempts;
    this.apiError = init.apiError;
    this.rejected = init.rejected ?? [];
  }
}

/** An HTTP attempt that got no response in `requestTimeoutMs`; appears as `cause` of a `delivery_failed` error. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  readonly code = 'request_timeout';
  constructor(timeoutMs: number) {
    super(`no response within ${timeoutMs} ms`);
  }
}

/** An HTTP response that asks for a retry (5xx, 408, 429); appears as `cause` of a `delivery_failed` error. */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  readonly status: number;
  readonly apiError: ApiError | undefined;
  constructor(status: number, apiError: ApiError | undefined) {
    super(`HTTP ${status}${apiError === undefined ? '' : ` ${apiError.code}: ${apiError.message}`}`);
    this.status = status;
    this.apiError = apiError;
  }
}

/** Every error the `error` event carries. */
export type AnalyticsError = InvalidEventError | DeliveryError;

export function isAnalyticsError(value: unknown): value is AnalyticsError {
  return value instanceof InvalidEventError || value instanceof DeliveryError;
}
