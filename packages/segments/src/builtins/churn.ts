import type { ChurnLevel } from '../definition/conditions.js';
import { DAY_MS } from '../definition/limits.js';
import type { Partials } from '../compiler/partials.js';
import { timeSql, type SqlContext } from '../compiler/values.js';
import type { SegmentSettings } from '../settings.js';
import { activitySql, activityTime, elapsedDays, elapsedDaysSql } from './activity.js';
import { lowerMedian } from './rfm.js';

/**
 * Churn risk: how overdue the profile is compared with its own rhythm.
 *
 *   active days  = distinct UTC dates with activity in the last `lookbackDays`
 *   usual gap    = lower median of the gaps (in days) between consecutive active
 *                  days; `defaultGapDays` with fewer than two active days
 *   recency      = whole days since the last activity (ever)
 *   ratio        = recency / usual gap
 *   level        = high when ratio ≥ highAt, medium when ratio ≥ mediumAt, else low
 *
 * A profile with no activity at all has no level. Example: someone active
 * every 2 days who was last seen 5 days ago has ratio 2.5 → medium (defaults
 * mediumAt 2, highAt 4).
 */
export interface ChurnRisk {
  level: ChurnLevel;
  recencyDays: number;
  usualGapDays: number;
  ratio: number;
}

export function churnRisk(input: {
  /** Active UTC dates as day numbers (days since 1970-01-01), within the lookback. */
  activeDays: readonly number[];
  lastActive: number | null;
  now: number;
  settings: Pick<SegmentSettings, 'churn'>;
}): ChurnRisk | null {
  if (input.lastActive === null) return null;
  const { churn } = input.settings;
  const days = [...new Set(input.activeDays)].sort((a, b) => a - b);
  const gaps = days.slice(1).map((d, i) => d - (days[i] as number));
  const usualGapDays = gaps.length === 0 ? churn.defaultGapDays : lowerMedian(gaps);
  const recencyDays = elapsedDays(input.lastActive, input.now);
  const ratio = recencyDays / usualGapDays;
  const level: ChurnLevel = ratio >= churn.highAt ? 'high' : ratio >= churn.mediumAt ? 'medium' : 'low';
  return { level, recencyDays, usualGapDays, ratio };
}

/** The level as a per-profile SQL expression ('' = no level). */
export function churnLevelSql(ctx: SqlContext, partials: Partials, settings: SegmentSettings): string {
  const { churn } = settings;
  const activity = activitySql(ctx, settings);
  const last = activityTime(ctx, partials, settings, 'max');
  const days = partials.days(`${activity} AND timestamp >= ${timeSql(ctx, ctx.nowMs - churn.lookbackDays * DAY_MS)}`);
  const gaps = `arraySort(arrayPopFront(arrayDifference(arrayMap(d -> toInt64(toRelativeDayNum(d)), arraySort(${days})))))`;
  const gap = `if(length(${days}) < 2, ${ctx.params.bind(churn.defaultGapDays, 'Float64')}, ${gaps}[intDiv(length(${days}), 2)])`;
  const ratio = `(${elapsedDaysSql(ctx, last)} / ${gap})`;
  return `multiIf(${last} IS NULL, '', ${ratio} >= ${ctx.params.bind(churn.highAt, 'Float64')}, 'high', ${ratio} >= ${ctx.params.bind(churn.mediumAt, 'Float64')}, 'medium', 'low')`;
}
