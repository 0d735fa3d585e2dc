import type { EventMatcher } from '../definition/conditions.js';
import { pathKeys, type PropertyPath } from '../definition/primitives.js';
import { filterSql, jsonExtract, propertyColumn, type SqlContext } from './values.js';

/**
 * Per-profile aggregates of the scans. Each is computed twice: per stored
 * profile id while scanning its source (layer 1, `a<i>`), then merged per
 * surviving profile (layer 2, `b<i>`), so events stored under a merged-away id
 * count for its survivor. Only aggregates whose partial results merge exactly
 * are used: counts and sums add, minima and maxima combine, arrays concatenate.
 */
export type Merge = 'sum' | 'min' | 'max' | 'concat';

/**
 * Where a layer-1 aggregate is read: `events`, or `profile_activity` (first and
 * last event and the dates with events, of each type per stored profile, kept
 * at insert: ~2 rows per profile instead of every event).
 */
export type Source = 'events' | 'activity';

/** How a source is scanned. */
export interface SourceScan {
  table: string;
  /** Its own row condition besides the workspace ('' = none). */
  where: string;
  /**
   * Whether its rows are grouped per stored profile id before the merge per
   * survivor. `profile_activity` has ~2 rows per stored profile: grouping them
   * twice costs more than passing its rows straight to the per-survivor merge
   * (a lifecycle segment 10-15% faster; see the segments bench README), so its
   * "aggregates" are row values that the merge's min/max combine.
   */
  grouped: boolean;
}

/** Events without a profile are skipped; `profile_activity`'s view never stores them. */
export const SOURCES: Record<Source, SourceScan> = {
  events: { table: 'events', where: 'NOT empty(profile_key)', grouped: true },
  activity: { table: 'profile_activity', where: '', grouped: false },
};

interface PartialSpec {
  /** Aggregate over the rows of one stored profile id (a row value when the source is not grouped). */
  sql: string;
  /** Its ClickHouse type (also of the neutral value). */
  type: string;
  /** The value for a profile without events. */
  neutral: string;
  merge: Merge;
  /** A condition on the row that the aggregate needs (for the scan's WHERE). */
  rows: string;
  source: Source;
}

const MERGE_SQL: Record<Merge, (col: string) => string> = {
  sum: (c) => `sum(${c})`,
  min: (c) => `min(${c})`,
  max: (c) => `max(${c})`,
  concat: (c) => `groupArrayArray(${c})`,
};

const TS_TYPE = "Nullable(DateTime64(3, 'UTC'))";
const DAYS_NEUTRAL = 'CAST([] AS Array(Date))';

export class Partials {
  readonly #specs: PartialSpec[] = [];
  readonly #byKey = new Map<string, string>();

  get size(): number {
    return this.#specs.length;
  }

  /** Registers an aggregate; identical aggregates (same SQL, same parameters) are computed once. */
  #add(spec: PartialSpec): string {
    const key = `${spec.source}|${spec.merge}|${spec.sql}`;
    const known = this.#byKey.get(key);
    if (known !== undefined) return known;
    const name = `b${this.#specs.length}`;
    this.#specs.push(spec);
    this.#byKey.set(key, name);
    return name;
  }

  /** Number of matching events. */
  count(rows: string): string {
    return this.#add({ sql: `countIf(${rows})`, type: 'UInt64', neutral: 'toUInt64(0)', merge: 'sum', rows, source: 'events' });
  }

  /** Sum / min / max of a numeric value over matching events; NULL when no event has the value. */
  value(rows: string, value: string, fn: 'sum' | 'min' | 'max'): string {
    return this.#add({ sql: `${fn}(if(${rows}, ${value}, NULL))`, type: 'Nullable(Float64)', neutral: 'CAST(NULL AS Nullable(Float64))', merge: fn, rows, source: 'events' });
  }

  /** Number of matching events that have the value. */
  valueCount(rows: string, value: string): string {
    return this.#add({ sql: `count(if(${rows}, ${value}, NULL))`, type: 'UInt64', neutral: 'toUInt64(0)', merge: 'sum', rows, source: 'events' });
  }

  /** Earliest or latest time of a matching event; NULL when none. */
  time(rows: string, fn: 'min' | 'max'): string {
    return this.#add({ sql: `${fn}(if(${rows}, timestamp, NULL))`, type: TS_TYPE, neutral: `CAST(NULL AS ${TS_TYPE})`, merge: fn, rows, source: 'events' });
  }

  /**
   * The same from `profile_activity`, for rows selected by event type only
   * (`rows` may test `type`, nothing else of an event).
   */
  typeTime(rows: string, fn: 'min' | 'max'): string {
    const column = fn === 'min' ? 'first_at' : 'last_at';
    // A row value, not an aggregate: the source is not grouped (SOURCES.activity).
    return this.#add({ sql: `if(${rows}, ${column}, NULL)`, type: TS_TYPE, neutral: `CAST(NULL AS ${TS_TYPE})`, merge: fn, rows, source: 'activity' });
  }

  /**
   * UTC dates of matching events. Distinct per stored profile id; a survivor's
   * array concatenates its ids' (a date may repeat): readers must ignore
   * repeats, which is cheaper than a hash set per survivor.
   */
  days(rows: string): string {
    return this.#add({ sql: `groupUniqArrayIf(toDate(timestamp, 'UTC'), ${rows})`, type: 'Array(Date)', neutral: DAYS_NEUTRAL, merge: 'concat', rows, source: 'events' });
  }

  /**
   * The same from `profile_activity` (its `days`: every UTC date with an event
   * of the row's type), for rows selected by event type only, dates from
   * `from` (a SQL Date) on. A date may repeat, as above.
   */
  typeDays(rows: string, from: string): string {
    return this.#add({ sql: `if(${rows}, arrayFilter(d -> d >= ${from}, days), ${DAYS_NEUTRAL})`, type: 'Array(Date)', neutral: DAYS_NEUTRAL, merge: 'concat', rows, source: 'activity' });
  }

  /** (epoch seconds, bit mask of the steps it matches) of every event matching a step. */
  steps(stepRows: readonly string[], window: string | undefined): string {
    const mask = stepRows.map((s, i) => `${2 ** i} * (${s})`).join(' + ');
    const any = stepRows.map((s) => `(${s})`).join(' OR ');
    const rows = window === undefined ? `(${any})` : `(${any}) AND ${window}`;
    const type = 'Array(Tuple(UInt32, UInt16))';
    return this.#add({
      sql: `groupArrayIf((toUInt32(toUnixTimestamp(timestamp)), toUInt16(${mask})), ${rows})`,
      type,
      neutral: `CAST([] AS ${type})`,
      merge: 'concat',
      rows,
      source: 'events',
    });
  }

  /** Sources with at least one aggregate, in a fixed order. */
  sources(): Source[] {
    return (['events', 'activity'] as const).filter((source) => this.#specs.some((s) => s.source === source));
  }

  /** `a<i>` columns of a source's scan (the other sources' aggregates as neutral values). */
  scanColumns(source: Source): string[] {
    return this.#specs.map((s, i) => `${s.source === source ? s.sql : s.neutral} AS a${i}`);
  }

  /** The same columns for profiles without events. */
  neutralColumns(): string[] {
    return this.#specs.map((s, i) => `${s.neutral} AS a${i}`);
  }

  /** `b<i>` columns: layer-1 results merged per surviving profile. */
  mergeColumns(): string[] {
    return this.#specs.map((s, i) => `${MERGE_SQL[s.merge](`a${i}`)} AS b${i}`);
  }

  /** Rows of a source any of its aggregates looks at: the scan skips the others. */
  rowFilter(source: Source): string {
    return [...new Set(this.#specs.filter((s) => s.source === source).map((s) => `(${s.rows})`))].join(' OR ');
  }
}

/** Events a matcher selects, as a row condition on `events`. */
export function matcherSql(ctx: SqlContext, m: EventMatcher): string {
  const parts = [`type = ${ctx.params.bind(m.eventType, 'String')}`];
  if (m.event !== undefined) {
    const column = m.eventType === 'page' || m.eventType === 'screen' ? 'name' : 'event';
    parts.push(`${column} = ${ctx.params.bind(m.event, 'String')}`);
  }
  const json = jsonColumn(m.eventType);
  for (const f of m.where) parts.push(filterSql(ctx, json, pathKeys(f.property), f));
  return parts.join(' AND ');
}

/** Where an event type keeps its data: identify and group events have traits, the others properties. */
export function jsonColumn(eventType: string): string {
  return eventType === 'identify' || eventType === 'group' ? 'traits' : 'properties';
}

/**
 * The JSON column, or '' on rows that do not match `rows`. An aggregate's
 * `if(rows, JSONExtract(column, …), NULL)` argument is evaluated on every row
 * of the scan, and parsing every event's JSON is the dearest part of a scan:
 * guarded, only the matching rows are parsed (a purchase-amount sum over 10 M
 * events went from 0.87 to 0.65 s; see the segments bench README).
 */
export function jsonOnly(rows: string, column: string): string {
  return `if(${rows}, ${column}, '')`;
}

/**
 * A property of the events matching `rows`, for an aggregate's argument: its
 * typed column when the deployment keeps one, else parsed from the JSON of
 * those rows only.
 */
export function rowsProperty(ctx: SqlContext, json: string, keys: readonly string[], rows: string, type: string): string {
  return propertyColumn(ctx, json, keys, type) ?? jsonExtract(ctx, jsonOnly(rows, json), keys, type);
}

/** A numeric property of the events matching `rows` (NULL when missing, not a number, or another row). */
export function numericProperty(ctx: SqlContext, eventType: string, path: PropertyPath, rows: string): string {
  return rowsProperty(ctx, jsonColumn(eventType), pathKeys(path), rows, 'Nullable(Float64)');
}
