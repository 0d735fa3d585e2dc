import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiError, isApiError } from './api-error.js';
import { parseJson } from './json.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Fastify's own error codes mapped onto our registry. */
const FASTIFY_ERRORS: Record<string, ApiError['code']> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'invalid_body',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_body',
  FST_ERR_CTP_INVALID_TYPE: 'invalid_body',
  FST_ERR_VALIDATION: 'invalid_request',
};

/**
 * The Fastify instance with the cross-cutting parts: request ids, error
 * mapping, 404/405. Logging goes through the given pino logger, whose
 * redaction keeps keys and payloads out of the logs.
 */
export function createFastify(options: { logger: Logger; trustProxy: boolean; bodyLimit: number }): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    trustProxy: options.trustProxy,
    bodyLimit: options.bodyLimit,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', req.id);
  });

  // JSON bodies of the read and admin APIs go through the same parser as ingestion's: a lone surrogate in a
  // segment or workspace name would otherwise reach a ClickHouse insert, which refuses it (a 500).
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJson(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((err: FastifyError | ApiError, req: FastifyRequest, reply: FastifyReply) => {
    let apiError: ApiError;
    if (isApiError(err)) apiError = err;
    else {
      const mapped = err.code === undefined ? undefined : FASTIFY_ERRORS[err.code];
      if (mapped !== undefined) apiError = new ApiError(mapped, { message: err.message });
      else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        apiError = new ApiError('invalid_request', { message: err.message });
      } else {
        req.log.error({ err }, 'unhandled error');
        apiError = new ApiError('internal_error');
      }
    }
    if (apiError.statusCode >= 500 && apiError.code !== 'internal_error') req.log.warn({ code: apiError.code }, apiError.message);
    if (apiError.headers !== undefined) reply.headers(apiError.headers);
    reply.code(apiError.statusCode).send(apiError.toBody());
  });

  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? req.url;
    const other = (['GET', 'POST', 'PUT', 'DELETE'] as const).filter(
      (m) => m !== req.method && app.hasRoute({ method: m, url: path }),
    );
    const error =
      other.length > 0
        ? new ApiError('method_not_allowed', { message: `${req.method} is not allowed on ${path}; use ${other.join(', ')}.` })
        : new ApiError('not_found', { message: `No route ${req.method} ${path}.` });
    if (other.length > 0) reply.header('allow', other.join(', '));
    reply.code(error.statusCode).send(error.toBody());
  });

  return app;
}
