import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 5, windowMs: 60_000 }, corsOrigins: ['https://allowed.example'] } });
});
afterAll(async () => {
  await api.close();
});

const send = (key: string) =>
  fetch(`${api.url}/v1/track`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`, origin: 'https://elsewhere.example' },
    body: JSON.stringify({ userId: 'u', event: 'x' }),
  });

it('limits each write key separately, answering 429 with Retry-After', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) statuses.push((await send(api.writeKey)).status);
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  const limited = await send(api.writeKey);
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });

  // Another workspace's key has its own budget.
  const created = await fetch(`${api.url}/v1/admin/workspaces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'other' }),
  });
  const { writeKey } = (await created.json()) as { writeKey: string };
  expect((await send(writeKey)).status).toBe(200);
  // Health is never rate limited.
  expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
});

it('gives CORS headers only to listed origins when origins are configured', async () => {
  const denied = await send(api.writeKey);
  expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  const pre = await fetch(`${api.url}/v1/batch`, { method: 'OPTIONS', headers: { origin: 'https://allowed.example' } });
  expect(pre.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
  expect(pre.headers.get('vary')).toContain('Origin');
});
