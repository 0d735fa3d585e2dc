import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';
import { PIXEL_GIF } from './pixel.js';

/** RudderStack's pixel API, as an `<img>` in an email or an AMP page calls it. */
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
});
afterAll(async () => {
  await api.close();
});

const pixel = (path: string, params: Record<string, string>) => fetch(`${api.url}${path}?${new URLSearchParams(params).toString()}`);

interface Row {
  type: string;
  event: string;
  name: string;
  user_id: string;
  anonymous_id: string;
  channel: string;
  properties: string;
  context: string;
  key_id: string;
}

const rows = (messageId: string) =>
  api.query<Row>('SELECT type, event, name, user_id, anonymous_id, channel, properties, context, key_id FROM events WHERE message_id = {m:String}', { m: messageId });

it('stores a track pixel with nested properties and context, and answers a 1x1 GIF', async () => {
  const res = await pixel('/pixel/v1/track', {
    writeKey: api.writeKey,
    event: 'Email Opened',
    anonymousId: 'anon-789',
    messageId: 'px-1',
    'properties.campaign': 'spring-promo',
    'properties.source': 'email',
    'properties.toString': 'a property like any other',
    'context.campaign.medium': 'email',
    'context.library.name': 'RudderStack AMP SDK',
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/gif');
  expect(res.headers.get('cache-control')).toContain('no-store');
  expect(Buffer.from(await res.arrayBuffer())).toEqual(PIXEL_GIF);
  expect(PIXEL_GIF.subarray(0, 6).toString('latin1')).toBe('GIF89a');
  await api.flush();
  const [row] = await rows('px-1');
  expect(row).toMatchObject({ type: 'track', event: 'Email Opened', anonymous_id: 'anon-789', channel: 'web' });
  expect(JSON.parse(row?.properties ?? '')).toEqual({ campaign: 'spring-promo', source: 'email', toString: 'a property like any other' });
  expect(JSON.parse(row?.context ?? '')).toMatchObject({ campaign: { medium: 'email' }, library: { name: 'RudderStack AMP SDK' } });
  expect(row?.key_id).not.toBe('');
});

it('stores a page pixel; two opens without messageId are two events, the same messageId twice is one', async () => {
  const page = { writeKey: api.writeKey, userId: 'u-px', name: 'Newsletter', 'properties.section': 'header' };
  expect((await pixel('/pixel/v1/page', page)).status).toBe(200);
  await new Promise((r) => setTimeout(r, 5));
  expect((await pixel('/pixel/v1/page', page)).status).toBe(200);
  for (let i = 0; i < 2; i++) expect((await pixel('/pixel/v1/page', { ...page, messageId: 'px-same' })).status).toBe(200);
  await api.flush();
  const pages = await api.query<{ message_id: string; name: string; properties: string }>(
    "SELECT message_id, name, properties FROM events WHERE type = 'page' AND user_id = 'u-px' ORDER BY message_id",
  );
  expect(pages).toHaveLength(3);
  expect(pages.filter((p) => p.message_id === 'px-same')).toHaveLength(1);
  for (const p of pages) expect(p).toMatchObject({ name: 'Newsletter', properties: '{"section":"header"}' });
});

it('answers bad pixels with the documented error naming the parameter, and stores nothing for them', async () => {
  const cases: Array<[Record<string, string>, number, string, string | undefined]> = [
    [{ event: 'Email Opened', anonymousId: 'a' }, 401, 'missing_write_key', undefined],
    [{ writeKey: 'wk_nobody', event: 'Email Opened', anonymousId: 'a' }, 401, 'invalid_write_key', undefined],
    [{ writeKey: api.secretKey, event: 'Email Opened', anonymousId: 'a' }, 401, 'invalid_write_key', undefined],
    [{ writeKey: api.writeKey, event: 'Email Opened' }, 400, 'missing_identity', 'userId'],
    [{ writeKey: api.writeKey, anonymousId: 'a' }, 400, 'invalid_event', 'event'],
    [{ writeKey: api.writeKey, event: 'E', anonymousId: 'a', properties: 'x', 'properties.a': '1' }, 400, 'invalid_request', 'properties.a'],
    [{ writeKey: api.writeKey, event: 'E', anonymousId: 'a', '__proto__.polluted': '1' }, 400, 'invalid_request', '__proto__.polluted'],
    [{ writeKey: api.writeKey, event: 'E', anonymousId: 'a', 'context.constructor.prototype.x': '1' }, 400, 'invalid_request', 'context.constructor.prototype.x'],
    [{ writeKey: api.writeKey, event: 'E', anonymousId: 'a', 'properties..a': '1' }, 400, 'invalid_request', 'properties..a'],
    [{ writeKey: api.writeKey, event: 'E', anonymousId: 'a', timestamp: 'yesterday' }, 400, 'invalid_event', 'timestamp'],
  ];
  for (const [params, status, code, path] of cases) {
    const res = await pixel('/pixel/v1/track', params);
    const body = (await res.json()) as { error: { code: string; message: string; path?: string } };
    expect({ status: res.status, code: body.error.code, path: body.error.path }, JSON.stringify(params)).toEqual({ status, code, path });
  }
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  const post = await fetch(`${api.url}/pixel/v1/track`, { method: 'POST', body: '{}' });
  expect(post.status).toBe(405);
  await api.flush();
  const [stored] = await api.query<{ n: number }>("SELECT count() AS n FROM events WHERE event = 'E' OR anonymous_id = 'a'");
  expect(Number(stored?.n)).toBe(0);
  const [dead] = await api.query<{ n: number }>("SELECT count() AS n FROM dead_letters WHERE code IN ('missing_identity', 'invalid_event')");
  expect(Number(dead?.n)).toBe(3);
});

it('never answers 5xx to random query strings, and the flusher keeps going', { timeout: 60_000 }, async () => {
  const segment = fc.oneof(
    fc.constantFrom('properties', 'context', 'traits', 'event', 'name', 'userId', 'anonymousId', 'messageId', 'timestamp', 'integrations', 'type', '__proto__', 'constructor', ''),
    fc.string({ maxLength: 6 }),
  );
  const key = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));
  const raw = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('%ED%A0%80', '%FF', '%', '%E2%82', 'null', '1e999'));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(key, raw), { maxLength: 12 }), fc.boolean(), async (pairs, withKey) => {
      const parts = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${/^%/.test(v) ? v : encodeURIComponent(v)}`);
      if (withKey) parts.push(`writeKey=${api.writeKey}`, 'anonymousId=fuzz', 'event=Fuzzed');
      const res = await fetch(`${api.url}/pixel/v1/track?${parts.join('&')}`);
      expect(res.status).toBeLessThan(500);
      await res.arrayBuffer();
    }),
    { numRuns: 400, seed: 20261124 },
  );
  await api.flush();
  expect(await (await fetch(`${api.url}/readyz`)).json()).toMatchObject({ flushing: 'ok' });
  const [stored] = await api.query<{ n: number }>("SELECT count() AS n FROM events WHERE anonymous_id = 'fuzz'");
  // Many keyed pixels were valid (random keys nest under properties, context, traits...) and stored.
  expect(Number(stored?.n)).toBeGreaterThan(20);
});
