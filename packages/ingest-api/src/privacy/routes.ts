import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuditLog } from '../audit/log.js';
import { auditRequests, noteAudit } from '../audit/hook.js';
import { ApiError } from '../http/api-error.js';
import { requireSecretKey } from '../http/auth.js';
import { parseInput } from '../http/validation.js';
import { identifierParam } from '../identity/identifier-param.js';
import type { IdentityService } from '../identity/service.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import { readAccessExport } from './access.js';
import type { PrivacyRequest } from './requests.js';
import type { Subject } from './scope.js';
import type { PrivacyService } from './service.js';

export interface PrivacyRouteDeps {
  registry: TenantRegistry;
  transport: ClickHouseTransport;
  identity: IdentityService;
  privacy: PrivacyService;
  audit: AuditLog;
}

const requestBody = z
  .strictObject({
    type: z.enum(['access', 'erasure']),
    identifier: z
      .string()
      .max(1_100)
      .regex(/^[a-z][a-z0-9_]{0,63}:.+$/s, 'expected <type>:<value>, e.g. email:ana@example.com')
      .optional(),
    profileId: z.string().min(1).max(200).optional(),
  })
  .refine((b) => (b.identifier === undefined) !== (b.profileId === undefined), {
    message: 'give exactly one of identifier or profileId',
    path: ['identifier'],
  });
const requestParams = z.object({ requestId: z.string().min(1).max(100) });

/** The request as the API shows it: never the identifier. */
function view(r: PrivacyRequest): Record<string, unknown> {
  return {
    requestId: r.requestId,
    type: r.type,
    status: r.status,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    result: r.result,
    error: r.error === '' ? null : r.error,
    ...(r.type === 'access' && r.status === 'done' ? { export: `/v1/privacy/requests/${r.requestId}/export` } : {}),
  };
}

/**
 * Data-subject requests (secret key, the key's workspace). Each creation and
 * export download is audited with the key that made it; status reads are not
 * (clients poll them).
 */
export async function privacyRoutes(app: FastifyInstance, deps: PrivacyRouteDeps): Promise<void> {
  const { registry, privacy } = deps;
  auditRequests(app, {
    audit: deps.audit,
    who: () => undefined,
    actions: {
      'POST /v1/privacy/requests': { action: 'privacy.request.create' },
      'GET /v1/privacy/requests/:requestId': null,
      'GET /v1/privacy/requests/:requestId/export': { action: 'privacy.export.download' },
    },
  });
  const authenticate = (req: FastifyRequest) => {
    const key = requireSecretKey(req, registry);
    noteAudit(req, { keyId: key.keyId, workspaceId: key.workspaceId });
    return key;
  };
  const requestOr404 = async (req: FastifyRequest, workspaceId: string) => {
    const { requestId } = parseInput(requestParams, req.params);
    noteAudit(req, { target: requestId });
    const found = await privacy.store.get(workspaceId, requestId);
    if (found === undefined) throw new ApiError('not_found', { message: `No privacy request ${requestId}.`, path: 'requestId' });
    return found;
  };

  app.post('/v1/privacy/requests', async (req, reply) => {
    const key = authenticate(req);
    const body = parseInput(requestBody, req.body);
    const subject = subjectOf(deps.identity, key.workspaceId, body);
    const request = await privacy.submit({ workspaceId: key.workspaceId, type: body.type, subject, keyId: key.keyId });
    noteAudit(req, { target: request.requestId, details: { type: body.type, subjectHash: request.subjectHash } });
    reply.code(202);
    return view(request);
  });

  app.get('/v1/privacy/requests/:requestId', async (req) => {
    const key = authenticate(req);
    return view(await requestOr404(req, key.workspaceId));
  });

  app.get('/v1/privacy/requests/:requestId/export', async (req, reply) => {
    const key = authenticate(req);
    const request = await requestOr404(req, key.workspaceId);
    if (request.type !== 'access') throw new ApiError('not_found', { message: 'Only access requests have an export.', path: 'requestId' });
    if (request.status !== 'done') {
      throw new ApiError('not_ready', { message: `The request is ${request.status}; download the export once it is done.`, headers: { 'retry-after': '2' } });
    }
    const lines = readAccessExport(deps.transport, key.workspaceId, request.requestId);
    reply.type('application/x-ndjson; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="${request.requestId}.ndjson"`);
    return Readable.from(
      (async function* () {
        let any = false;
        for await (const line of lines) {
          any = true;
          yield `${line}\n`;
        }
        // Expired, or the person was erased since: nothing is held any more.
        if (!any) yield `${JSON.stringify({ kind: 'expired', requestId: request.requestId })}\n`;
      })(),
    );
  });
}

/** The request's subject, normalized as at ingestion. */
function subjectOf(identity: IdentityService, workspaceId: string, body: { identifier?: string | undefined; profileId?: string | undefined }): Subject {
  if (body.profileId !== undefined) return { profileId: body.profileId };
  return { identifier: identifierParam(body.identifier ?? '', identity.workspace(workspaceId).config, 'identifier') };
}
