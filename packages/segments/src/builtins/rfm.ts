import { RFM_TIERS, type RfmTier } from '../definition/conditions.js';
import { DAY_MS } from '../definition/limits.js';
import { pathKeys } from '../definition/primitives.js';
import { rowsProperty, type Partials } from '../compiler/partials.js';
import { timeSql, type SqlContext } from '../compiler/values.js';
import type { SegmentSettings } from '../settings.js';
import { elapsedDaysSql } from './activity.js';

/**
 * RFM value tier. Over the paid events of the last `windowDays` days:
 *   R = whole days since the last paid event, F = number of paid events,
 *   M = sum of the money property.
 * Profiles without a paid event in the window have no tier. Each measure is
 * "high" when strictly better than its threshold — R below, F and M above —
 * and each threshold is either configured or the workspace's lower median of
 * that measure over the profiles that have a tier. The three bits
 * (recent, frequent, high value) name the tier: 111 important-value,
 * 101 important-develop, 011 important-retain, 001 important-win-back,
 * 110 general-value, 100 general-develop, 010 general-retain,
 * 000 general-win-back.
 */
export interface RfmMeasures {
  recencyDays: number;
  frequency: number;
  monetary: number;
}

export interface RfmThresholds {
  recencyDays: number;
  frequency: number;
  monetary: number;
}

/** Tier names indexed by 4·recent + 2·frequent + highValue. */
export const RFM_TIER_BY_BITS: readonly RfmTier[] = [
  'general-win-back',
  'important-win-back',
  'general-retain',
  'important-retain',
  'general-develop',
  'important-develop',
  'general-value',
  'important-value',
];

export function rfmTier(m: RfmMeasures | null, t: RfmThresholds): RfmTier | null {
  if (m === null || m.frequency <= 0) return null;
  const bits = (m.recencyDays < t.recencyDays ? 4 : 0) + (m.frequency > t.frequency ? 2 : 0) + (m.monetary > t.monetary ? 1 : 0);
  return RFM_TIER_BY_BITS[bits] as RfmTier;
}

/** The lower median: the element at index ⌊(n − 1) / 2⌋ of the sorted values (ClickHouse `quantileExactLow(0.5)`). */
export function lowerMedian(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

/** Thresholds as the compiler resolves them: configured values, else the medians of `population`. */
export function rfmThresholds(population: readonly RfmMeasures[], configured: SegmentSettings['rfm']['thresholds']): RfmThresholds {
  const withTier = population.filter((m) => m.frequency > 0);
  return {
    recencyDays: configured.recencyDays ?? lowerMedian(withTier.map((m) => m.recencyDays)),
    frequency: configured.frequency ?? lowerMedian(withTier.map((m) => m.frequency)),
    monetary: configured.monetary ?? lowerMedian(withTier.map((m) => m.monetary)),
  };
}

// Sanity: the table above is the one segments.md names.
if (RFM_TIER_BY_BITS.length !== RFM_TIERS.length) throw new Error('RFM tiers out of sync');

/**
 * The tier as a per-profile SQL expression ('' = no tier). Median thresholds
 * are window functions over the scan's profiles that have a tier, so they are
 * computed live with the query, never cached.
 */
export function rfmTierSql(ctx: SqlContext, partials: Partials, settings: SegmentSettings): string {
  const { rfm } = settings;
  const paid = `type = 'track' AND event IN ${ctx.params.bind([...rfm.paidEvents], 'Array(String)')} AND timestamp >= ${timeSql(ctx, ctx.nowMs - rfm.windowDays * DAY_MS)}`;
  const last = partials.time(paid, 'max');
  const f = partials.count(paid);
  const money = partials.value(paid, rowsProperty(ctx, 'properties', pathKeys(rfm.moneyProperty), paid, 'Nullable(Float64)'), 'sum');
  const r = elapsedDaysSql(ctx, last);
  const m = `coalesce(${money}, 0)`;
  // The median over the profiles with a tier: their own window partition. The same value as
  // `quantileExactLowIf(0.5)(x, f > 0) OVER ()`, whose window over every profile measured ~4x dearer
  // (a churn + RFM segment on 1 M profiles 2.5 -> 1.7 s; see the segments bench README).
  const threshold = (configured: number | null, expr: string) =>
    configured === null ? `quantileExactLow(0.5)(${expr}) OVER (PARTITION BY ${f} > 0)` : ctx.params.bind(configured, 'Float64');
  const bits = [
    `4 * ifNull(${r} < ${threshold(rfm.thresholds.recencyDays, r)}, 0)`,
    `2 * (${f} > ${threshold(rfm.thresholds.frequency, f)})`,
    `(${m} > ${threshold(rfm.thresholds.monetary, m)})`,
  ].join(' + ');
  return `if(${f} > 0, ${ctx.params.bind([...RFM_TIER_BY_BITS], 'Array(String)')}[1 + ${bits}], '')`;
}
