import { ERROR_CODES, type ErrorBody, type ErrorCode } from '@cdp/protocol';

/** An error with a registry code; the error handler turns it into `{ error: { code, message, path } }`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly path: string | undefined;
  /** Extra top-level fields of the response body (e.g. the rejected events of a batch). */
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    options: { message?: string; path?: string; extra?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(options.message ?? ERROR_CODES[code].message, { cause: options.cause });
    this.code = code;
    this.statusCode = ERROR_CODES[code].status;
    this.path = options.path;
    this.extra = options.extra;
    this.headers = options.headers;
  }

  toBody(): ErrorBody & Record<string, unknown> {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.path !== undefined) error.path = this.path;
    return { ...this.extra, error };
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
