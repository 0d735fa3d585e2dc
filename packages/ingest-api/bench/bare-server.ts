import Fastify from 'fastify';

/**
 * The ceiling: a Fastify route that only parses the same JSON bodies and
 * answers, nothing else. Run as its own process by the ingest benchmark.
 */
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_req, body, done) => {
  try {
    done(null, JSON.parse(body as string));
  } catch (err) {
    done(err as Error, undefined);
  }
});
const ok = async () => ({ success: true });
app.post('/v1/batch', ok);
app.post('/v1/track', ok);
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stderr.write(`listening on ${address}\n`);
