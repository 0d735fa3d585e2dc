import type { FastifyInstance } from 'fastify';
import { ApiError } from '../http/api-error.js';
import type { TenantRegistry } from '../tenancy/registry.js';

/**
 * The settings document analytics.js (analytics-next) loads before sending
 * anything, from `<cdnURL>/v1/projects/<writeKey>/settings`. Pointing `cdnURL`
 * at this server makes an unchanged analytics.js send to it: the Segment.io
 * destination's apiHost is this host. Public, like the write key it names.
 */
export function registerProjectSettings(app: FastifyInstance, registry: TenantRegistry): void {
  app.get<{ Params: { writeKey: string } }>('/v1/projects/:writeKey/settings', async (req, reply) => {
    const { writeKey } = req.params;
    const key = registry.lookup(writeKey);
    if (key === undefined || key.kind !== 'write') throw new ApiError('invalid_write_key');
    const host = req.headers['x-forwarded-host'] ?? req.headers.host ?? `${req.hostname}`;
    const protocol = req.protocol;
    reply.header('cache-control', 'public, max-age=300');
    return {
      integrations: {
        'Segment.io': {
          apiKey: writeKey,
          apiHost: `${Array.isArray(host) ? host[0] : host}/v1`,
          protocol,
          unbundledIntegrations: [],
          addBundledMetadata: false,
        },
      },
      plan: { track: { __default: { enabled: true, integrations: {} } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
      edgeFunction: {},
      analyticsNextEnabled: true,
      middlewareSettings: {},
      enabledMiddleware: {},
      // No metrics to Segment's own endpoint.
      metrics: { sampleRate: 0 },
      legacyVideoPluginsEnabled: false,
      remotePlugins: [],
    };
  });
}
