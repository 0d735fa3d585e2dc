import type { LifecycleStage } from '../definition/conditions.js';
import { DAY_MS } from '../definition/limits.js';
import type { Partials } from '../compiler/partials.js';
import { timeSql, type SqlContext } from '../compiler/values.js';
import type { SegmentSettings } from '../settings.js';
import { activityTime } from './activity.js';

/**
 * Lifecycle stage from the first and last activity (P = activeDays,
 * C = churnedDays):
 *
 *   no activity ever                  → null (no stage)
 *   first activity within P days      → new
 *   last activity within P days       → active
 *   last activity within C days       → dormant
 *   otherwise                         → churned
 *
 * "Within P days" means at or after now − P × 24 h.
 */
export function lifecycleStage(input: {
  firstActive: number | null;
  lastActive: number | null;
  now: number;
  settings: Pick<SegmentSettings, 'lifecycle'>;
}): LifecycleStage | null {
  const { firstActive, lastActive, now } = input;
  if (firstActive === null || lastActive === null) return null;
  const p = now - input.settings.lifecycle.activeDays * DAY_MS;
  const c = now - input.settings.lifecycle.churnedDays * DAY_MS;
  if (firstActive >= p) return 'new';
  if (lastActive >= p) return 'active';
  if (lastActive >= c) return 'dormant';
  return 'churned';
}

/** The same formula as a per-profile SQL expression ('' = no stage). */
export function lifecycleStageSql(ctx: SqlContext, partials: Partials, settings: SegmentSettings): string {
  const first = activityTime(ctx, partials, settings, 'min');
  const last = activityTime(ctx, partials, settings, 'max');
  const p = timeSql(ctx, ctx.nowMs - settings.lifecycle.activeDays * DAY_MS);
  const c = timeSql(ctx, ctx.nowMs - settings.lifecycle.churnedDays * DAY_MS);
  return `multiIf(${last} IS NULL, '', ${first} >= ${p}, 'new', ${last} >= ${p}, 'active', ${last} >= ${c}, 'dormant', 'churned')`;
}
