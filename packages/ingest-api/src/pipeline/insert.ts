import type { Logger } from 'pino';
import { isStatementError, type ClickHouseTransport } from '../storage/transport.js';
import { deadLetterRow } from './dead-letter.js';
import { withRetention, type FlushPrivacy, type PlannedInsert } from './plan.js';

interface InsertDeps {
  transport: ClickHouseTransport;
  logger: Logger;
  /** Stamps the retention of a row moved to dead_letters. */
  privacy?: FlushPrivacy | undefined;
}

/**
 * Inserts one planned insert with its dedup token. Rows ClickHouse refuses
 * outright would wedge the pipeline forever, so a statement error bisects the
 * insert down to the offending rows, which go to dead_letters; other errors
 * (ClickHouse unreachable) propagate for the caller to retry.
 */
export async function insertPlanned(
  deps: InsertDeps,
  token: string,
  insert: PlannedInsert,
): Promise<void> {
  if (insert.lines.length === 0) return;
  try {
    await deps.transport.insert({ table: insert.table, rows: insert.lines.join('\n'), dedupToken: `${token}:${insert.part}` });
  } catch (err) {
    if (!isStatementError(err)) throw err;
    if (insert.lines.length === 1) {
      deps.logger.error({ table: insert.table, err: (err as Error).message }, 'ClickHouse rejected a row; written to dead_letters');
      await rejectRow(deps, token, insert, err as Error);
      return;
    }
    const mid = insert.lines.length >> 1;
    await insertPlanned(deps, token, { table: insert.table, part: `${insert.part}.0`, lines: insert.lines.slice(0, mid) });
    await insertPlanned(deps, token, { table: insert.table, part: `${insert.part}.1`, lines: insert.lines.slice(mid) });
  }
}

/** A row ClickHouse refuses goes to the dead-letter table with the reason, never dropped. */
async function rejectRow(
  deps: InsertDeps,
  token: string,
  insert: PlannedInsert,
  err: Error,
): Promise<void> {
  const line = insert.lines[0] ?? '';
  if (insert.table === 'dead_letters') {
    deps.logger.error({ bytes: line.length }, 'a dead-letter row was refused by ClickHouse and is dropped');
    return;
  }
  let workspace = '';
  let messageId = '';
  try {
    const parsed = JSON.parse(line) as { workspace_id?: string; message_id?: string };
    workspace = parsed.workspace_id ?? '';
    messageId = parsed.message_id ?? '';
  } catch {
    // keep empty ids; the payload still holds the row
  }
  const row = deadLetterRow({
    workspaceId: workspace,
    receivedAt: new Date().toISOString(),
    messageId,
    code: 'storage_rejected',
    reason: err.message.slice(0, 2000),
    path: '',
    payload: line,
    keyId: '',
  });
  const days = deps.privacy?.retention(workspace).deadLettersDays ?? 0;
  await deps.transport.insert({ table: 'dead_letters', rows: withRetention(row, days), dedupToken: `${token}:${insert.part}:x` });
}
