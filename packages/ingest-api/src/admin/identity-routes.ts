import { resolveIdentityConfig, isIdentityConfigError, type IdentityOptions } from '@cdp/identity-resolution';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { parseInput } from '../http/validation.js';
import { IDENTITY_SETTINGS_KEY } from '../identity/service.js';
import type { IdentityJobs } from '../identity/unmerge.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import type { TenantRegistry } from '../tenancy/registry.js';

export interface IdentityAdminDeps {
  registry: TenantRegistry;
  transport: ClickHouseTransport;
  jobs: IdentityJobs;
  /** The id recorded for actions taken with the admin key. */
  adminKeyId: string;
}

const params = z.object({ id: z.string().min(1).max(100) });
const blockBody = z.object({
  type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'an identifier type such as device_id').optional(),
  value: z.string().min(1).max(1000),
});

/** Identity administration: per-workspace options, and blocking an identifier (unmerge). */
export function registerIdentityAdmin(app: FastifyInstance, deps: IdentityAdminDeps): void {
  const { registry, transport, jobs } = deps;
  const workspace = (input: unknown) => {
    const { id } = parseInput(params, input);
    if (registry.workspace(id) === undefined) throw new ApiError('not_found', { message: `No workspace ${id}.`, path: 'id' });
    return id;
  };

  app.get('/v1/admin/workspaces/:id/identity', async (req) => {
    const id = workspace(req.params);
    return { options: registry.settings(id).settings[IDENTITY_SETTINGS_KEY] ?? {} };
  });

  app.put('/v1/admin/workspaces/:id/identity', async (req) => {
    const id = workspace(req.params);
    const options = (req.body ?? {}) as IdentityOptions;
    try {
      resolveIdentityConfig(options);
    } catch (err) {
      if (isIdentityConfigError(err)) throw new ApiError('invalid_request', { message: err.message });
      throw err;
    }
    await registry.putSetting(id, IDENTITY_SETTINGS_KEY, options);
    return { options };
  });

  // Block an identifier value and split the profiles it glued together.
  app.post('/v1/admin/workspaces/:id/identity/block', async (req) => {
    const id = workspace(req.params);
    const body = parseInput(blockBody, req.body);
    return jobs.unmerge({
      workspaceId: id,
      identifier: body.type === undefined ? { value: body.value } : { type: body.type, value: body.value },
      keyId: deps.adminKeyId,
    });
  });

  app.get('/v1/admin/workspaces/:id/identity/jobs', async (req) => {
    const id = workspace(req.params);
    const rows = await transport.query<{ job_id: string; kind: string; state: string; result: string; key_id: string; created: string }>(
      `SELECT job_id, argMax(kind, version) AS kind, argMax(status, version) AS state, argMax(result, version) AS result,
              argMax(key_id, version) AS key_id, min(created_at) AS created
       FROM identity_jobs WHERE workspace_id = {w:String} GROUP BY job_id ORDER BY created DESC LIMIT 100`,
      { w: id },
    );
    return {
      jobs: rows.map((r) => ({ jobId: r.job_id, kind: r.kind, status: r.state, keyId: r.key_id, result: JSON.parse(r.result) as unknown })),
    };
  });
}
