import { mkdirSync } from 'node:fs';
import { Session, drainPending } from 'chdb';
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

export interface ChdbTransportOptions {
  /** Directory holding the engine's data. One per process (a libchdb constraint). */
  path: string;
  database: string;
}

/**
 * The embedded engine. Writes, reads and admin SQL use separate sessions on the
 * same data directory: a chdb session serializes its calls, so an insert queued
 * behind a long read would wait for it; and the admin session is locked to
 * `readonly=1` for its whole life (readonly cannot be lifted once set).
 */
const READONLY_STATEMENTS = [
  `SET ${Object.entries(READONLY_LIMITS)
    .map(([k, v]) => `${k} = ${typeof v === 'string' && !/^\d+$/.test(v) ? `'${v}'` : v}`)
    .join(', ')}`,
  'SET readonly = 1',
];

export class ChdbTransport implements ClickHouseTransport {
  readonly kind = 'embedded' as const;
  readonly #path: string;
  readonly #database: string;
  #write: Session | undefined;
  #read: Session | undefined;
  #readonly: Session | undefined;
  #closed = false;
  /** Native calls in flight: closing a session under one of them crashes the process. */
  readonly #inflight = new Set<Promise<unknown>>();

  private constructor(options: ChdbTransportOptions) {
    this.#path = options.path;
    this.#database = options.database;
  }

  static async open(options: ChdbTransportOptions): Promise<ChdbTransport> {
    mkdirSync(options.path, { recursive: true });
    const t = new ChdbTransport(options);
    try {
      t.#write = new Session(options.path);
      await t.#write.queryAsync(`CREATE DATABASE IF NOT EXISTS ${quoteIdent(options.database)}`);
      await t.#write.queryAsync(`USE ${quoteIdent(options.database)}`);
      t.#read = await t.#session();
      return t;
    } catch (err) {
      await t.close();
      throw toClickHouseError(err);
    }
  }

  async #session(settings: string[] = []): Promise<Session> {
    const s = new Session(this.#path);
    await s.queryAsync(`USE ${quoteIdent(this.#database)}`);
    for (const stmt of settings) await s.queryAsync(stmt);
    return s;
  }

  async #readonlySession(): Promise<Session> {
    this.#readonly ??= await this.#session(READONLY_STATEMENTS);
    return this.#readonly;
  }

  /** Runs a native call, tracked so that close() can wait for it. */
  #track<T>(op: Promise<T>): Promise<T> {
    this.#inflight.add(op);
    const done = () => this.#inflight.delete(op);
    op.then(done, done);
    return op;
  }

  #live(session: Session | undefined): Session {
    if (this.#closed || session === undefined) throw toClickHouseError(new Error('the ClickHouse store is closed'));
    return session;
  }

  async query<T = Record<string, unknown>>(sql: string, params: QueryParams = {}, options: QueryOptions = {}): Promise<T[]> {
    const session = options.readonly === true ? await this.#readonlySession() : this.#live(this.#read);
    try {
      const opts = options.signal === undefined ? { format: 'JSONEachRow' } : { format: 'JSONEachRow', signal: options.signal };
      const result = await this.#track(session.queryBindAsync(sql, bindable(params), opts));
      return parseJsonEachRow<T>(result.text());
    } catch (err) {
      throw toClickHouseError(err);
    }
  }

  async *queryLines(sql: string, params: QueryParams = {}, options: QueryOptions = {}): AsyncIterable<string> {
    // A session streams one result at a time, so each stream gets its own session.
    const session = await this.#session(options.readonly === true ? READONLY_STATEMENTS : []);
    let finished!: () => void;
    void this.#track(new Promise<void>((resolve) => (finished = resolve)));
    try {
      const stream = session.queryStreamBind(sql, bindable(params), { format: 'JSONEachRow' });
      for await (const chunk of stream) {
        const text = chunk.text();
        let start = 0;
        while (start < text.length) {
          let end = text.indexOf('\n', start);
          if (end === -1) end = text.length;
          if (end > start) yield text.slice(start, end);
          start = end + 1;
        }
      }
    } catch (err) {
      throw toClickHouseError(err);
    } finally {
      session.close();
      finished();
    }
  }

  async command(sql: string, params: QueryParams = {}): Promise<void> {
    try {
      await this.#track(this.#live(this.#write).queryBindAsync(sql, bindable(params)));
    } catch (err) {
      throw toClickHouseError(err);
    }
  }

  async insert(options: InsertOptions): Promise<void> {
    const settings: Record<string, string | number> = { ...INSERT_SETTINGS };
    if (options.dedupToken !== undefined) settings['insert_deduplication_token'] = options.dedupToken;
    try {
      await this.#track(
        this.#live(this.#write).insert({
          table: options.table,
          values: typeof options.rows === 'string' ? Buffer.from(options.rows) : options.rows,
          format: 'JSONEachRow',
          settings,
        }),
      );
    } catch (err) {
      throw toClickHouseError(err);
    }
  }

  async ping(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await this.#track(this.#live(this.#read).queryAsync('SELECT 1'));
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inflight]);
    for (const s of [this.#readonly, this.#read, this.#write]) s?.close();
    await drainPending();
  }
}

/** Backquotes an identifier that comes from configuration (database name), never from requests. */
export function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid identifier: ${name}`);
  return `\`${name}\``;
}

/**
 * Parameters as chdb binds them. It refuses a number that is an integer beyond ±2^53 (1e300, or 2^53 + 1 as JSON
 * parsed it), asking for a bigint; such a number is a valid Float64, and @clickhouse/client sends it as text. As a
 * bigint (exactly its value) it binds on both, so the same query works on both transports. Copied only when needed.
 */
export function bindable(params: QueryParams): QueryParams {
  if (!Object.values(params).some(hasUnsafeInteger)) return params;
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, withBigInts(v)]));
}

function isUnsafeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v);
}

function hasUnsafeInteger(v: unknown): boolean {
  if (isUnsafeInteger(v)) return true;
  if (Array.isArray(v)) return v.some(hasUnsafeInteger);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasUnsafeInteger);
  return false;
}

function withBigInts(v: unknown): unknown {
  if (isUnsafeInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(withBigInts);
  if (typeof v === 'object' && v !== null && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withBigInts(x)]));
  return v;
}
