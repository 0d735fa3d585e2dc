// @ts-check
/**
 * The loopback sink, run in its own process with plain node: answers 200 to every
 * POST, gunzips, counts unique messageIds (Segment/ours: `messageId`, PostHog:
 * `uuid`) and duplicates, and notes the wall time at which the last new id arrived.
 * IPC: sends { type: 'listening', port }; answers 'stats' with the counts.
 */
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** @type {Set<string>} */
const seen = new Set();
let received = 0;
let lastNewAt = 0;
let requests = 0;

const server = createServer((req, res) => {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (/** @type {Buffer} */ c) => chunks.push(c));
  req.on('end', () => {
    requests++;
    try {
      const raw = Buffer.concat(chunks);
      const gz = req.headers['content-encoding'] === 'gzip' || (raw[0] === 0x1f && raw[1] === 0x8b);
      /** @type {{ batch?: Array<Record<string, unknown>> }} */
      const body = JSON.parse((gz ? gunzipSync(raw) : raw).toString('utf8'));
      for (const event of body.batch ?? []) {
        received++;
        const id = String(event['messageId'] ?? event['uuid']);
        if (!seen.has(id)) {
          seen.add(id);
          lastNewAt = Date.now();
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"success":true,"status":1}');
    } catch (error) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'invalid_json', message: String(error) } }));
    }
  });
});
server.keepAliveTimeout = 65_000;

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
});

process.on('message', (message) => {
  if (message === 'stats') {
    process.send?.({ type: 'stats', unique: seen.size, received, duplicates: received - seen.size, lastNewAt, requests });
  }
});
process.on('disconnect', () => process.exit(0));
