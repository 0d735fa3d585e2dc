import type { ClickHouseTransport } from '../storage/transport.js';

/**
 * Applies a workspace's retention to the rows it already has. New rows are
 * stamped at flush time; the tables' TTL (`received_at + retention_days`,
 * rows with 0 kept) deletes expired rows at ClickHouse's TTL merges. The
 * update rewrites one small column of the workspace's parts and waits for it,
 * so rows already past a shorter retention are gone when this returns.
 */
export async function applyRetention(t: ClickHouseTransport, workspaceId: string, r: { eventsDays: number; deadLettersDays: number }): Promise<void> {
  for (const [table, days] of [
    ['events', r.eventsDays],
    ['dead_letters', r.deadLettersDays],
  ] as const) {
    await t.command(
      `ALTER TABLE ${table} UPDATE retention_days = {d:UInt16}
       WHERE workspace_id = {w:String} AND retention_days != {d:UInt16} SETTINGS mutations_sync = 2`,
      { w: workspaceId, d: days },
    );
  }
}
