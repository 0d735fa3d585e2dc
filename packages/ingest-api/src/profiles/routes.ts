import { normalizeIdentifier } from '@cdp/identity-resolution';
import { parseIsoDate } from '@cdp/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { requireSecretKey } from '../http/auth.js';
import { parseInput } from '../http/validation.js';
import type { IdentityService } from '../identity/service.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import { decodeCursor, eventsOf, membersOf, ownerOf, profileView, survivorOf } from './queries.js';

export interface ProfileDeps {
  registry: TenantRegistry;
  transport: ClickHouseTransport;
  identity: IdentityService;
  /** Computed traits of a profile, from the ids it is made of (survivor first). */
  computedTraits?: (workspaceId: string, profileIds: readonly string[]) => Promise<Record<string, unknown>>;
}

const profileParams = z.object({ profileId: z.string().min(1).max(200) });
const lookupQuery = z.object({
  identifier: z
    .string({ error: 'expected ?identifier=<type>:<value>' })
    .regex(/^[a-z][a-z0-9_]{0,63}:.+$/s, 'expected <type>:<value>, e.g. email:ana@example.com'),
});
const isoParam = z
  .string()
  .transform((v, ctx) => {
    const ms = parseIsoDate(v);
    if (Number.isNaN(ms)) ctx.issues.push({ code: 'custom', input: v, message: 'expected an ISO 8601 date-time' });
    return ms;
  })
  .optional();
const eventsQuery = z.object({
  from: isoParam,
  to: isoParam,
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(2000).optional(),
});

/**
 * Profile API: secret key (Bearer), scoped to the key's workspace. A merged-away
 * id answers with its survivor; an unknown id is a 404, whatever workspace owns it.
 */
export async function profileRoutes(app: FastifyInstance, deps: ProfileDeps): Promise<void> {
  const { registry, transport, identity } = deps;
  const workspaceOf = (req: FastifyRequest) => requireSecretKey(req, registry).workspaceId;

  const withComputed = async (workspaceId: string, survivor: string) => {
    const view = await profileView(transport, workspaceId, survivor);
    if (deps.computedTraits === undefined) return view;
    return { ...view, computedTraits: await deps.computedTraits(workspaceId, [view.id, ...view.mergedFrom]) };
  };

  const survivorOr404 = async (workspaceId: string, profileId: string) => {
    const survivor = await survivorOf(transport, workspaceId, profileId);
    if (survivor === undefined) throw new ApiError('not_found', { message: `No profile ${profileId}.`, path: 'profileId' });
    return survivor;
  };

  app.get('/v1/profiles/:profileId', async (req) => {
    const workspaceId = workspaceOf(req);
    const { profileId } = parseInput(profileParams, req.params);
    return withComputed(workspaceId, await survivorOr404(workspaceId, profileId));
  });

  app.get('/v1/profiles', async (req) => {
    const workspaceId = workspaceOf(req);
    const { identifier } = parseInput(lookupQuery, req.query);
    const colon = identifier.indexOf(':');
    const type = identifier.slice(0, colon);
    const config = identity.workspace(workspaceId).config;
    if (!config.types.has(type)) {
      throw new ApiError('invalid_request', {
        message: `identifier: unknown identifier type "${type}"; this workspace has ${[...config.types.keys()].join(', ')}`,
        path: 'identifier',
      });
    }
    // Normalized exactly as at ingestion, so "  Ana@Example.COM" finds ana@example.com.
    const normalized = normalizeIdentifier(type, identifier.slice(colon + 1), config);
    if (!normalized.ok) {
      throw new ApiError('invalid_request', {
        message: `identifier: the ${type} is ${normalized.dropped.reason} (${normalized.dropped.detail})`,
        path: 'identifier',
      });
    }
    const survivor = await ownerOf(transport, workspaceId, type, normalized.identifier.value);
    if (survivor === undefined) throw new ApiError('not_found', { message: `No profile has ${type} ${normalized.identifier.value}.`, path: 'identifier' });
    return withComputed(workspaceId, survivor);
  });

  app.get('/v1/profiles/:profileId/events', async (req) => {
    const workspaceId = workspaceOf(req);
    const { profileId } = parseInput(profileParams, req.params);
    const query = parseInput(eventsQuery, req.query);
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && cursor === undefined) {
      throw new ApiError('invalid_request', { message: 'cursor: not a cursor returned by this endpoint', path: 'cursor' });
    }
    const survivor = await survivorOr404(workspaceId, profileId);
    return eventsOf(transport, {
      workspaceId,
      members: await membersOf(transport, workspaceId, survivor),
      limit: query.limit,
      ...(query.from === undefined ? {} : { from: query.from }),
      ...(query.to === undefined ? {} : { to: query.to }),
      ...(cursor === undefined ? {} : { cursor }),
    });
  });
}
