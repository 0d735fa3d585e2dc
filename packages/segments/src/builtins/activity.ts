import type { Partials } from '../compiler/partials.js';
import type { SqlContext } from '../compiler/values.js';
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
 * First or last activity of a profile. When activity is defined by event type
 * alone (the default), it is read from `profile_activity` (first/last event of
 * each type per profile, kept at insert); with track event names listed, from
 * the events scan.
 */
export function activityTime(ctx: SqlContext, partials: Partials, settings: SegmentSettings, fn: 'min' | 'max'): string {
  const { eventTypes, events } = settings.activity;
  if (events.length === 0 || !eventTypes.includes('track')) {
    return partials.typeTime(`type IN ${ctx.params.bind([...eventTypes], 'Array(String)')}`, fn);
  }
  return partials.time(activitySql(ctx, settings), fn);
}

/** Whole days (24 h periods) from `fromMs` to `toMs`, as SQL on a DateTime64 column and in JS. */
export function elapsedDaysSql(ctx: SqlContext, column: string): string {
  return `intDiv(${ctx.params.bind(ctx.nowMs, 'Int64')} - toUnixTimestamp64Milli(${column}), 86400000)`;
}

export function elapsedDays(fromMs: number, toMs: number): number {
  return Math.floor((toMs - fromMs) / 86_400_000);
}
