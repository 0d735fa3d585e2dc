/**
 * The narrow interface every ClickHouse access goes through. Two
 * implementations run the same SQL: the embedded engine (chdb) and a
 * ClickHouse server over HTTP (@clickhouse/client). Every value is a bound
 * parameter (`{name:Type}` in the SQL, `params` here); SQL text never holds data.
 */
export type QueryParams = Record<string, unknown>;

export interface QueryOptions {
  /** Run with ClickHouse `readonly=1` (admin SQL). */
  readonly?: boolean;
  signal?: AbortSignal;
}

export interface InsertOptions {
  table: string;
  /** JSONEachRow bytes, one row per line. Sent as-is; never parsed in JS. */
  rows: Buffer | string;
  /** Makes a retried insert idempotent (needs `non_replicated_deduplication_window` on the table). */
  dedupToken?: string;
}

export interface ClickHouseTransport {
  readonly kind: 'embedded' | 'server';
  /** A SELECT returning rows as objects (JSONEachRow). */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams, options?: QueryOptions): Promise<T[]>;
  /** Streams a SELECT result as JSONEachRow lines, chunk by chunk. */
  queryLines(sql: string, params?: QueryParams, options?: QueryOptions): AsyncIterable<string>;
  /** DDL, mutations and other statements without a result. */
  command(sql: string, params?: QueryParams): Promise<void>;
  insert(options: InsertOptions): Promise<void>;
  /** True when the store answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Settings every insert uses, on both transports, so the stored bytes are identical. */
export const INSERT_SETTINGS = {
  // The application batches; chdb's default async_insert with wait is much slower for our sizes.
  async_insert: 0,
  // Timestamps are sent as ISO-8601 text with milliseconds.
  date_time_input_format: 'best_effort',
  // properties/traits/context arrive as JSON objects and are stored as their raw JSON text.
  input_format_json_read_objects_as_strings: 1,
  input_format_json_read_arrays_as_strings: 1,
} as const;

/** Settings for admin read-only SQL: bounded work and output. */
export const READONLY_LIMITS = {
  max_execution_time: 30,
  max_result_rows: '100000',
  result_overflow_mode: 'break',
} as const;

export class ClickHouseError extends Error {
  override readonly name = 'ClickHouseError';
  constructor(
    message: string,
    /** ClickHouse's numeric error code when known (e.g. 164 READONLY, 62 SYNTAX_ERROR). */
    readonly clickhouseCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Codes that mean the statement itself is wrong, not that the store is down: bad SQL, limits, and values ClickHouse
 * cannot parse (an insert refused for one of these is bisected down to its bad rows rather than retried forever:
 * 25 CANNOT_PARSE_ESCAPE_SEQUENCE, 26 CANNOT_PARSE_QUOTED_STRING, 32 ATTEMPT_TO_READ_AFTER_EOF, 38 CANNOT_PARSE_DATE,
 * 41 CANNOT_PARSE_DATETIME, 69 ARGUMENT_OUT_OF_BOUND, 72 CANNOT_PARSE_NUMBER, 117 INCORRECT_DATA,
 * 131 TOO_LARGE_STRING_SIZE, 321 VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE, 349 CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN,
 * 376 CANNOT_PARSE_UUID, 467 CANNOT_PARSE_BOOL, 632 UNEXPECTED_DATA_AFTER_PARSED_VALUE, 691 UNKNOWN_ELEMENT_OF_ENUM).
 */
const CLIENT_ERROR_CODES = new Set([
  6, 27, 36, 43, 46, 47, 53, 60, 62, 70, 81, 115, 164, 158, 159, 170, 241, 307, 386, 396, 457, 472, 497,
  25, 26, 32, 38, 41, 69, 72, 117, 131, 321, 349, 376, 467, 632, 691,
]);

/** True when retrying the same statement cannot succeed (bad SQL, readonly violation, limits). */
export function isStatementError(err: unknown): boolean {
  return err instanceof ClickHouseError && err.clickhouseCode !== undefined && CLIENT_ERROR_CODES.has(err.clickhouseCode);
}

const CODE_IN_MESSAGE = /Code: (\d+)\./;

export function toClickHouseError(err: unknown): ClickHouseError {
  if (err instanceof ClickHouseError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // chdb sets a numeric `clickhouseCode`; @clickhouse/client a numeric-string `code`.
  const e = err as { clickhouseCode?: unknown; code?: unknown } | null;
  const codeMatch = CODE_IN_MESSAGE.exec(message);
  const code =
    typeof e?.clickhouseCode === 'number'
      ? e.clickhouseCode
      : typeof e?.code === 'string' && /^\d+$/.test(e.code)
        ? Number(e.code)
        : codeMatch?.[1] !== undefined
          ? Number(codeMatch[1])
          : undefined;
  return new ClickHouseError(message, code, { cause: err });
}

/** Splits a JSONEachRow text into parsed rows. */
export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (end > start) rows.push(JSON.parse(text.slice(start, end)) as T);
    start = end + 1;
  }
  return rows;
}
