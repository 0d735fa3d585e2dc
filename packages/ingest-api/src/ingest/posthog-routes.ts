import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Limits, RejectedEvent } from '@cdp/protocol';
import { ApiError, isApiError } from '../http/api-error.js';
import { writeKeyRecord } from '../http/auth.js';
import { addPreflightRoute } from '../http/cors.js';
import { parseJson } from '../http/json.js';
import type { Metrics } from '../http/metrics.js';
import type { TenantRegistry } from '../tenancy/registry.js';
import { compressedBodyLimit, requestText } from './body.js';
import { fromPostHog, POSTHOG_PATHS, postHogError, postHogRejected, refusedUpdates, unwrapFormData, type PersonUpdate } from './posthog.js';
import type { ProcessedRequest } from './process.js';

export interface PostHogRouteDeps {
  /** Validates a `/v1/batch`-shaped body in `req.ingest` and makes its events durable (the other routes' path). */
  ingest: (req: FastifyRequest, kind: 'batch') => Promise<ProcessedRequest>;
  registry: TenantRegistry;
  limits: Limits;
  metrics: Metrics;
}

/**
 * What posthog-js asks before it captures: its remote config and its feature flags. This server has neither, and
 * says so (no flags, no recordings, no surveys) rather than answering 404, which the browser logs as an error on
 * every page; `supportedCompression` lets posthog-js gzip its bodies.
 */
const REMOTE_CONFIG = {
  supportedCompression: ['gzip', 'gzip-js'],
  hasFeatureFlags: false,
  sessionRecording: false,
  surveys: false,
  heatmaps: false,
  autocaptureExceptions: false,
  siteApps: [],
};
/** The answer of `/flags/` (v2: `flags`) and of the older `/decide/` (`featureFlags`): no flags. */
const NO_FLAGS = { ...REMOTE_CONFIG, flags: {}, featureFlags: {}, featureFlagPayloads: {}, errorsWhileComputingFlags: false };

/** PostHog's capture API (see posthog.ts) and the two questions posthog-js asks first. */
export function registerPostHogRoutes(app: FastifyInstance, deps: PostHogRouteDeps): void {
  const { ingest, registry, limits, metrics } = deps;
  const pending = new WeakMap<FastifyRequest, { updates: PersonUpdate[]; sentAt: string | undefined }>();
  // The project token (our write key) is in the body; the events are converted, then stored as any others.
  const fromBody = async (req: FastifyRequest) => {
    metrics.requests++;
    const { writeKey, envelope, updates } = fromPostHog(parseJson(unwrapFormData(await requestText(req, limits.maxBodyBytes))));
    if (writeKey === undefined) throw new ApiError('missing_write_key', { message: 'No project token: send it as api_key in the body or as properties.token.' });
    req.ingest = { body: envelope, key: writeKeyRecord(registry, writeKey) };
    if (updates.length > 0) pending.set(req, { updates, sentAt: envelope.sentAt });
  };

  /**
   * The person updates of the events just accepted, stored after them (an update whose event was refused is not:
   * PostHog would not apply it either). Returns the refused updates, named at their events' `$set`.
   */
  const storeUpdates = async (req: FastifyRequest, refused: ReadonlySet<number>): Promise<RejectedEvent[]> => {
    const found = pending.get(req);
    const updates = found?.updates.filter((u) => !refused.has(u.source)) ?? [];
    if (found === undefined || updates.length === 0 || req.ingest === null) return [];
    req.ingest = { ...req.ingest, body: { batch: updates.map((u) => u.event), ...(found.sentAt === undefined ? {} : { sentAt: found.sentAt }) } };
    try {
      return refusedUpdates((await ingest(req, 'batch')).rejected, updates);
    } catch (err) {
      // Not durable: the client must retry (its events are deduplicated). Any other error lists the refused updates.
      if (!isApiError(err) || err.statusCode >= 500) throw err;
      const rejected = err.extra?.['rejected'];
      return refusedUpdates(Array.isArray(rejected) ? (rejected as RejectedEvent[]) : [], updates);
    }
  };

  for (const url of POSTHOG_PATHS) {
    addPreflightRoute(app, url);
    app.post(url, { bodyLimit: compressedBodyLimit(limits.maxBodyBytes), preValidation: fromBody }, async (req, reply) => {
      let result: ProcessedRequest;
      try {
        result = await ingest(req, 'batch');
      } catch (err) {
        throw isApiError(err) ? postHogError(err) : err;
      }
      const refusedUpdate = await storeUpdates(req, new Set(result.rejected.map((r) => r.index)));
      reply.code(200);
      return {
        status: 1,
        success: true,
        accepted: result.accepted,
        rejected: [...postHogRejected(result.rejected), ...refusedUpdate],
        ...(result.dropped > 0 ? { dropped: result.dropped } : {}),
      };
    });
  }
  app.get('/array/:token/config', async () => REMOTE_CONFIG);
  for (const url of ['/flags/', '/decide/']) {
    addPreflightRoute(app, url);
    // The body (who is asking, in a form posthog-js may base64) is not needed to answer "no flags".
    app.post(url, async () => NO_FLAGS);
  }
}
