import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import {
  INSERT_SETTINGS,
  READONLY_LIMITS,
  parseJsonEachRow,
  toClickHouseError,
  type ClickHouseTransport,
  type InsertOptions,
  type QueryOptions,
  type QueryParams,
} from './transport.js';
import { quoteIdent } from './chdb-transport.js';

export interface HttpTransportOptions {
  /** e.g. `http://user:password@clickhouse:8123` */
  url: string;
  database: string;
  requestTimeoutMs?: number;
}

/** Same output as the embedded engine: 64-bit integers as JSON numbers. */
const COMMON_SETTINGS: ClickHouseSettings = { output_format_json_quote_64bit_integers: 0 };

/** A ClickHouse server (or cluster endpoint) over its HTTP interface. */
export class HttpTransport implements ClickHouseTransport {
  readonly kind = 'server' as const;
  readonly #client: ClickHouseClient;

  private constructor(client: ClickHouseClient) {
    this.#client = client;
  }

  static async open(options: HttpTransportOptions): Promise<HttpTransport> {
    const base = {
      url: options.url,
      request_timeout: options.requestTimeoutMs ?? 30_000,
      clickhouse_settings: COMMON_SETTINGS,
      // Failures surface as errors to the caller, which logs them once; the client would log each attempt.
      log: { level: ClickHouseLogLevel.OFF },
    };
    // The database may not exist yet: create it through a client bound to `default`.
    const bootstrap = createClient(base);
    try {
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(options.database)}` });
    } catch (err) {
      throw toClickHouseError(err);
    } finally {
      await bootstrap.close();
    }
    return new HttpTransport(createClient({ ...base, database: options.database }));
  }

  async query<T = Record<string, unknown>>(sql: string, params: QueryParams = {}, options: QueryOptions = {}): Promise<T[]> {
    try {
      const rs = await this.#client.query({
        query: sql,
        query_params: params,
        format: 'JSONEachRow',
        ...(options.readonly === true ? { clickhouse_settings: { ...READONLY_LIMITS, readonly: '1' } } : {}),
        ...(options.signal === undefined ? {} : { abort_signal: options.signal }),
      });
      return parseJsonEachRow<T>(await rs.text());
    } catch (err) {
      throw toClickHouseError(err);
    }
  }

  async *queryLines(sql: string, params: QueryParams = {}, options: QueryOptions = {}): AsyncIterable<string> {
    try {
      const rs = await this.#client.query({
        query: sql,
        query_params: params,
        format: 'JSONEachRow',
        ...(options.readonly === true ? { clickhouse_settings: { ...READONLY_LIMITS, readonly: '1' } } : {}),
      });
      for await (const rows of rs.stream()) {
        for (const row of rows) yield row.text;
      }
    } catch (err) {
      throw toClickHouseError(err);
    }
  }

  async command(sql: string, params: QueryParams = {}): Promise<void> {
    try {
      await this.#client.command({ query: sql, query_params: params });
    } catch (err) {
      throw toClickHouseError(err);
    }
  }

  async insert(options: InsertOptions): Promise<void> {
    const settings: ClickHouseSettings = { ...INSERT_SETTINGS };
    if (options.dedupToken !== undefined) settings.insert_deduplication_token = options.dedupToken;
    try {
      // `insert()` would re-serialize objects; `exec` sends our JSONEachRow bytes untouched.
      const result = await this.#client.exec({
        query: `INSERT INTO ${quoteIdent(options.table)} FORMAT JSONEachRow`,
        values: Readable.from([typeof options.rows === 'string' ? Buffer.from(options.rows) : options.rows], {
          objectMode: false,
        }),
        clickhouse_settings: settings,
      });
      result.stream.resume();
      await new Promise<void>((resolve, reject) => {
        result.stream.once('end', resolve).once('error', reject);
      });
    } catch (err) {
      throw toClickHouseError(err);
    }
  }

  async ping(): Promise<boolean> {
    const r = await this.#client.ping();
    return r.success;
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
