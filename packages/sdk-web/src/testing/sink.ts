import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
export type Responder = (request: SinkRequest, index: number) => { status: number; body?: unknown; headers?: Record<string, string> };

/**
 * A loopback HTTP server for delivery tests: records every request and answers
 * with `respond` (default 200 `{ success: true, accepted, rejected: [] }`).
 */
export async function startSink(respond?: Responder) {
  const requests: SinkRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      const out = respond?.(request, requests.length - 1) ?? { status: 200, body: { success: true, accepted: 1, rejected: [] } };
      res.writeHead(out.status, { 'content-type': 'application/json', 'access-control-allow-origin': '*', ...out.headers });
      res.end(JSON.stringify(out.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Events of every batch received, in order. */
    events: () => requests.flatMap((r) => (JSON.parse(r.body) as { batch: Array<Record<string, unknown>> }).batch),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
