import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ResolvedOptions } from '../config/options.js';
import { ApiError } from '../http/api-error.js';
import { bearerToken } from '../http/auth.js';
import { parseInput } from '../http/validation.js';
import { ClickHouseError, READONLY_LIMITS, type ClickHouseTransport } from '../storage/transport.js';

const READONLY_MAX_ROWS = Number(READONLY_LIMITS.max_result_rows);
import { secretsEqual } from '../tenancy/keys.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import type { IdentityJobs } from '../identity/unmerge.js';
import { registerIdentityAdmin } from './identity-routes.js';

export interface AdminDeps {
  options: ResolvedOptions;
  registry: TenantRegistry;
  transport: ClickHouseTransport;
  jobs: IdentityJobs;
}

/** The key id recorded for actions taken with CDP_ADMIN_KEY. */
export const ADMIN_KEY_ID = 'admin';

const workspaceBody = z.object({ name: z.string().trim().min(1).max(200) });
const keyBody = z.object({ kind: z.enum(['write', 'secret']) });
/**
 * A bound value: what JSON can carry. An integer between ±2^53 and ±2^64 (the range of 64-bit ids) has already lost
 * digits when the body was parsed: the caller must send it as a string. Larger numbers (1e300) are plain floats.
 */
const paramValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.string(),
    z.boolean(),
    z.null(),
    z.number().refine((n) => Number.isSafeInteger(n) || !Number.isInteger(n) || Math.abs(n) >= 2 ** 64, 'an integer past ±2^53 has lost digits when JSON was parsed: pass it as a string'),
    z.array(paramValue),
    z.record(z.string(), paramValue),
  ]),
);
const sqlBody = z.object({
  query: z.string().trim().min(1).max(100_000),
  params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'parameter names are identifiers'), paramValue).optional(),
});
const workspaceParams = z.object({ id: z.string().min(1).max(100) });
const keyParams = workspaceParams.extend({ keyId: z.string().min(1).max(100) });

/** Admin endpoints: enabled only when CDP_ADMIN_KEY is set; Bearer auth with that key. */
export async function adminRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const { options, registry, transport } = deps;
  registerIdentityAdmin(app, { registry, transport, jobs: deps.jobs, adminKeyId: ADMIN_KEY_ID });
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (options.adminKey === undefined) throw new ApiError('admin_disabled');
    const token = bearerToken(req.headers.authorization);
    if (token === undefined || !secretsEqual(token, options.adminKey)) throw new ApiError('invalid_admin_key');
  });

  app.post('/v1/admin/workspaces', async (req, reply) => {
    const { name } = parseInput(workspaceBody, req.body);
    const created = await registry.createWorkspace({ name });
    reply.code(201);
    return created;
  });

  app.get('/v1/admin/workspaces', async () => ({ workspaces: registry.listWorkspaces() }));

  const workspaceOr404 = (id: string) => {
    const ws = registry.workspace(id);
    if (ws === undefined) throw new ApiError('not_found', { message: `No workspace ${id}.`, path: 'id' });
    return ws;
  };

  app.get('/v1/admin/workspaces/:id/keys', async (req) => {
    const { id } = parseInput(workspaceParams, req.params);
    workspaceOr404(id);
    return {
      keys: registry.listKeys(id).map((k) => ({ keyId: k.keyId, kind: k.kind, prefix: k.prefix, createdAt: k.createdAt, revoked: k.revoked })),
    };
  });

  app.post('/v1/admin/workspaces/:id/keys', async (req, reply) => {
    const { id } = parseInput(workspaceParams, req.params);
    const { kind } = parseInput(keyBody, req.body);
    workspaceOr404(id);
    const created = await registry.createKey({ workspaceId: id, kind });
    reply.code(201);
    return created;
  });

  app.delete('/v1/admin/workspaces/:id/keys/:keyId', async (req, reply) => {
    const { id, keyId } = parseInput(keyParams, req.params);
    workspaceOr404(id);
    if (!(await registry.revokeKey({ workspaceId: id, keyId }))) {
      throw new ApiError('not_found', { message: `No live key ${keyId} in workspace ${id}.`, path: 'keyId' });
    }
    reply.code(204);
  });

  // Read-only SQL for data teams while the server holds the embedded store.
  app.post('/v1/admin/sql', async (req) => {
    const { query, params } = parseInput(sqlBody, req.body);
    try {
      const rows = await transport.query(query, params ?? {}, { readonly: true });
      // ClickHouse stops at max_result_rows ('break'): say so rather than look complete.
      return { rows, truncated: rows.length >= READONLY_MAX_ROWS };
    } catch (err) {
      // Any error ClickHouse reports with a code is about the query; only a failure to reach the store is 503.
      if (err instanceof ClickHouseError && err.clickhouseCode !== undefined) {
        throw new ApiError('query_failed', { message: err.message });
      }
      throw new ApiError('unavailable', { message: 'ClickHouse is not reachable; retry later.', cause: err });
    }
  });
}
