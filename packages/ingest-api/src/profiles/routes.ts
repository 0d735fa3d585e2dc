import { parseIsoDate } from '@cdp/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { requireSecretKey } from '../http/auth.js';
import { parseInput } from '../http/validation.js';
import { identifierParam } from '../identity/identifier-param.js';
import type { IdentityService } from '../identity/service.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import { decodeCursor, eventsOf, membersOf, ownerOf, profileDocument, survivorOf, type ComputedTraitsOf } from './queries.js';

export interface ProfileDeps {
  registry: TenantRegistry;
  transport: ClickHouseTransport;
  identity: IdentityService;
  computedTraits?: ComputedTraitsOf;
}

const profileParams = z.object({ profileId: z.string().min(1).max(200) });
const lookupQuery = z.object({
  identifier: z
    .string({ error: 'expected ?identifier=<type>:<value>' })
    .regex(/^[a-z][a-z0-9_]{0,63}:.+$/s, 'expected <type>:<value>, e.g. email:ana@example.com'),
});
/** An optional ISO 8601 date-time query parameter, as epoch ms. */
export const isoParam = z
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

  const withComputed = (workspaceId: string, survivor: string) => profileDocument(transport, workspaceId, survivor, deps.computedTraits);

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
    const { type, value } = identifierParam(identifier, identity.workspace(workspaceId).config, 'identifier');
    const survivor = await ownerOf(transport, workspaceId, type, value);
    if (survivor === undefined) throw new ApiError('not_found', { message: `No profile has ${type} ${value}.`, path: 'identifier' });
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
