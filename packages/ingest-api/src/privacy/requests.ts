import { randomUUID } from 'node:crypto';
import { nextVersion } from '../identity/version.js';
import { chToIso } from '../storage/time.js';
import type { ClickHouseTransport } from '../storage/transport.js';

export type PrivacyRequestType = 'access' | 'erasure';
export type PrivacyRequestStatus = 'pending' | 'running' | 'done' | 'failed';

/** A request as stored; `subject` and `plan` are emptied once it finishes. */
export interface PrivacyRequest {
  workspaceId: string;
  requestId: string;
  type: PrivacyRequestType;
  status: PrivacyRequestStatus;
  /** `type:value` (normalized) or `profile:<id>`; '' once finished. */
  subject: string;
  /** Salted hash of the subject: kept, so a later request about the same person can be matched to this one. */
  subjectHash: string;
  /** The erasure plan (JSON) while it runs. */
  plan: string;
  result: Record<string, unknown> | null;
  error: string;
  keyId: string;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

/** Aliases differ from column names: ClickHouse would read an alias in WHERE and HAVING. */
interface Row {
  workspace_id: string;
  request_id: string;
  last_type: PrivacyRequestType;
  last_status: PrivacyRequestStatus;
  last_identifier: string;
  last_subject_hash: string;
  last_plan: string;
  last_result: string;
  last_error: string;
  last_key_id: string;
  last_attempts: number;
  created: string;
  updated: string;
}

const LATEST = `SELECT workspace_id, request_id, argMax(type, version) AS last_type, argMax(status, version) AS last_status,
    argMax(identifier, version) AS last_identifier, argMax(subject_hash, version) AS last_subject_hash, argMax(plan, version) AS last_plan,
    argMax(result, version) AS last_result, argMax(error, version) AS last_error, argMax(key_id, version) AS last_key_id,
    argMax(attempts, version) AS last_attempts, toString(min(created_at)) AS created, toString(max(updated_at)) AS updated
  FROM privacy_requests`;

function fromRow(r: Row): PrivacyRequest {
  return {
    workspaceId: r.workspace_id,
    requestId: r.request_id,
    type: r.last_type,
    status: r.last_status,
    subject: r.last_identifier,
    subjectHash: r.last_subject_hash,
    plan: r.last_plan,
    result: r.last_result === '' ? null : (JSON.parse(r.last_result) as Record<string, unknown>),
    error: r.last_error,
    keyId: r.last_key_id,
    attempts: Number(r.last_attempts),
    createdAt: chToIso(r.created),
    updatedAt: chToIso(r.updated),
  };
}

/**
 * Data-subject requests in `privacy_requests` (ReplacingMergeTree, one new
 * version per change). A request is durable before it is acknowledged, so
 * one accepted before a crash is found again by `unfinished()` at the next
 * start. When it finishes, the final version carries no identifier and no
 * plan, and the earlier versions (which did) are deleted.
 */
export class PrivacyRequestStore {
  readonly #t: ClickHouseTransport;

  constructor(transport: ClickHouseTransport) {
    this.#t = transport;
  }

  async create(input: { workspaceId: string; type: PrivacyRequestType; subject: string; subjectHash: string; keyId: string }): Promise<PrivacyRequest> {
    const now = new Date().toISOString();
    const request: PrivacyRequest = {
      workspaceId: input.workspaceId,
      requestId: `pr_${randomUUID().replace(/-/g, '')}`,
      type: input.type,
      status: 'pending',
      subject: input.subject,
      subjectHash: input.subjectHash,
      plan: '',
      result: null,
      error: '',
      keyId: input.keyId,
      attempts: 0,
      createdAt: now,
      updatedAt: now,
    };
    await this.#write(request);
    return request;
  }

  async get(workspaceId: string, requestId: string): Promise<PrivacyRequest | undefined> {
    const rows = await this.#t.query<Row>(`${LATEST} WHERE workspace_id = {w:String} AND request_id = {r:String} GROUP BY workspace_id, request_id`, {
      w: workspaceId,
      r: requestId,
    });
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  /** Requests accepted and not finished (a crash interrupted them), oldest first. */
  async unfinished(): Promise<PrivacyRequest[]> {
    const rows = await this.#t.query<Row>(
      `${LATEST} GROUP BY workspace_id, request_id HAVING argMax(status, version) IN ('pending', 'running') ORDER BY created, request_id`,
    );
    return rows.map(fromRow);
  }

  /** Writes a new version with the changes. */
  async update(request: PrivacyRequest, changes: Partial<Pick<PrivacyRequest, 'status' | 'plan' | 'attempts'>>): Promise<PrivacyRequest> {
    const next = { ...request, ...changes, updatedAt: new Date().toISOString() };
    await this.#write(next);
    return next;
  }

  /** The final version, without identifier or plan; the versions that held them are deleted. */
  async finish(request: PrivacyRequest, outcome: { status: 'done'; result: Record<string, unknown> } | { status: 'failed'; error: string }): Promise<PrivacyRequest> {
    const final: PrivacyRequest = {
      ...request,
      status: outcome.status,
      subject: '',
      plan: '',
      result: outcome.status === 'done' ? outcome.result : null,
      error: outcome.status === 'failed' ? outcome.error : '',
      updatedAt: new Date().toISOString(),
    };
    const version = await this.#write(final);
    await this.#t.command('DELETE FROM privacy_requests WHERE workspace_id = {w:String} AND request_id = {r:String} AND version < {v:UInt64}', {
      w: request.workspaceId,
      r: request.requestId,
      v: version,
    });
    await this.#t.command('ALTER TABLE privacy_requests APPLY DELETED MASK SETTINGS mutations_sync = 0');
    return final;
  }

  async #write(r: PrivacyRequest): Promise<number> {
    const version = nextVersion();
    await this.#t.insert({
      table: 'privacy_requests',
      rows: JSON.stringify({
        workspace_id: r.workspaceId,
        request_id: r.requestId,
        type: r.type,
        status: r.status,
        identifier: r.subject,
        subject_hash: r.subjectHash,
        plan: r.plan,
        result: r.result === null ? '' : JSON.stringify(r.result),
        error: r.error,
        key_id: r.keyId,
        attempts: r.attempts,
        created_at: r.createdAt,
        updated_at: r.updatedAt,
        version,
      }),
    });
    return version;
  }
}
