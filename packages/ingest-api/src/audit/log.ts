import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { encodeCursor } from '../profiles/queries.js';
import { addTimeWindow, chToIso } from '../storage/time.js';
import type { ClickHouseTransport, QueryParams } from '../storage/transport.js';

export type AuditOutcome = 'ok' | 'error';

/** One audited action. Details never hold key material or identifier values (only their salted hashes). */
export interface AuditEntry {
  /** The workspace acted on; '' for server-wide actions (admin SQL, listing workspaces). */
  workspaceId: string;
  /** Who: the key id (`admin` for the admin key, `key_…` for a secret key). */
  keyId: string;
  /** What, e.g. `key.revoke`, `privacy.request.create`. */
  action: string;
  /** The object acted on (key id, request id, ...), '' when none. */
  target: string;
  details: Record<string, unknown>;
  outcome: AuditOutcome;
  /** HTTP status of the request (0 for background completions). */
  status: number;
  /** Error code when the outcome is an error. */
  errorCode: string;
  /** The HTTP request id (X-Request-Id), or the privacy request id for background completions. */
  requestId: string;
}

export interface AuditRecord extends AuditEntry {
  auditId: string;
  at: string;
}

export interface AuditFilter {
  workspaceId?: string;
  action?: string;
  keyId?: string;
  outcome?: AuditOutcome;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  limit: number;
  /** The (time, audit id) of the last entry of the previous page (see `decodeCursor`). */
  cursor?: { timestamp: string; messageId: string };
}

interface AuditRow {
  workspace_id: string;
  ts: string;
  audit_id: string;
  key_id: string;
  action: string;
  target: string;
  details: string;
  outcome: AuditOutcome;
  status: number;
  error_code: string;
  request_id: string;
}

/** Longest details JSON kept (admin SQL text is the large one). */
const MAX_DETAILS_CHARS = 8_000;

/** Append-only audit log in the `audit_log` table. */
export class AuditLog {
  readonly #t: ClickHouseTransport;
  readonly #logger: Logger;

  constructor(options: { transport: ClickHouseTransport; logger: Logger }) {
    this.#t = options.transport;
    this.#logger = options.logger;
  }

  /** Appends one entry. A failure to record is logged, never turned into a failure of the action. */
  async append(entry: AuditEntry): Promise<void> {
    let details = JSON.stringify(entry.details);
    if (details.length > MAX_DETAILS_CHARS) details = JSON.stringify({ truncated: details.slice(0, MAX_DETAILS_CHARS) });
    try {
      await this.#t.insert({
        table: 'audit_log',
        rows: JSON.stringify({
          workspace_id: entry.workspaceId,
          at: new Date().toISOString(),
          audit_id: randomUUID(),
          key_id: entry.keyId,
          action: entry.action,
          target: entry.target,
          details,
          outcome: entry.outcome,
          status: entry.status,
          error_code: entry.errorCode,
          request_id: entry.requestId,
        }),
      });
    } catch (err) {
      this.#logger.error({ err: (err as Error).message, action: entry.action }, 'audit entry could not be written');
    }
  }

  /** Entries matching the filter, newest first, with a cursor for the next page. */
  async list(filter: AuditFilter): Promise<{ entries: AuditRecord[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: QueryParams = { n: filter.limit + 1 };
    const eq = (column: string, name: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`${column} = {${name}:String}`);
      params[name] = value;
    };
    eq('workspace_id', 'w', filter.workspaceId);
    eq('action', 'a', filter.action);
    eq('key_id', 'k', filter.keyId);
    eq('outcome', 'o', filter.outcome);
    addTimeWindow(where, params, { timeColumn: 'at', idColumn: 'audit_id', from: filter.from, to: filter.to, cursor: filter.cursor });
    const rows = await this.#t.query<AuditRow>(
      `SELECT workspace_id, toString(at) AS ts, audit_id, key_id, action, target, details, outcome, status, error_code, request_id
       FROM audit_log ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
       ORDER BY at DESC, audit_id DESC LIMIT {n:UInt32}`,
      params,
    );
    const page = rows.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {
      entries: page.map((r) => ({
        auditId: r.audit_id,
        at: chToIso(r.ts),
        workspaceId: r.workspace_id,
        keyId: r.key_id,
        action: r.action,
        target: r.target,
        details: JSON.parse(r.details) as Record<string, unknown>,
        outcome: r.outcome,
        status: Number(r.status),
        errorCode: r.error_code,
        requestId: r.request_id,
      })),
      nextCursor: rows.length > filter.limit && last !== undefined ? encodeCursor(last.ts, last.audit_id) : null,
    };
  }
}
