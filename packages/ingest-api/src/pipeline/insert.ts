import type { Logger } from 'pino';
import { isStatementError, type ClickHouseTransport } from '../storage/transport.js';
import { deadLetterRow } from './dead-letter.js';
import { dedupKey } from './dedup.js';
import { withRetention, type FlushPrivacy, type PlannedInsert } from './plan.js';

interface InsertDeps {
  transport: ClickHouseTransport;
  logger: Logger;
  /** Stamps the retention of a row moved to dead_letters. */
  privacy?: FlushPrivacy | undefined;
}

/** An events row ClickHouse refused (moved to dead_letters). */
interface RefusedRow {
  workspace: string;
  messageId: string;
}

/**
 * Inserts a plan's inserts in order. An event row ClickHouse refuses goes to dead_letters and leaves the plan's
 * `message_ids` ledger rows: listed there, a client's retry of it would be taken for a duplicate and dropped.
 * Deterministic, so a crash replay of the plan refuses and leaves out the same rows. Returns the refused events'
 * dedup keys (the caller forgets them from its in-memory dedup too).
 */
export async function insertPlan(deps: InsertDeps, token: string, inserts: readonly PlannedInsert[]): Promise<string[]> {
  const refused = new Set<string>();
  for (const insert of inserts) {
    const lines = insert.table === 'message_ids' && refused.size > 0 ? insert.lines.filter((line) => !refused.has(ledgerKey(line))) : insert.lines;
    const rows = await insertPlanned(deps, token, lines === insert.lines ? insert : { ...insert, lines });
    if (insert.table === 'events') for (const r of rows) refused.add(dedupKey(r.workspace, r.messageId));
  }
  return [...refused];
}

function ledgerKey(line: string): string {
  const row = JSON.parse(line) as { workspace_id: string; message_id: string };
  return dedupKey(row.workspace_id, row.message_id);
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
): Promise<RefusedRow[]> {
  if (insert.lines.length === 0) return [];
  try {
    await deps.transport.insert({ table: insert.table, rows: insert.lines.join('\n'), dedupToken: `${token}:${insert.part}` });
    return [];
  } catch (err) {
    if (!isStatementError(err)) throw err;
    if (insert.lines.length === 1) {
      deps.logger.error({ table: insert.table, err: (err as Error).message }, 'ClickHouse rejected a row; written to dead_letters');
      const refused = await rejectRow(deps, token, insert, err as Error);
      return refused === undefined ? [] : [refused];
    }
    const mid = insert.lines.length >> 1;
    return [
      ...(await insertPlanned(deps, token, { table: insert.table, part: `${insert.part}.0`, lines: insert.lines.slice(0, mid) })),
      ...(await insertPlanned(deps, token, { table: insert.table, part: `${insert.part}.1`, lines: insert.lines.slice(mid) })),
    ];
  }
}

/** A row ClickHouse refuses goes to the dead-letter table with the reason, never dropped. */
async function rejectRow(
  deps: InsertDeps,
  token: string,
  insert: PlannedInsert,
  err: Error,
): Promise<RefusedRow | undefined> {
  const line = insert.lines[0] ?? '';
  if (insert.table === 'dead_letters') {
    deps.logger.error({ bytes: line.length }, 'a dead-letter row was refused by ClickHouse and is dropped');
    return undefined;
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
  return { workspace, messageId };
}
