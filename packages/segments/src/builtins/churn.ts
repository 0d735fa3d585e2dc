import type { ChurnLevel } from '../definition/conditions.js';
import { DAY_MS } from '../definition/limits.js';
import type { Partials } from '../compiler/partials.js';
import type { SqlContext } from '../compiler/values.js';
import type { SegmentSettings } from '../settings.js';
import { activityDays, activityTime, elapsedDays, elapsedDaysSql } from './activity.js';
import { lowerMedian } from './rfm.js';

/**
 * Churn risk: how overdue the profile is compared with its own rhythm.
 *
 *   active days  = distinct UTC dates with activity, from the UTC date
 *                  `lookbackDays` before now (whole calendar dates: the first
 *                  one counts in full)
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
  /** UTC dates with activity as day numbers (days since 1970-01-01); those before the lookback are ignored. */
  activeDays: readonly number[];
  lastActive: number | null;
  now: number;
  settings: Pick<SegmentSettings, 'churn'>;
}): ChurnRisk | null {
  if (input.lastActive === null) return null;
  const { churn } = input.settings;
  const from = lookbackStartDay(input.now, churn.lookbackDays);
  const days = [...new Set(input.activeDays.filter((d) => d >= from))].sort((a, b) => a - b);
  const gaps = days.slice(1).map((d, i) => d - (days[i] as number));
  const usualGapDays = gaps.length === 0 ? churn.defaultGapDays : lowerMedian(gaps);
  const recencyDays = elapsedDays(input.lastActive, input.now);
  const ratio = recencyDays / usualGapDays;
  const level: ChurnLevel = ratio >= churn.highAt ? 'high' : ratio >= churn.mediumAt ? 'medium' : 'low';
  return { level, recencyDays, usualGapDays, ratio };
}

/** The first UTC date (as a day number) of the lookback. */
function lookbackStartDay(now: number, lookbackDays: number): number {
  return Math.floor((now - lookbackDays * DAY_MS) / DAY_MS);
}

/** The level as a per-profile SQL expression ('' = no level). */
export function churnLevelSql(ctx: SqlContext, partials: Partials, settings: SegmentSettings): string {
  const { churn } = settings;
  const last = activityTime(ctx, partials, settings, 'max');
  const days = activityDays(ctx, partials, settings, lookbackStartDay(ctx.nowMs, churn.lookbackDays));
  // The dates may repeat (see Partials.days): sorted, a repeat is a zero difference, so the positive
  // differences are exactly the gaps between consecutive distinct dates.
  const gaps = `arrayFilter(g -> g > 0, arrayDifference(arrayMap(d -> toInt32(toRelativeDayNum(d)), arraySort(${days}))))`;
  const recency = elapsedDaysSql(ctx, last);
  const fallback = ctx.params.bind(churn.defaultGapDays, 'Float64');
  // "recency / usual gap >= at" without sorting the gaps for their median. Thresholds are positive, so
  // recency / g >= at holds for no gap when recency <= 0, else for a prefix of the gaps in ascending
  // order (float division is monotonic in g): it holds for the lower median, the m-th smallest gap with
  // m = (n + 1) div 2, exactly when it holds for at least m gaps.
  // The same floating-point comparison as churnRisk's, so boundaries agree (a sort per profile saved:
  // the churn worked example ~10% faster; packages/ingest-api/bench/segments).
  const atLeast = (at: number): string => {
    const bound = ctx.params.bind(at, 'Float64');
    return `if(empty(${gaps}), ${recency} / ${fallback} >= ${bound}, arrayCount(g -> ${recency} / g >= ${bound}, ${gaps}) >= intDiv(length(${gaps}) + 1, 2))`;
  };
  return `multiIf(${last} IS NULL, '', ${atLeast(churn.highAt)}, 'high', ${atLeast(churn.mediumAt)}, 'medium', 'low')`;
}
