import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Analytics, Identity } from '@cdp/sdk-node';

/**
 * The service: a login that identifies the user, a product page, and a hook that
 * tracks every request. Who a request is from: the `x-user-id` header once logged
 * in, else the `x-anonymous-id` header a front end would keep in a cookie.
 */
export function buildApp({ analytics }: { analytics: Analytics }): FastifyInstance {
  const app = Fastify({ logger: false });

  // The SDK never throws; its problems arrive here.
  analytics.on('error', (error) => app.log.warn({ code: error.code, count: error.count }, error.message));
  analytics.on('drop', (drop) => app.log.warn({ reason: drop.reason, count: drop.count }, 'analytics events dropped'));

  app.decorateRequest('identity', null);
  app.addHook('onRequest', async (request) => {
    request.identity = identityOf(request);
  });

  app.post<{ Body: { userId: string; email?: string; plan?: string } }>(
    '/login',
    { schema: { body: loginBody } },
    async (request) => {
      const { userId, email, plan } = request.body;
      const anonymousId = header(request, 'x-anonymous-id');
      analytics.identify({ userId, ...(anonymousId ? { anonymousId } : {}), traits: { email, plan } });
      request.identity = { userId, ...(anonymousId ? { anonymousId } : {}) };
      return { userId };
    },
  );

  app.get<{ Params: { id: string } }>('/products/:id', async (request) => {
    const product = { id: request.params.id, name: `Product ${request.params.id}`, price: 42 };
    analytics.track({ ...identity(request), event: 'Product Viewed', properties: { productId: product.id, price: product.price } });
    return product;
  });

  app.get('/health', async () => ({ ok: true }));

  app.addHook('onResponse', async (request, reply) => {
    analytics.track({
      ...identity(request),
      event: 'Request Handled',
      properties: {
        method: request.method,
        route: request.routeOptions.url ?? 'unknown',
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
      },
      context: { ip: request.ip, userAgent: header(request, 'user-agent') ?? '' },
    });
  });

  return app;
}

const loginBody = {
  type: 'object',
  required: ['userId'],
  properties: { userId: { type: 'string', minLength: 1 }, email: { type: 'string' }, plan: { type: 'string' } },
} as const;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Set by the onRequest hook (and by /login); the fallback only serves type safety. */
function identity(request: FastifyRequest): Identity {
  return request.identity ?? (request.identity = identityOf(request));
}

function identityOf(request: FastifyRequest): Identity {
  const userId = header(request, 'x-user-id');
  const anonymousId = header(request, 'x-anonymous-id');
  if (userId !== undefined) return anonymousId === undefined ? { userId } : { userId, anonymousId };
  return { anonymousId: anonymousId ?? randomUUID() };
}

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | null;
  }
}
