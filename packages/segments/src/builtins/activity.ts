import type { Partials } from '../compiler/partials.js';
import { timeSql, type SqlContext } from '../compiler/values.js';
import { DAY_MS } from '../definition/limits.js';
import type { SegmentSettings } from '../settings.js';

/**
 * Activity (for lifecycle and churn risk): events of the configured types;
 * when `activity.events` lists names, track events count only if named there.
 */
export function activitySql(ctx: SqlContext, settings: SegmentSettings): string {
  const { eventTypes, events } = settings.activity;
  const types = `type IN ${ctx.params.bind([...eventTypes], 'Array(String)')}`;
  if (events.length === 0 || !eventTypes.includes('track')) return types;
  return `${types} AND (type != 'track' OR event IN ${ctx.params.bind([...events], 'Array(String)')})`;
}

/**
 * Activity as a condition on event type alone (the default), so that it can be
 * read from `profile_activity` (first/last event and dates with events of each
 * type per profile, kept at insert); undefined with track event names listed,
 * which only the events scan knows.
 */
function activityTypes(ctx: SqlContext, settings: SegmentSettings): string | undefined {
  const { eventTypes, events } = settings.activity;
  if (events.length > 0 && eventTypes.includes('track')) return undefined;
  return `type IN ${ctx.params.bind([...eventTypes], 'Array(String)')}`;
}

/** First or last activity of a profile. */
export function activityTime(ctx: SqlContext, partials: Partials, settings: SegmentSettings, fn: 'min' | 'max'): string {
  const types = activityTypes(ctx, settings);
  return types === undefined ? partials.time(activitySql(ctx, settings), fn) : partials.typeTime(types, fn);
}

/** UTC dates with activity from `fromDay` (days since 1970-01-01) on; a date may repeat. */
export function activityDays(ctx: SqlContext, partials: Partials, settings: SegmentSettings, fromDay: number): string {
  const types = activityTypes(ctx, settings);
  const from = timeSql(ctx, fromDay * DAY_MS);
  if (types !== undefined) return partials.typeDays(types, `toDate(${from}, 'UTC')`);
  return partials.days(`${activitySql(ctx, settings)} AND timestamp >= ${from}`);
}

/** Whole days (24 h periods) from `fromMs` to `toMs`, as SQL on a DateTime64 column and in JS. */
export function elapsedDaysSql(ctx: SqlContext, column: string): string {
  return `intDiv(${ctx.params.bind(ctx.nowMs, 'Int64')} - toUnixTimestamp64Milli(${column}), 86400000)`;
}

export function elapsedDays(fromMs: number, toMs: number): number {
  return Math.floor((toMs - fromMs) / 86_400_000);
}
