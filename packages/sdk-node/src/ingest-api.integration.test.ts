/**
 * Against the real ingestion API (@cdp/ingest-api/testing: the server on loopback
 * with embedded ClickHouse): events land in the events table, retries after 503s
 * leave no duplicate rows, and close() delivers everything.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestApi, type TestApi } from '@cdp/ingest-api/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analytics, type AnalyticsError, type DropInfo } from './index.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

function client(host: string, options: { maxBatchEvents?: number } = {}) {
  const analytics = new Analytics({ writeKey: api.writeKey, host, retryBaseDelayMs: 10, ...options });
  const problems: Array<AnalyticsError | DropInfo> = [];
  analytics.on('error', (e) => problems.push(e));
  analytics.on('drop', (d) => problems.push(d));
  return { analytics, problems };
}

async function rows(prefix: string): Promise<{ total: number; unique: number }> {
  await api.flush();
  const [r] = await api.query<{ total: string; unique: string }>(
    'SELECT count() AS total, uniqExact(message_id) AS unique FROM events WHERE startsWith(message_id, {prefix:String})',
    { prefix },
  );
  return { total: Number(r?.total), unique: Number(r?.unique) };
}

/**
 * A proxy in front of the API that, for the first `failures` requests, forwards the
 * request (the API stores the events) and then answers 503 anyway: the response
 * is "lost", the SDK retries, and only the API's messageId dedup stands between
 * the retry and a duplicate row.
 */
async function lossyProxy(target: string, failures: number): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server: Server = createServer((req, res) => {
    const index = ++n;
    const upstream = request(`${target}${req.url ?? ''}`, { method: req.method, headers: req.headers }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        if (index <= failures) {
          res.writeHead(503, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'unavailable', message: 'injected' } }));
        } else {
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(Buffer.concat(chunks));
        }
      });
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => n,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('against the ingestion API', () => {
  it('stores every event type with its fields', async () => {
    const { analytics, problems } = client(api.url);
    const ts = '2024-05-01T10:00:00.000Z';
    analytics.identify({ userId: 'u1', anonymousId: 'a1', traits: { plan: 'pro' }, messageId: 'types-1', timestamp: ts });
    analytics.track({ userId: 'u1', event: 'Order Completed', properties: { revenue: 9.5 }, messageId: 'types-2', consent: { analytics: true } });
    analytics.page({ anonymousId: 'a1', name: 'Home', category: 'Docs', messageId: 'types-3' });
    analytics.screen({ anonymousId: 'a1', name: 'Settings', messageId: 'types-4' });
    analytics.group({ userId: 'u1', groupId: 'g1', traits: { seats: 5 }, messageId: 'types-5' });
    analytics.alias({ userId: 'u1', previousId: 'a1', messageId: 'types-6' });
    await analytics.close();
    expect(problems).toEqual([]);
    await api.flush();
    const stored = await api.query<Record<string, string>>(
      `SELECT message_id, type, event, name, user_id, anonymous_id, group_id, previous_id, properties, traits, context,
              formatDateTime(timestamp, '%Y-%m-%dT%H:%i:%S.%fZ') AS ts
       FROM events WHERE startsWith(message_id, 'types-') ORDER BY message_id`,
    );
    expect(stored.map((r) => [r['message_id'], r['type']])).toEqual([
      ['types-1', 'identify'],
      ['types-2', 'track'],
      ['types-3', 'page'],
      ['types-4', 'screen'],
      ['types-5', 'group'],
      ['types-6', 'alias'],
    ]);
    const [identify, track, page, , group, alias] = stored;
    expect(identify).toMatchObject({ user_id: 'u1', anonymous_id: 'a1' });
    expect(identify?.['ts']).toMatch(/^2024-05-01T10:00:00/);
    expect(JSON.parse(identify?.['traits'] ?? '{}')).toEqual({ plan: 'pro' });
    expect(track?.['event']).toBe('Order Completed');
    expect(JSON.parse(track?.['properties'] ?? '{}')).toEqual({ revenue: 9.5 });
    expect(JSON.parse(track?.['context'] ?? '{}')).toMatchObject({
      library: { name: '@cdp/sdk-node' },
      consent: { categoryPreferences: { analytics: true } },
    });
    expect(page?.['name']).toBe('Home');
    expect(group?.['group_id']).toBe('g1');
    expect(alias).toMatchObject({ previous_id: 'a1', user_id: 'u1' });
  });

  it('retries after 503s whose request was stored, and leaves no duplicate rows', async () => {
    const proxy = await lossyProxy(api.url, 3);
    const { analytics, problems } = client(proxy.url, { maxBatchEvents: 100 });
    for (let i = 0; i < 1000; i++) analytics.track({ userId: `u${i % 7}`, event: 'Retried', messageId: `retry-${i}` });
    await analytics.close();
    await proxy.close();
    expect(problems).toEqual([]);
    expect(proxy.requests()).toBe(10 + 3);
    expect(await rows('retry-')).toEqual({ total: 1000, unique: 1000 });
  });

  it('close() delivers everything queued', async () => {
    const { analytics, problems } = client(api.url);
    let delivered = 0;
    analytics.on('delivered', (d) => (delivered += d.count));
    for (let i = 0; i < 20_000; i++) {
      analytics.track({ anonymousId: `a${i % 100}`, event: 'Closed', properties: { i }, messageId: `close-${i}` });
    }
    await analytics.close({ timeoutMs: 20_000 });
    expect(problems).toEqual([]);
    expect(delivered).toBe(20_000);
    expect(await rows('close-')).toEqual({ total: 20_000, unique: 20_000 });
  });

  it('reports a wrong write key as request_rejected with the API error, without retrying', async () => {
    const analytics = new Analytics({ writeKey: 'wk_unknown', host: api.url });
    const errors: AnalyticsError[] = [];
    analytics.on('error', (e) => errors.push(e));
    analytics.track({ userId: 'u', event: 'Denied', messageId: 'denied-1' });
    await analytics.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'request_rejected', status: 401, attempts: 1, apiError: { code: 'invalid_write_key' } });
    expect(await rows('denied-')).toEqual({ total: 0, unique: 0 });
  });
});
