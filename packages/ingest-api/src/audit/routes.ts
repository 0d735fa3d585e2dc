import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { parseInput } from '../http/validation.js';
import { decodeCursor } from '../profiles/queries.js';
import { isoParam } from '../profiles/routes.js';
import type { AuditLog } from './log.js';

const auditQuery = z.object({
  workspaceId: z.string().max(100).optional(),
  action: z.string().max(200).optional(),
  keyId: z.string().max(100).optional(),
  outcome: z.enum(['ok', 'error']).optional(),
  from: isoParam,
  to: isoParam,
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(2000).optional(),
});

/** `GET /v1/admin/audit`: the audit log, newest first, filtered and paginated (admin key, in the admin scope). */
export function registerAuditRoutes(app: FastifyInstance, deps: { audit: AuditLog }): void {
  app.get('/v1/admin/audit', async (req) => {
    const q = parseInput(auditQuery, req.query);
    const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (q.cursor !== undefined && cursor === undefined) {
      throw new ApiError('invalid_request', { message: 'cursor: not a cursor returned by this endpoint', path: 'cursor' });
    }
    return deps.audit.list({
      limit: q.limit,
      ...(q.workspaceId === undefined ? {} : { workspaceId: q.workspaceId }),
      ...(q.action === undefined ? {} : { action: q.action }),
      ...(q.keyId === undefined ? {} : { keyId: q.keyId }),
      ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
      ...(q.from === undefined ? {} : { from: q.from }),
      ...(q.to === undefined ? {} : { to: q.to }),
      ...(cursor === undefined ? {} : { cursor }),
    });
  });
}
