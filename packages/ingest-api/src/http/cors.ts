import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * CORS for the ingestion routes, so browsers on other origins can send events.
 * `*` allows any origin; otherwise the request's Origin must be listed
 * exactly. No credentials: the SDK authenticates with its write key.
 * Register inside the ingestion scope, then `addPreflightRoute` per path.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const origin = req.headers.origin;
    if (any) reply.header('access-control-allow-origin', origin ?? '*');
    else if (origin !== undefined && allowed.has(origin)) reply.header('access-control-allow-origin', origin);
    if (!any || origin !== undefined) reply.header('vary', 'Origin');
  });
}

export function addPreflightRoute(app: FastifyInstance, url: string): void {
  app.options(url, async (_req, reply) => {
    reply
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'Authorization, Content-Type, Content-Encoding, X-Retry-Count')
      .header('access-control-max-age', '86400')
      .code(204)
      .send();
  });
}
