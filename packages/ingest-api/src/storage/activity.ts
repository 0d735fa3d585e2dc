import { ACTIVITY_SELECT } from './migrations.js';
import type { ClickHouseTransport } from './transport.js';

/**
 * Rebuilds the `profile_activity` rows of stored profile ids whose events were deleted or moved
 * (erasure, unmerge). The materialized view only adds: a minimum or maximum cannot be taken back, so the
 * rows are deleted and recomputed from the events left. Idempotent; an event inserted meanwhile is at worst
 * counted twice, which min/max ignore.
 */
export async function refreshActivity(t: ClickHouseTransport, workspaceId: string, profileIds: readonly string[]): Promise<void> {
  if (profileIds.length === 0) return;
  const params = { w: workspaceId, ids: [...profileIds] };
  await t.command(
    `DELETE FROM profile_activity WHERE workspace_id = {w:String} AND profile_key IN (SELECT toUUIDOrZero(arrayJoin({ids:Array(String)})))`,
    params,
  );
  await t.command(
    `INSERT INTO profile_activity ${ACTIVITY_SELECT} AND workspace_id = {w:String} AND profile_id IN {ids:Array(String)}
     GROUP BY workspace_id, profile_key, type`,
    params,
  );
}
