import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isPlainObject, SHORT_PATHS, EVENT_TYPES, type EventType } from '@cdp/protocol';
import type { ResolvedOptions } from '../config/options.js';
import { ApiError } from '../http/api-error.js';
import { basicAuthUser, writeKeyRecord } from '../http/auth.js';
import { addPreflightRoute, registerCors } from '../http/cors.js';
import type { Metrics } from '../http/metrics.js';
import type { PrivacyPolicies } from '../privacy/policy.js';
import { SpoolFullError, type Spool } from '../spool/spool.js';
import type { KeyRecord, TenantRegistry } from '../tenancy/registry.js';
import { parseJson } from '../http/json.js';
import { compressedBodyLimit, requestText } from './body.js';
import { PIXEL_GIF, PIXEL_ROUTES, pixelEvent } from './pixel.js';
import { registerPostHogRoutes } from './posthog-routes.js';
import { processBatch, processSingle, type ProcessedRequest } from './process.js';
import { registerProjectSettings } from './settings-route.js';

export interface IngestDeps {
  registry: TenantRegistry;
  spool: Spool;
  options: ResolvedOptions;
  metrics: Metrics;
  /** Consent and PII controls per workspace (none: events are stored as sent). */
  privacy?: PrivacyPolicies;
}

interface IngestContext {
  body: unknown;
  key: KeyRecord;
}

declare module 'fastify' {
  interface FastifyRequest {
    ingest: IngestContext | null;
  }
}

/** Every POST ingestion path and what it carries. Of these, only the beacon path takes the key from the query string. */
export const INGEST_ROUTES: ReadonlyArray<{ url: string; kind: 'batch' | EventType; queryKey: boolean }> = [
  { url: '/v1/batch', kind: 'batch', queryKey: false },
  { url: '/v1/b', kind: 'batch', queryKey: false },
  { url: '/beacon/v1/batch', kind: 'batch', queryKey: true },
  ...EVENT_TYPES.map((type) => ({ url: `/v1/${type}`, kind: type, queryKey: false })),
  ...Object.entries(SHORT_PATHS).map(([short, type]) => ({ url: `/v1/${short}`, kind: type, queryKey: false })),
];

/** The ingestion routes, in their own scope: raw-body parsing, CORS and rate limits apply only here. */
export async function ingestRoutes(app: FastifyInstance, deps: IngestDeps): Promise<void> {
  const { options, registry, spool, metrics } = deps;
  const { limits } = options;
  app.decorateRequest('ingest', null);
  // Bodies arrive as JSON, text/plain, form-urlencoded or without a type, compressed
  // or not: take the bytes and decide by content, as real clients require.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  registerCors(app, options.corsOrigins);
  app.addHook('onResponse', async (_req, reply) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500) metrics.requestsRejected++;
  });
  if (options.rateLimit.max > 0) {
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler',
      max: options.rateLimit.max,
      timeWindow: options.rateLimit.windowMs,
      keyGenerator: (req) => req.ingest?.key.keyId ?? req.ip,
      errorResponseBuilder: (_req, context) => {
        metrics.rateLimited++;
        return new ApiError('rate_limited', {
          message: `Rate limit of ${context.max} requests per ${options.rateLimit.windowMs} ms exceeded for this write key; retry in ${context.after}.`,
        });
      },
    });
  }

  const authenticate = (queryKey: boolean) => async (req: FastifyRequest) => {
    metrics.requests++;
    // A Basic header is checked before touching the body: bad keys cost no decompression.
    let key = basicAuthUser(req.headers.authorization);
    let record = key === undefined ? undefined : writeKeyRecord(registry, key);
    const body = parseJson(await requestText(req, limits.maxBodyBytes));
    if (record === undefined) {
      key = isPlainObject(body) && typeof body['writeKey'] === 'string' ? body['writeKey'] : undefined;
      if (key === undefined && queryKey) {
        const q = (req.query as Record<string, unknown> | undefined)?.['writeKey'];
        if (typeof q === 'string' && q !== '') key = q;
      }
      if (key === undefined) throw new ApiError('missing_write_key');
      record = writeKeyRecord(registry, key);
    }
    req.ingest = { body, key: record };
  };

  registerProjectSettings(app, registry);

  /** Validates the request's events and makes them durable; throws the request's error after its dead letters are. */
  const ingest = async (req: FastifyRequest, kind: 'batch' | EventType): Promise<ProcessedRequest> => {
    const ctx = req.ingest as IngestContext;
    const facts = {
      workspaceId: ctx.key.workspaceId,
      keyId: ctx.key.keyId,
      receivedAt: Date.now(),
      ip: options.captureIp ? req.ip : undefined,
    };
    const policy = deps.privacy?.forKey(ctx.key);
    const result = kind === 'batch' ? processBatch(ctx.body, facts, limits, policy) : processSingle(ctx.body, kind, facts, limits, policy);
    if (result.lines.length > 0) {
      try {
        await spool.append(result.lines);
      } catch (err) {
        req.log.error({ err: (err as Error).message }, 'spool append failed');
        throw new ApiError('unavailable', {
          message:
            err instanceof SpoolFullError
              ? 'The server is behind on writing events to storage; retry later.'
              : 'The server could not make the events durable; retry later.',
          headers: { 'retry-after': '5' },
          cause: err,
        });
      }
    }
    metrics.eventsAccepted += result.accepted;
    metrics.eventsRejected += result.rejected.length;
    metrics.eventsConsentDropped += result.dropped;
    if (result.error !== undefined) throw result.error;
    return result;
  };

  for (const route of INGEST_ROUTES) {
    addPreflightRoute(app, route.url);
    app.post(route.url, { bodyLimit: compressedBodyLimit(limits.maxBodyBytes), preValidation: authenticate(route.queryKey) }, async (req, reply) => {
      const result = await ingest(req, route.kind);
      reply.code(200);
      return {
        success: true,
        accepted: result.accepted,
        rejected: result.rejected,
        ...(result.dropped > 0 ? { dropped: result.dropped } : {}),
      };
    });
  }

  registerPostHogRoutes(app, { ingest, registry, limits, metrics });

  // RudderStack's pixel API: the event and the write key are in the query string; a stored event answers an image.
  const fromQuery = async (req: FastifyRequest) => {
    metrics.requests++;
    const { writeKey, event } = pixelEvent(req.query, new Date().toISOString());
    if (writeKey === undefined) throw new ApiError('missing_write_key', { message: 'No write key: a pixel carries it as ?writeKey=.' });
    req.ingest = { body: event, key: writeKeyRecord(registry, writeKey) };
  };
  for (const route of PIXEL_ROUTES) {
    app.get(route.url, { preValidation: fromQuery }, async (req, reply) => {
      await ingest(req, route.type);
      return reply.code(200).header('content-type', 'image/gif').header('cache-control', 'no-store, max-age=0').send(PIXEL_GIF);
    });
  }
}
