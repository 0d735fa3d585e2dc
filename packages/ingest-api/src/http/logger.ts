import pino, { type Logger } from 'pino';

/**
 * JSON logs that never carry keys or personal data: auth headers and cookies
 * are redacted, query strings (the beacon's writeKey) are cut from URLs, and
 * request bodies are never logged.
 */
export function createLogger(options: { level: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'writeKey', '*.writeKey'],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { method: string; url: string; id: string; ip?: string; headers?: Record<string, unknown> }) => ({
          method: req.method,
          url: stripQuery(req.url),
          reqId: req.id,
          userAgent: req.headers?.['user-agent'],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    },
    options.destination,
  );
}

function stripQuery(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
}
