import pino, { type Logger } from 'pino';

/**
 * JSON logs that never carry keys or personal data: auth headers and cookies
 * are redacted, query strings (the beacon's writeKey) are cut from URLs, the
 * client address (personal data under GDPR) is dropped, and request bodies
 * are never logged. Redaction rather than serializers, because Fastify
 * installs its own request serializer over the logger's.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.url',
  'req.remoteAddress',
  'req.remotePort',
  'headers.authorization',
  'headers.cookie',
  'writeKey',
  '*.writeKey',
];

function censor(value: unknown, path: string[]): unknown {
  if (path[path.length - 1] === 'url' && typeof value === 'string') {
    const q = value.indexOf('?');
    return q === -1 ? value : `${value.slice(0, q)}?[redacted]`;
  }
  return '[redacted]';
}

export function createLogger(options: { level: string; destination?: pino.DestinationStream }): Logger {
  return pino({ level: options.level, redact: { paths: REDACT, censor } }, options.destination);
}
