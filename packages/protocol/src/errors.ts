/**
 * The one registry of API error codes. Every error body the API sends is
 * `{ error: { code, message, path? } }` with a code from this table and its
 * HTTP status. Codes are never reused for a different meaning; retired codes
 * stay listed. The ingest-api README documents each one (a test checks it).
 *
 * Status choice follows what SDKs retry: 5xx, 408 and 429 are retried, other
 * 4xx are not. So 4xx is only for input that can never succeed as sent.
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  invalid_body: { status: 400, message: 'The request body does not have the expected shape.' },
  invalid_event: { status: 400, message: 'The event does not match the event schema.' },
  missing_identity: { status: 400, message: 'The event has neither userId nor anonymousId.' },
  invalid_encoding: { status: 400, message: 'The compressed request body could not be decompressed.' },
  invalid_request: { status: 400, message: 'A request parameter is invalid.' },
  query_failed: { status: 400, message: 'The query was rejected by ClickHouse.' },
  missing_write_key: { status: 401, message: 'No write key: send it as HTTP Basic user name or as writeKey in the body.' },
  invalid_write_key: { status: 401, message: 'The write key is not known.' },
  missing_secret_key: { status: 401, message: 'No secret key: send it as Authorization: Bearer <secret key>.' },
  invalid_secret_key: { status: 401, message: 'The secret key is not known.' },
  invalid_admin_key: { status: 401, message: 'The admin key is missing or wrong.' },
  write_key_not_allowed: { status: 403, message: 'Write keys can only send events; use a secret key to read.' },
  admin_disabled: { status: 403, message: 'Admin endpoints are disabled: set CDP_ADMIN_KEY to enable them.' },
  not_found: { status: 404, message: 'Not found.' },
  method_not_allowed: { status: 405, message: 'Method not allowed on this path.' },
  not_ready: { status: 409, message: 'The request is not done yet; poll its status.' },
  conflict: { status: 409, message: 'The request conflicts with the current state (a name already taken, a segment still in use).' },
  event_too_large: { status: 413, message: 'The event is larger than the per-event limit.' },
  body_too_large: { status: 413, message: 'The request body is larger than the limit.' },
  batch_too_large: { status: 413, message: 'The batch has more events than the limit.' },
  unsupported_encoding: { status: 415, message: 'Unsupported Content-Encoding: use gzip, deflate or none.' },
  rate_limited: { status: 429, message: 'Too many requests for this write key; retry after the Retry-After delay.' },
  internal_error: { status: 500, message: 'Internal error.' },
  unavailable: { status: 503, message: 'The service cannot accept events right now; retry later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Body of every error response. `path` names the offending field, e.g. `batch[3].userId`. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    path?: string;
  };
}

/** One rejected event of a batch, reported in a 200 response (the rest were accepted). */
export interface RejectedEvent {
  index: number;
  code: ErrorCode;
  message: string;
  path?: string;
  messageId?: string;
}

/** Body of a successful ingestion response. */
export interface IngestResponse {
  success: true;
  /** Events accepted: durable on the server. Duplicates of earlier messageIds count here and are stored once. */
  accepted: number;
  /** Events rejected as invalid; each was written to the dead-letter table. */
  rejected: RejectedEvent[];
  /** Valid events not stored because a consent category they require was not granted (present when > 0). */
  dropped?: number;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}
