/**
 * The SDK never throws into the host page: every failure becomes an `SdkError`
 * passed to `on('error', ...)` listeners.
 */
export type SdkErrorCode =
  /** `init` got an option of the wrong type or range; the SDK stays inactive. */
  | 'invalid_options'
  /** `init` was called again; the second call is ignored. */
  | 'already_initialized'
  /** A call got an argument of the wrong type (e.g. `track('')`); the call is ignored. */
  | 'invalid_argument'
  /** The serialized event is larger than the per-event limit (32 KB); it is dropped. */
  | 'event_too_large'
  /** The persisted queue was full; the oldest event was dropped. */
  | 'queue_full'
  /** localStorage refused a write (quota, blocked); the SDK keeps going in memory. */
  | 'storage_failed'
  /** A plugin's `beforeSend` threw; the event is dropped (fail closed, so PII redaction cannot be skipped). */
  | 'plugin_failed'
  /** A batch could not be delivered (network, 5xx, 408, 429); it stays queued and is retried. */
  | 'delivery_failed'
  /** The API refused events permanently (4xx or `rejected` entries); they are dropped. */
  | 'event_rejected'
  /** An unexpected exception inside the SDK. */
  | 'internal_error';

export interface SdkErrorDetails {
  /** HTTP status of the response, when there was one. */
  status?: number;
  /** The retry attempt this failure ends (1 for the first failure). */
  attempt?: number;
  /** messageIds of the events concerned. */
  messageIds?: string[];
  /** The option or argument at fault, e.g. `consent.model`. */
  path?: string;
}

export class SdkError extends Error {
  override readonly name = 'SdkError';
  declare readonly code: SdkErrorCode;
  declare readonly details: SdkErrorDetails;

  constructor(code: SdkErrorCode, message: string, options: { cause?: unknown; details?: SdkErrorDetails } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

export function isSdkError(value: unknown): value is SdkError {
  return value instanceof SdkError;
}
