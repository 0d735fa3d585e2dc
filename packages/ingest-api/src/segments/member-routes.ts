import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/api-error.js';
import { parseInput } from '../http/validation.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import { documentParams } from './documents.js';
import { memberTraitsSchema, type SegmentDefinitions, type StoredSegment } from './definitions.js';
import { countMembers, decodeMemberCursor, encodeMemberCursor, exportLines, pageOfMembers, traitsOf } from './membership.js';

/** `?traits=email,plan`; absent = the segment's memberTraits. */
const traitsParam = z
  .string()
  .max(5_000)
  .transform((v) => v.split(',').map((k) => k.trim()).filter((k) => k !== ''))
  .pipe(memberTraitsSchema)
  .optional();
const membersQuery = z.object({
  cursor: z.string().max(2_000).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  traits: traitsParam,
});
const exportQuery = z.object({ format: z.enum(['ndjson', 'csv']).default('ndjson'), traits: traitsParam });

/** Count, members (cursor pages) and export of a stored segment. */
export function registerMemberRoutes(
  app: FastifyInstance,
  deps: { workspaceOf: (req: FastifyRequest) => string; transport: ClickHouseTransport; definitions: SegmentDefinitions },
): void {
  const { workspaceOf, transport, definitions } = deps;
  const segmentOf = async (req: FastifyRequest): Promise<{ workspaceId: string; segment: StoredSegment }> => {
    const workspaceId = workspaceOf(req);
    const { id } = parseInput(documentParams, req.params);
    return { workspaceId, segment: await definitions.store.require(workspaceId, id) };
  };

  app.get('/v1/segments/:id/count', async (req) => {
    const { workspaceId, segment } = await segmentOf(req);
    const now = Date.now();
    const count = await countMembers(transport, await definitions.compile(workspaceId, segment.body.definition, now));
    return { segmentId: segment.id, count, computedAt: new Date(now).toISOString() };
  });

  app.get('/v1/segments/:id/members', async (req) => {
    const query = parseInput(membersQuery, req.query);
    const after = query.cursor === undefined ? '' : decodeMemberCursor(query.cursor);
    if (after === undefined) throw new ApiError('invalid_request', { message: 'cursor: not a cursor returned by this endpoint', path: 'cursor' });
    const { workspaceId, segment } = await segmentOf(req);
    const traits = query.traits ?? segment.body.memberTraits;
    const compiled = await definitions.compile(workspaceId, segment.body.definition);
    // One more than asked tells whether another page follows.
    const ids = await pageOfMembers(transport, compiled, { after, limit: query.limit + 1 });
    const page = ids.slice(0, query.limit);
    const values = await traitsOf(transport, workspaceId, page, traits);
    const last = page[page.length - 1];
    return {
      members: page.map((id) => ({ id, traits: values.get(id) ?? {} })),
      nextCursor: ids.length > query.limit && last !== undefined ? encodeMemberCursor(last) : null,
    };
  });

  app.get('/v1/segments/:id/export', async (req, reply) => {
    const query = parseInput(exportQuery, req.query);
    const { workspaceId, segment } = await segmentOf(req);
    const compiled = await definitions.compile(workspaceId, segment.body.definition);
    const lines = exportLines(transport, { workspaceId, query: compiled, format: query.format, traits: query.traits ?? segment.body.memberTraits });
    const ext = query.format === 'csv' ? 'csv' : 'ndjson';
    reply
      .type(query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="${segment.id}.${ext}"`);
    return reply.send(Readable.from(lines));
  });
}
