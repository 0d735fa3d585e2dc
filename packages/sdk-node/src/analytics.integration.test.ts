import { afterEach, describe, expect, it, vi } from 'vitest';
import { Analytics } from './analytics.js';
import type { DeliveredInfo, DropInfo } from './events.js';
import { DeliveryError, RequestTimeoutError, type AnalyticsError } from './errors.js';
import type { Options } from './options.js';
import { startTestServer, type Reply, type TestServer } from './testing.js';

let server: TestServer | undefined;
const clients: Analytics[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(clients.splice(0).map((c) => c.close({ timeoutMs: 100 })));
  if (server !== undefined) {
    expect(server.violations).toEqual([]);
    await server.close();
    server = undefined;
  }
});

async function setup(reply?: (req: Parameters<Parameters<typeof startTestServer>[0] & object>[0]) => Reply, options: Partial<Options> = {}) {
  server = await startTestServer(reply);
  const client = new Analytics({ writeKey: 'wk_test', host: server.url, retryBaseDelayMs: 5, ...options });
  clients.push(client);
  const errors: AnalyticsError[] = [];
  const drops: DropInfo[] = [];
  const delivered: DeliveredInfo[] = [];
  client.on('error', (e) => errors.push(e));
  client.on('drop', (d) => drops.push(d));
  client.on('delivered', (d) => delivered.push(d));
  const deliveredIds = () => delivered.flatMap((d) => d.messageIds);
  return { server, client, errors, drops, delivered, deliveredIds };
}

const track = (client: Analytics, n: number, from = 0, extra: Record<string, unknown> = {}) => {
  for (let i = from; i < from + n; i++) client.track({ userId: `u${i}`, event: 'Tested', messageId: `m${i}`, properties: { i, ...extra } });
};
/** Polls (real time) until `condition` holds; the SDK works in the background. */
async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `m${from + i}`);
/** Batches in flight together may be answered in any order. */
const sorted = (list: readonly string[]) => [...list].sort();

describe('batching', () => {
  it('sends full batches by count without waiting for the interval', async () => {
    const t = await setup(undefined, { maxBatchEvents: 10, flushIntervalMs: 60_000 });
    track(t.client, 25);
    await until(() => t.delivered.length === 2);
    expect(t.server.requests.map((r) => r.body.batch.length)).toEqual([10, 10]);
    expect(t.client.pendingEvents).toBe(5);
    await t.client.flush();
    expect(t.server.requests.map((r) => r.body.batch.length)).toEqual([10, 10, 5]);
    expect(sorted(t.server.acceptedIds)).toEqual(sorted(ids(0, 25)));
  });

  it('keeps each body under maxBatchBytes, serializing each event once', async () => {
    const t = await setup(undefined, { maxBatchBytes: 4096, maxBatchEvents: 2500 });
    track(t.client, 40, 0, { pad: 'x'.repeat(900) });
    await t.client.flush();
    expect(t.server.requests.length).toBeGreaterThanOrEqual(10);
    for (const r of t.server.requests) expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(4096);
    expect(sorted(t.server.acceptedIds)).toEqual(sorted(ids(0, 40)));
  });

  it('sends a partial batch after flushIntervalMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const t = await setup(undefined, { flushIntervalMs: 10_000 });
    track(t.client, 3);
    await new Promise((r) => setImmediate(r));
    await vi.advanceTimersByTimeAsync(9_990);
    expect(t.server.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(10);
    await t.server.waitForRequests(1);
    expect(t.server.requests[0]?.messageIds).toEqual(ids(0, 3));
  });

  it('gzips bodies of 1 KB and more, and sends small ones plain', async () => {
    const t = await setup();
    track(t.client, 50);
    await t.client.flush();
    track(t.client, 1, 50);
    await t.client.flush();
    const [big, small] = t.server.requests;
    expect(big?.headers['content-encoding']).toBe('gzip');
    expect(big?.wireBytes).toBeLessThan(Buffer.byteLength(big?.text ?? '') / 4);
    expect(small?.headers['content-encoding']).toBeUndefined();
  });

  it("sends no compression with compression: 'none'", async () => {
    const t = await setup(undefined, { compression: 'none' });
    track(t.client, 50);
    await t.client.flush();
    expect(t.server.requests[0]?.headers['content-encoding']).toBeUndefined();
  });
});

describe('the request', () => {
  it('posts to /v1/batch with Basic auth and writeKey in the body, Segment style', async () => {
    const t = await setup();
    t.client.identify({ userId: 'u1', traits: { plan: 'pro' }, timestamp: new Date('2024-05-01T10:00:00Z') });
    await t.client.flush();
    const r = t.server.requests[0];
    expect(r?.method).toBe('POST');
    expect(r?.url).toBe('/v1/batch');
    expect(r?.headers.authorization).toBe(`Basic ${Buffer.from('wk_test:').toString('base64')}`);
    expect(r?.headers['content-type']).toBe('application/json');
    expect(r?.body.writeKey).toBe('wk_test');
    expect(typeof r?.body.sentAt).toBe('string');
    expect(r?.body.batch[0]).toMatchObject({
      type: 'identify',
      userId: 'u1',
      traits: { plan: 'pro' },
      timestamp: '2024-05-01T10:00:00.000Z',
      context: { library: { name: '@cdp/sdk-node' } },
    });
  });

  it('keeps a base path of host', async () => {
    server = await startTestServer();
    const client = new Analytics({ writeKey: 'k', host: `${server.url}/segment/`, path: '/v1/batch' });
    clients.push(client);
    client.track({ anonymousId: 'a', event: 'e' });
    await client.flush();
    expect(server.requests[0]?.url).toBe('/segment/v1/batch');
  });
});

describe('retries', () => {
  it('retries 503 with the same messageIds and delivers each event once', async () => {
    const t = await setup((r) => (r.n <= 3 ? { status: 503, body: { error: { code: 'unavailable', message: 'later' } } } : { status: 200 }));
    track(t.client, 20);
    await t.client.flush();
    expect(t.server.requests).toHaveLength(4);
    for (const r of t.server.requests) expect(r.messageIds).toEqual(ids(0, 20));
    expect(t.server.requests.map((r) => r.headers['x-retry-count'])).toEqual([undefined, '1', '2', '3']);
    expect(t.server.acceptedIds).toEqual(ids(0, 20));
    expect(t.delivered).toEqual([{ count: 20, messageIds: ids(0, 20), status: 200, attempts: 4 }]);
    expect(t.errors).toEqual([]);
  });

  it('waits for Retry-After on 429', async () => {
    const t = await setup((r) => (r.n === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 }));
    const started = Date.now();
    track(t.client, 5);
    await t.client.flush();
    expect(t.server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(t.server.acceptedIds).toEqual(ids(0, 5));
  });

  it('retries 408 and network errors', async () => {
    const t = await setup((r) => (r.n === 1 ? { status: 408 } : r.n === 2 ? { destroy: true } : { status: 200 }));
    track(t.client, 5);
    await t.client.flush();
    expect(t.server.requests).toHaveLength(3);
    expect(t.server.acceptedIds).toEqual(ids(0, 5));
  });

  it('does not retry other 4xx and reports the API error', async () => {
    const body = { error: { code: 'invalid_write_key', message: 'The write key is not known.' } };
    const t = await setup(() => ({ status: 401, body }));
    track(t.client, 5);
    await t.client.flush();
    expect(t.server.requests).toHaveLength(1);
    expect(t.errors).toHaveLength(1);
    const error = t.errors[0] as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ code: 'request_rejected', status: 401, attempts: 1, count: 5, apiError: body.error });
    expect(error.messageIds).toEqual(ids(0, 5));
  });

  it('reports the events a 200 lists as rejected, and counts the rest as delivered', async () => {
    const t = await setup(() => ({
      status: 200,
      body: { success: true, accepted: 2, rejected: [{ index: 1, code: 'invalid_event', message: 'properties: bad', path: 'batch[1].properties' }] },
    }));
    track(t.client, 3);
    await t.client.flush();
    expect(t.delivered).toEqual([{ count: 2, messageIds: ['m0', 'm2'], status: 200, attempts: 1 }]);
    expect(t.errors[0]).toMatchObject({
      code: 'event_rejected',
      messageIds: ['m1'],
      rejected: [{ messageId: 'm1', code: 'invalid_event', path: 'batch[1].properties' }],
    });
  });

  it('splits a batch refused as too large (413) until the collector takes it, delivering each event once', async () => {
    // A collector whose body limit (2,000 bytes) is far below maxBatchBytes, as some proxies and third-party endpoints are.
    const limit = 2_000;
    const t = await setup((r) => (Buffer.byteLength(r.text) > limit ? { status: 413, body: { error: { code: 'body_too_large', message: 'too large' } } } : { status: 200 }), {
      maxConcurrentRequests: 2,
    });
    track(t.client, 40, 0, { note: 'x'.repeat(60) });
    await t.client.flush();
    expect(t.errors).toEqual([]);
    expect(t.client.pendingEvents).toBe(0);
    expect(t.server.requests.some((r) => Buffer.byteLength(r.text) > limit)).toBe(true);
    // Every event reached the collector in an accepted body exactly once, in halves no larger than the limit.
    expect(sorted(t.server.acceptedIds)).toEqual(sorted(ids(0, 40)));
    expect(sorted(t.delivered.flatMap((d) => d.messageIds))).toEqual(sorted(ids(0, 40)));
  });

  it('reports a single event still refused with 413, and delivers the others of its batch', async () => {
    const t = await setup((r) => (r.text.includes('"big"') ? { status: 413 } : { status: 200 }));
    track(t.client, 5);
    t.client.track({ userId: 'u-big', event: 'Tested', messageId: 'big', properties: { big: true } });
    track(t.client, 5, 5);
    await t.client.flush();
    expect(sorted(t.server.acceptedIds)).toEqual(sorted(ids(0, 10)));
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]).toMatchObject({ code: 'request_rejected', status: 413, messageIds: ['big'] });
  });

  it('times out a request that gets no answer and retries it', async () => {
    const t = await setup((r) => (r.n === 1 ? { hang: true } : { status: 200 }), { requestTimeoutMs: 100 });
    track(t.client, 5);
    await t.client.flush();
    expect(t.server.requests).toHaveLength(2);
    expect(t.server.acceptedIds).toEqual(ids(0, 5));
  });

  it('reports delivery_failed with the last cause when retries run out', async () => {
    const t = await setup(() => ({ hang: true }), { requestTimeoutMs: 50, maxRetries: 2 });
    track(t.client, 5);
    await t.client.flush();
    expect(t.server.requests).toHaveLength(3);
    expect(t.errors[0]).toMatchObject({ code: 'delivery_failed', attempts: 3, count: 5 });
    expect(t.errors[0]?.cause).toBeInstanceOf(RequestTimeoutError);
  });

  it('caps concurrent requests', async () => {
    let open = 0;
    let most = 0;
    const t = await setup(
      () => {
        open++;
        most = Math.max(most, open);
        setTimeout(() => open--, 20);
        return { status: 200, delayMs: 20 };
      },
      { maxBatchEvents: 10, maxConcurrentRequests: 3 },
    );
    track(t.client, 200);
    await t.client.flush();
    expect(t.server.requests).toHaveLength(20);
    expect(most).toBe(3);
    expect(sorted(t.server.acceptedIds)).toEqual(sorted(ids(0, 200)));
  });
});

describe('overflow', () => {
  it('drop-newest keeps the queued events and reports the rest in one drop event', async () => {
    const t = await setup(undefined, { maxQueueEvents: 10 });
    track(t.client, 15);
    await t.client.flush();
    expect(t.drops).toEqual([{ reason: 'queue_full', count: 5, messageIds: ids(10, 5) }]);
    expect(t.server.acceptedIds).toEqual(ids(0, 10));
  });

  it('drop-oldest evicts the oldest queued events', async () => {
    const t = await setup(undefined, { maxQueueEvents: 10, overflow: 'drop-oldest' });
    track(t.client, 15);
    await t.client.flush();
    expect(t.drops).toEqual([{ reason: 'queue_full', count: 5, messageIds: ids(0, 5) }]);
    expect(t.server.acceptedIds).toEqual(ids(5, 10));
  });

  it('counts events in flight against the limit', async () => {
    const t = await setup((r) => (r.n === 1 ? { status: 200, delayMs: 100 } : { status: 200 }), {
      maxQueueEvents: 10,
      maxBatchEvents: 10,
    });
    track(t.client, 10);
    await t.server.waitForRequests(1);
    track(t.client, 3, 10);
    await t.client.flush();
    expect(t.drops).toEqual([{ reason: 'queue_full', count: 3, messageIds: ids(10, 3) }]);
    expect(t.server.acceptedIds).toEqual(ids(0, 10));
  });
});

describe('close', () => {
  it('delivers everything, then drops later calls', async () => {
    const t = await setup(undefined, { flushIntervalMs: 60_000 });
    track(t.client, 1234);
    await t.client.close();
    expect(new Set(t.server.acceptedIds).size).toBe(1234);
    track(t.client, 1, 5000);
    await Promise.resolve();
    expect(t.drops).toEqual([{ reason: 'closed', count: 1, messageIds: ['m5000'] }]);
  });

  it('gives up after timeoutMs and reports what was left', async () => {
    const t = await setup(() => ({ hang: true }));
    track(t.client, 7);
    const started = Date.now();
    await t.client.close({ timeoutMs: 150 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(t.drops).toEqual([{ reason: 'close_timeout', count: 7, messageIds: ids(0, 7) }]);
  });

  it('accounts for every call: delivered + errors + drops', async () => {
    const t = await setup((r) => (r.n % 3 === 0 ? { status: 400 } : { status: 200 }), { maxBatchEvents: 7, maxQueueEvents: 50 });
    track(t.client, 60);
    t.client.track({ userId: '', event: 'no identity' });
    await t.client.close();
    const counted =
      t.delivered.reduce((n, d) => n + d.count, 0) + t.errors.reduce((n, e) => n + e.count, 0) + t.drops.reduce((n, d) => n + d.count, 0);
    expect(counted).toBe(61);
  });
});

describe('bad input', () => {
  it('reports invalid calls as error events and never throws', async () => {
    const t = await setup();
    const calls: Array<() => void> = [
      () => t.client.track({ userId: 'u', event: '' }),
      () => t.client.track(null as never),
      () => t.client.identify({ userId: { id: 1 } as never }),
      () => t.client.track({ anonymousId: 'a', event: 'e', properties: [1] as never }),
      () => t.client.group({ userId: 'u' } as never),
      () => t.client.alias({ previousId: 'a' } as never),
      () => t.client.page({ anonymousId: 'a', timestamp: 'yesterday' }),
      () => t.client.track({ userId: 'u', event: 'e', messageId: 'x'.repeat(101) }),
    ];
    for (const call of calls) expect(call).not.toThrow();
    await t.client.flush();
    expect(t.errors.map((e) => [e.code, 'path' in e ? e.path : undefined])).toEqual([
      ['invalid_event', 'event'],
      ['invalid_event', ''],
      ['invalid_event', 'userId'],
      ['invalid_event', 'properties'],
      ['invalid_event', 'groupId'],
      ['invalid_event', 'userId'],
      ['invalid_event', 'timestamp'],
      ['invalid_event', 'messageId'],
    ]);
    expect(t.server.requests).toHaveLength(0);
  });

  it('reports parameters whose getters throw, without throwing', async () => {
    const t = await setup();
    const hostile = new Proxy({}, { get: () => { throw new Error('trap'); } });
    expect(() => t.client.track(hostile as never)).not.toThrow();
    await t.client.flush();
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]).toMatchObject({ code: 'invalid_event', count: 1 });
    expect(t.errors[0]?.cause).toBeInstanceOf(Error);
  });

  it('reports values JSON cannot encode, with the JSON error as cause', async () => {
    const t = await setup();
    const properties: Record<string, unknown> = {};
    properties['self'] = properties;
    t.client.track({ userId: 'u', event: 'e', properties, messageId: 'cyclic' });
    t.client.track({ userId: 'u', event: 'e', properties: { n: 1n } as never });
    track(t.client, 1);
    await t.client.flush();
    expect(t.errors.map((e) => e.code)).toEqual(['invalid_event', 'invalid_event']);
    expect(t.errors[0]?.messageIds).toEqual(['cyclic']);
    expect(t.errors[0]?.cause).toBeInstanceOf(TypeError);
    expect(t.server.acceptedIds).toEqual(['m0']);
  });

  it('rejects events larger than maxEventBytes', async () => {
    const t = await setup(undefined, { maxEventBytes: 1024 });
    track(t.client, 1, 0, { pad: 'x'.repeat(2000) });
    track(t.client, 1, 1);
    await t.client.flush();
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]).toMatchObject({ code: 'event_too_large', messageIds: ['m0'] });
    expect(t.server.acceptedIds).toEqual(['m1']);
  });

  it('stamps consent as context.consent.categoryPreferences without changing the caller context', async () => {
    const t = await setup();
    const context = { locale: 'fr-FR', consent: { source: 'banner' } };
    t.client.track({ userId: 'u', event: 'e', context, consent: { analytics: true, ads: false } });
    await t.client.flush();
    expect(t.server.requests[0]?.body.batch[0]?.['context']).toEqual({
      locale: 'fr-FR',
      consent: { source: 'banner', categoryPreferences: { analytics: true, ads: false } },
      library: { name: '@cdp/sdk-node', version: expect.any(String) },
    });
    expect(context).toEqual({ locale: 'fr-FR', consent: { source: 'banner' } });
  });
});
