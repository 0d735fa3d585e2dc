import { resolveSegmentSettings, segmentDefinitionSchema, SegmentSettingsError } from '@cdp/segments';
import { formatPath } from '@cdp/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { requireSecretKey } from '../http/auth.js';
import { parseInput } from '../http/validation.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import { SEGMENT_SETTINGS_KEY, segmentBodySchema, segmentView, type SegmentDefinitions } from './definitions.js';
import { documentParams } from './documents.js';
import { registerMemberRoutes } from './member-routes.js';
import { sampleOfMembers } from './membership.js';

export interface SegmentRouteDeps {
  registry: TenantRegistry;
  transport: ClickHouseTransport;
  definitions: SegmentDefinitions;
}

const previewBody = z.strictObject({
  definition: segmentDefinitionSchema,
  limit: z.number().int().min(1).max(100).default(10),
});

/**
 * Segment API: secret key (Bearer), scoped to the key's workspace. Definitions
 * are validated (zod, then references and compilation) before anything is
 * stored; membership is always computed live.
 */
export async function segmentRoutes(app: FastifyInstance, deps: SegmentRouteDeps): Promise<void> {
  const { registry, transport, definitions } = deps;
  const workspaceOf = (req: FastifyRequest) => requireSecretKey(req, registry).workspaceId;

  app.post('/v1/segments', async (req, reply) => {
    const workspaceId = workspaceOf(req);
    const body = parseInput(segmentBodySchema, req.body);
    await definitions.validate(workspaceId, body.definition);
    const created = await definitions.store.create(workspaceId, {
      name: body.name,
      description: body.description,
      body: { definition: body.definition, memberTraits: body.memberTraits },
    });
    reply.code(201);
    return segmentView(created);
  });

  app.get('/v1/segments', async (req) => {
    const workspaceId = workspaceOf(req);
    return { segments: (await definitions.store.list(workspaceId)).map(segmentView) };
  });

  app.get('/v1/segments/settings', async (req) => ({ settings: definitions.settings(workspaceOf(req)) }));

  app.put('/v1/segments/settings', async (req) => {
    const workspaceId = workspaceOf(req);
    let settings;
    try {
      settings = resolveSegmentSettings(req.body ?? {});
    } catch (err) {
      if (!(err instanceof SegmentSettingsError)) throw err;
      throw new ApiError('invalid_request', { message: err.message, ...(err.path.length === 0 ? {} : { path: formatPath(err.path) }) });
    }
    await registry.putSetting(workspaceId, SEGMENT_SETTINGS_KEY, req.body ?? {});
    return { settings };
  });

  app.post('/v1/segments/preview', async (req) => {
    const workspaceId = workspaceOf(req);
    const body = parseInput(previewBody, req.body);
    await definitions.validate(workspaceId, body.definition);
    const now = Date.now();
    const result = await sampleOfMembers(transport, await definitions.compile(workspaceId, body.definition, now), body.limit);
    return { ...result, computedAt: new Date(now).toISOString() };
  });

  app.get('/v1/segments/:id', async (req) => {
    const workspaceId = workspaceOf(req);
    const { id } = parseInput(documentParams, req.params);
    return segmentView(await definitions.store.require(workspaceId, id));
  });

  app.put('/v1/segments/:id', async (req) => {
    const workspaceId = workspaceOf(req);
    const { id } = parseInput(documentParams, req.params);
    const body = parseInput(segmentBodySchema, req.body);
    const previous = await definitions.store.require(workspaceId, id);
    await definitions.validate(workspaceId, body.definition, id);
    const updated = await definitions.store.replace(workspaceId, previous, {
      name: body.name,
      description: body.description,
      body: { definition: body.definition, memberTraits: body.memberTraits },
    });
    return segmentView(updated);
  });

  app.delete('/v1/segments/:id', async (req, reply) => {
    const workspaceId = workspaceOf(req);
    const { id } = parseInput(documentParams, req.params);
    const previous = await definitions.store.require(workspaceId, id);
    const users = await definitions.referrers(workspaceId, id);
    if (users.length > 0) {
      throw new ApiError('conflict', {
        message: `Segment ${id} is used by ${users.map((s) => s.id).join(', ')}; remove those references first.`,
        path: 'id',
      });
    }
    await definitions.store.delete(workspaceId, previous);
    reply.code(204);
  });

  // For data teams: the exact query the API runs, with its parameters.
  app.get('/v1/segments/:id/sql', async (req) => {
    const workspaceId = workspaceOf(req);
    const { id } = parseInput(documentParams, req.params);
    const segment = await definitions.store.require(workspaceId, id);
    const now = Date.now();
    const query = await definitions.compile(workspaceId, segment.body.definition, now);
    return { segmentId: id, sql: query.sql, params: query.params, computedAt: new Date(now).toISOString() };
  });

  registerMemberRoutes(app, { workspaceOf, transport, definitions });
}
