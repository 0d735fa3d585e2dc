/**
 * `@cdp/sdk-node/testing`: a real HTTP collector on 127.0.0.1 for tests (ours and
 * apps'), recording what the SDK sends and answering as each test scripts it.
 * Every body it receives is checked against the protocol schemas (the wire
 * contract), so any test that sends proves it too.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { batchEnvelopeSchema, validateEvent } from '@cdp/protocol';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Raw body size on the wire. */
  wireBytes: number;
  /** The body after gunzip. */
  text: string;
  body: { batch: Array<Record<string, unknown>>; writeKey?: string; sentAt?: string };
  messageIds: string[];
  /** 1-based index of this request. */
  n: number;
}

/** What to do with a request: answer, or hold it (never answer) or cut the connection. */
export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  | { hang: true }
  | { destroy: true };

export interface TestServer {
  url: string;
  requests: ReceivedRequest[];
  /** Wire-contract violations seen so far (should stay empty). */
  violations: string[];
  /** messageIds of requests answered 2xx, in arrival order, duplicates included. */
  acceptedIds: string[];
  /** Resolves when `count` requests have arrived. */
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(
  reply: (req: ReceivedRequest) => Reply = () => ({ status: 200, body: { success: true } }),
): Promise<TestServer> {
  const requests: ReceivedRequest[] = [];
  const violations: string[] = [];
  const acceptedIds: string[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const hanging: ServerResponse[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const gz = raw[0] === 0x1f && raw[1] === 0x8b;
      const text = (gz ? gunzipSync(raw) : raw).toString('utf8');
      const body = JSON.parse(text) as ReceivedRequest['body'];
      checkContract(body, violations);
      const received: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        wireBytes: raw.length,
        text,
        body,
        messageIds: body.batch.map((e) => String(e['messageId'])),
        n: requests.length + 1,
      };
      requests.push(received);
      for (const w of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const r = reply(received);
      if ('hang' in r) return void hanging.push(res);
      if ('destroy' in r) return void req.socket.destroy();
      const send = (): void => {
        if (r.status >= 200 && r.status < 300) acceptedIds.push(...received.messageIds);
        res.writeHead(r.status, { 'Content-Type': 'application/json', ...r.headers });
        res.end(r.body === undefined ? '' : JSON.stringify(r.body));
      };
      if (r.delayMs === undefined) send();
      else setTimeout(send, r.delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    violations,
    acceptedIds,
    waitForRequests: (count) =>
      requests.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Everything the SDK sends must parse with the protocol schemas the API uses. */
function checkContract(body: unknown, violations: string[]): void {
  const envelope = batchEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    violations.push(`envelope: ${envelope.error.message}`);
    return;
  }
  envelope.data.batch.forEach((event, i) => {
    const result = validateEvent(event);
    if (!result.ok) violations.push(`batch[${i}]: ${result.issue.message}`);
  });
}
