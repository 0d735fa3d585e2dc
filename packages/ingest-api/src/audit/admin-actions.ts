import type { FastifyRequest } from 'fastify';
import type { AuditHookOptions } from './hook.js';

type Body = Record<string, unknown>;
const bodyOf = (req: FastifyRequest): Body => (req.body !== null && typeof req.body === 'object' ? (req.body as Body) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Longest admin SQL text recorded. */
const MAX_SQL_CHARS = 4_000;

/**
 * Audit names and details of the admin routes. Details are what an auditor
 * needs to tell what happened, never secrets or identifier values: keys are
 * not recorded (only their ids), a blocked identifier value is recorded as its
 * salted hash, SQL parameter values are left out (the SQL text is kept).
 */
export function adminAuditActions(deps: {
  /** Salted hash of a value in a workspace (the same hash the suppression list uses). */
  hashValue: (workspaceId: string, text: string) => Promise<string>;
}): AuditHookOptions['actions'] {
  return {
    'POST /v1/admin/workspaces': {
      action: 'workspace.create',
      describe: (req, res) => {
        const id = str((res?.['workspace'] as Body | undefined)?.['id']);
        return { workspaceId: id, target: id, details: { name: str(bodyOf(req)['name']) } };
      },
    },
    'GET /v1/admin/workspaces': { action: 'workspace.list' },
    'GET /v1/admin/workspaces/:id/keys': { action: 'key.list' },
    'POST /v1/admin/workspaces/:id/keys': {
      action: 'key.create',
      describe: (req, res) => ({ target: str(res?.['keyId']), details: { kind: str(bodyOf(req)['kind']) } }),
    },
    'DELETE /v1/admin/workspaces/:id/keys/:keyId': { action: 'key.revoke' },
    'POST /v1/admin/sql': {
      action: 'sql.query',
      describe: (req, res) => {
        const body = bodyOf(req);
        const params = body['params'];
        return {
          details: {
            query: str(body['query']).slice(0, MAX_SQL_CHARS),
            params: params !== null && typeof params === 'object' ? Object.keys(params) : [],
            rows: Array.isArray(res?.['rows']) ? res['rows'].length : 0,
          },
        };
      },
    },
    'GET /v1/admin/workspaces/:id/identity': { action: 'identity.config.read' },
    'PUT /v1/admin/workspaces/:id/identity': {
      action: 'identity.config.update',
      describe: (req) => {
        const { blocklist, ...rest } = bodyOf(req);
        return { details: { ...rest, blocklistEntries: Array.isArray(blocklist) ? blocklist.length : 0 } };
      },
    },
    'POST /v1/admin/workspaces/:id/identity/block': {
      action: 'identity.unmerge',
      describe: async (req, res) => {
        const body = bodyOf(req);
        const workspaceId = str((req.params as Body)['id']);
        return {
          target: str(res?.['jobId']),
          details: {
            type: str(body['type']) || null,
            valueHash: await deps.hashValue(workspaceId, str(body['value'])),
            eventsReplayed: res?.['eventsReplayed'],
            eventsReassigned: res?.['eventsReassigned'],
          },
        };
      },
    },
    'GET /v1/admin/workspaces/:id/identity/jobs': { action: 'identity.jobs.list' },
    'GET /v1/admin/workspaces/:id/privacy': { action: 'privacy.config.read' },
    'PUT /v1/admin/workspaces/:id/privacy': { action: 'privacy.config.update', describe: (req) => ({ details: bodyOf(req) }) },
    'GET /v1/admin/audit': { action: 'audit.read', describe: (req) => ({ details: { ...(req.query as Body) } }) },
  };
}
