import { Analytics } from '@cdp/sdk-node';
import { startTestServer, type TestServer } from '@cdp/sdk-node/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { readConfig } from './config.js';

let collector: TestServer | undefined;
afterEach(async () => {
  expect(collector?.violations).toEqual([]);
  await collector?.close();
});

describe('example-node', () => {
  it('identifies users at login and tracks every request', async () => {
    collector = await startTestServer();
    const analytics = new Analytics({ writeKey: 'wk_example', host: collector.url });
    const app = buildApp({ analytics });
    const login = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'x-anonymous-id': 'anon-1' },
      payload: { userId: 'u1', email: 'ada@example.com' },
    });
    expect(login.json()).toEqual({ userId: 'u1' });
    await app.inject({ method: 'GET', url: '/products/7', headers: { 'x-user-id': 'u1' } });
    await app.inject({ method: 'GET', url: '/health' });
    await app.close();
    await analytics.close();

    const events = collector.requests.flatMap((r) => r.body.batch);
    expect(events.map((e) => [e['type'], e['event'] ?? null, e['userId'] ?? null])).toEqual([
      ['identify', null, 'u1'],
      ['track', 'Request Handled', 'u1'],
      ['track', 'Product Viewed', 'u1'],
      ['track', 'Request Handled', 'u1'],
      ['track', 'Request Handled', null],
    ]);
    expect(events[0]).toMatchObject({ anonymousId: 'anon-1', traits: { email: 'ada@example.com' } });
    expect(events[2]).toMatchObject({ properties: { productId: '7', price: 42 } });
    expect(events[3]).toMatchObject({ properties: { route: '/products/:id', statusCode: 200, method: 'GET' } });
    expect(events[4]?.['anonymousId']).toEqual(expect.any(String));
  });

  it('reads CDP_HOST (default http://127.0.0.1:8080), CDP_WRITE_KEY (default the dev key) and PORT', () => {
    expect(readConfig({})).toEqual({ cdpHost: 'http://127.0.0.1:8080', writeKey: 'wk_dev_local_write_key', port: 3000 });
    expect(readConfig({ CDP_WRITE_KEY: 'k', CDP_HOST: 'http://h:1', PORT: '8081' })).toEqual({
      cdpHost: 'http://h:1',
      writeKey: 'k',
      port: 8081,
    });
    expect(() => readConfig({ PORT: 'http' })).toThrow('PORT');
  });
});
