import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { PostHog } from 'posthog-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';

/** PostHog's capture API: the real posthog-node client, and the bodies posthog-js sends. */
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
});
afterAll(async () => {
  await api.close();
});

interface Row {
  message_id: string;
  type: string;
  event: string;
  user_id: string;
  anonymous_id: string;
  previous_id: string;
  group_id: string;
  properties: string;
  traits: string;
  context: string;
}
const rows = (where: string, params: Record<string, unknown>) =>
  api.query<Row>(`SELECT message_id, type, event, user_id, anonymous_id, previous_id, group_id, properties, traits, context FROM events WHERE ${where} ORDER BY timestamp, message_id`, params);

const profile = async (identifier: string) => {
  const res = await fetch(`${api.url}/v1/profiles?identifier=${encodeURIComponent(identifier)}`, { headers: { authorization: `Bearer ${api.secretKey}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string; identities: Array<{ type: string; value: string }>; traits: Record<string, unknown> };
};

it('stores what the real posthog-node client sends (capture, identify with $set_once, alias, groupIdentify)', { timeout: 30_000 }, async () => {
  const client = new PostHog(api.writeKey, { host: api.url, flushAt: 1, flushInterval: 0, fetchRetryCount: 0 });
  const errors: unknown[] = [];
  client.on('error', (err) => errors.push(err));
  client.capture({ distinctId: 'ph-user-1', event: 'Transfer Completed', properties: { amount: 12.5, currency: 'EUR' } });
  client.identify({ distinctId: 'ph-user-1', properties: { email: 'PH.User@Example.com', $set_once: { first_source: 'ads' } } });
  client.alias({ distinctId: 'ph-user-1', alias: 'legacy-42' });
  client.groupIdentify({ groupType: 'company', groupKey: 'acme', properties: { plan: 'pro' } });
  await client.shutdown();
  expect(errors).toEqual([]);
  await api.flush();

  const stored = await rows("user_id = 'ph-user-1' OR group_id = 'acme'", {});
  expect(stored.map((r) => r.type).sort()).toEqual(['alias', 'group', 'identify', 'track']);
  const track = stored.find((r) => r.type === 'track');
  expect(track).toMatchObject({ event: 'Transfer Completed', user_id: 'ph-user-1', anonymous_id: '' });
  expect(JSON.parse(track?.properties ?? '')).toMatchObject({ amount: 12.5, currency: 'EUR', $lib: 'posthog-node' });
  expect(JSON.parse(track?.context ?? '')).toMatchObject({ library: { name: 'posthog-node' } });
  expect(track?.message_id).toMatch(/^[0-9a-f-]{36}$/);
  expect(stored.find((r) => r.type === 'alias')).toMatchObject({ user_id: 'ph-user-1', previous_id: 'legacy-42' });
  const group = stored.find((r) => r.type === 'group');
  expect(group).toMatchObject({ group_id: 'acme', anonymous_id: '$company_acme', user_id: '' });
  expect(JSON.parse(group?.traits ?? '')).toEqual({ plan: 'pro', group_type: 'company' });

  const person = await profile('user_id:ph-user-1');
  expect(person.traits).toMatchObject({ email: 'PH.User@Example.com', first_source: 'ads' });
  // An alias id the graph has not seen is attached as an anonymous id (identity-rules: alias).
  expect(person.identities).toEqual(expect.arrayContaining([{ type: 'email', value: 'ph.user@example.com' }, { type: 'anonymous_id', value: 'legacy-42' }]));
});

const token = () => api.writeKey;

it('links what posthog-js sends before and after identify (gzip without a header, base64 form data, JSON)', async () => {
  const t = (s: number) => `2026-11-24T09:00:0${s}.000Z`;
  const pageview = [
    {
      event: '$pageview',
      uuid: '01900000-0000-7000-8000-000000000001',
      timestamp: t(1),
      properties: { distinct_id: 'dev-1', $device_id: 'dev-1', token: token(), $current_url: 'https://app.example/pay', $pathname: '/pay', $lib: 'web', $lib_version: '1.200.0' },
    },
  ];
  const gz = await fetch(`${api.url}/e/?compression=gzip-js`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: gzipSync(JSON.stringify(pageview)) });
  expect(gz.status).toBe(200);
  expect(await gz.json()).toMatchObject({ status: 1, accepted: 1 });

  const identify = {
    event: '$identify',
    uuid: '01900000-0000-7000-8000-000000000002',
    timestamp: t(2),
    properties: { distinct_id: 'user-7', $anon_distinct_id: 'dev-1', $device_id: 'dev-1', token: token(), $set: { plan: 'gold' } },
  };
  const form = `data=${encodeURIComponent(Buffer.from(JSON.stringify([identify])).toString('base64'))}`;
  const b64 = await fetch(`${api.url}/e/?compression=base64`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  expect(b64.status).toBe(200);

  // posthog-js puts a capture's $set beside its properties.
  const clicked = {
    event: 'Clicked Pay',
    uuid: '01900000-0000-7000-8000-000000000003',
    timestamp: t(3),
    properties: { distinct_id: 'user-7', $device_id: 'dev-1', $is_identified: true, token: token(), button: 'pay' },
    $set: { tier: 'vip' },
  };
  expect((await fetch(`${api.url}/i/v0/e/`, { method: 'POST', body: JSON.stringify(clicked) })).status).toBe(200);
  await api.flush();

  const stored = await rows("message_id LIKE '01900000-%'", {});
  expect(stored.map((r) => [r.message_id.slice(-6), r.type, r.event, r.user_id, r.anonymous_id])).toEqual([
    ['000001', 'page', '', '', 'dev-1'],
    ['000002', 'identify', '', 'user-7', 'dev-1'],
    ['000003', 'track', 'Clicked Pay', 'user-7', 'dev-1'],
    // The capture's $set, as the person update that follows it.
    ['3:$set', 'identify', '', 'user-7', 'dev-1'],
  ]);
  expect(JSON.parse(stored[0]?.context ?? '')).toMatchObject({ page: { url: 'https://app.example/pay', path: '/pay' }, library: { name: 'web', version: '1.200.0' } });
  expect(JSON.parse(stored[2]?.properties ?? '')).toEqual({ button: 'pay', $device_id: 'dev-1', $is_identified: true, $set: { tier: 'vip' } });
  expect(JSON.parse(stored[3]?.traits ?? '')).toEqual({ tier: 'vip' });
  // The anonymous pageview and the identified events are one person, with the traits of $identify and of the capture.
  const byDevice = await profile('anonymous_id:dev-1');
  expect((await profile('user_id:user-7')).id).toBe(byDevice.id);
  expect(byDevice.traits).toMatchObject({ plan: 'gold', tier: 'vip' });
});

it("applies a capture's $set and $set_once to the person, as PostHog does (posthog-js's initial properties, posthog-node's $set)", async () => {
  const t = (s: number) => `2026-11-24T10:00:0${s}.000Z`;
  const post = (path: string, body: unknown) => fetch(`${api.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  // posthog-js: the first event of a page load carries $set_once with the visit's initial referrer and campaign.
  const first = {
    event: '$pageview',
    uuid: '01910000-0000-7000-8000-000000000001',
    timestamp: t(1),
    properties: { distinct_id: 'dev-9', $device_id: 'dev-9', token: token(), $current_url: 'https://app.example/?utm_source=news' },
    $set_once: { $initial_referrer: 'https://news.example/', $initial_utm_source: 'news' },
  };
  const later = { ...first, uuid: '01910000-0000-7000-8000-000000000002', timestamp: t(2), $set_once: { $initial_referrer: 'https://other.example/', $initial_utm_source: 'other' } };
  expect((await post('/e/', [first])).status).toBe(200);
  expect((await post('/e/', [later])).status).toBe(200);
  // A retry of the first request is stored once, its person update too.
  expect((await post('/e/', [first])).status).toBe(200);
  // posthog-node: capture({ properties: { $set } }) from the server, for the same person once identified.
  const client = new PostHog(token(), { host: api.url, flushAt: 1, flushInterval: 0, fetchRetryCount: 0 });
  client.identify({ distinctId: 'user-9', properties: { $anon_distinct_id: 'dev-9' } });
  await client.flush();
  client.capture({ distinctId: 'user-9', event: 'Plan Upgraded', properties: { plan: 'gold', $set: { plan: 'gold' } } });
  await client.shutdown();
  await api.flush();

  const updates = await rows("message_id LIKE '01910000-%:$set'", {});
  expect(updates.map((r) => [r.message_id.slice(-7), r.type, r.anonymous_id])).toEqual([
    ['01:$set', 'identify', 'dev-9'],
    ['02:$set', 'identify', 'dev-9'],
  ]);
  const person = await profile('user_id:user-9');
  expect((await profile('anonymous_id:dev-9')).id).toBe(person.id);
  // Set-once: the first visit's values stay.
  expect(person.traits).toMatchObject({ $initial_referrer: 'https://news.example/', $initial_utm_source: 'news', plan: 'gold' });
  const upgrade = await rows("user_id = 'user-9' AND type = 'identify' AND endsWith(message_id, ':$set')", {});
  expect(upgrade.map((r) => JSON.parse(r.traits))).toEqual([{ plan: 'gold' }]);
});

it("reports a refused person update at its event's $set, and stores none for a refused event", async () => {
  const post = (body: unknown) => fetch(`${api.url}/batch/`, { method: 'POST', body: JSON.stringify(body) });
  const long = `01920000-${'x'.repeat(88)}`;
  const res = await post({
    api_key: token(),
    batch: [
      // The event is stored; its update's messageId (the uuid plus ":$set") is over the 100-character limit.
      { event: 'Saved', uuid: long, distinct_id: 'user-r', properties: { $set: { a: 1 } } },
      // A refused event: its update is not stored either.
      { event: 'Broken', uuid: '01920000-0000-7000-8000-000000000002', distinct_id: 'user-r', timestamp: 'soon', properties: { $set: { b: 2 } } },
      { event: 'Fine', uuid: '01920000-0000-7000-8000-000000000003', distinct_id: 'user-r', properties: { $set: { c: 3 } } },
    ],
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { accepted: number; rejected: Array<{ index: number; code: string; path: string; message: string }> };
  expect(body.accepted).toBe(2);
  expect(body.rejected.map((r) => [r.index, r.code, r.path])).toEqual([
    [1, 'invalid_event', 'batch[1].timestamp'],
    [0, 'invalid_event', 'batch[0].$set'],
  ]);
  expect(body.rejected[1]?.message).toMatch(/^batch\[0\]\.\$set: the person update this event carries was refused: messageId/);
  await api.flush();
  const stored = await rows("user_id = 'user-r'", {});
  expect(stored.map((r) => [r.event, r.type, r.message_id.endsWith(':$set')]).sort()).toEqual([
    ['', 'identify', true],
    ['Fine', 'track', false],
    ['Saved', 'track', false],
  ]);
  expect((await profile('user_id:user-r')).traits).toEqual({ c: 3 });
});

it('answers bad PostHog requests with errors named in PostHog fields', async () => {
  const post = (path: string, body: unknown) => fetch(`${api.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const cases: Array<[unknown, number, string, string | undefined]> = [
    [{ event: 'x', properties: { distinct_id: 'd' } }, 401, 'missing_write_key', undefined],
    [{ api_key: 'phc_nobody', batch: [{ event: 'x', distinct_id: 'd' }] }, 401, 'invalid_write_key', undefined],
    [{ api_key: token(), batch: [{ event: 'x', distinct_id: 'd' }, { event: 'y', distinct_id: 'd', properties: { token: 'other' } }] }, 400, 'invalid_body', 'batch[1].properties.token'],
    [{ api_key: token(), batch: [{ event: 'x' }] }, 400, 'missing_identity', 'batch[0].distinct_id'],
    [{ api_key: token(), batch: [{ event: 'x', distinct_id: 'd', timestamp: 'soon' }] }, 400, 'invalid_event', 'batch[0].timestamp'],
    ['just a string', 400, 'invalid_body', undefined],
  ];
  for (const [body, status, code, path] of cases) {
    const res = await post('/batch/', body);
    const json = (await res.json()) as { error: { code: string; message: string; path?: string } };
    expect({ status: res.status, code: json.error.code, path: json.error.path }, JSON.stringify(body)).toEqual({ status, code, path });
    if (path !== undefined) expect(json.error.message).toContain(path);
  }
  // One bad event does not sink the batch; it is reported in PostHog's field names.
  const mixed = await post('/batch/', { api_key: token(), batch: [{ event: 'ok', distinct_id: 'd-ok', uuid: 'ph-mixed-1' }, { event: 'bad' }] });
  expect(mixed.status).toBe(200);
  expect(await mixed.json()).toMatchObject({ accepted: 1, rejected: [{ index: 1, code: 'missing_identity', path: 'batch[1].distinct_id' }] });
});

it('never answers 5xx to random PostHog events, and the flusher keeps going', { timeout: 60_000 }, async () => {
  const anything = fc.anything({ maxDepth: 2 });
  const event = fc.record(
    {
      event: fc.oneof(fc.constantFrom('$identify', '$set', '$create_alias', '$groupidentify', '$pageview', '$screen', 'Top Up'), anything),
      distinct_id: fc.oneof(fc.string({ maxLength: 8 }), anything),
      uuid: fc.oneof(fc.uuid(), anything),
      timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), anything),
      properties: fc.oneof(
        fc.record(
          {
            $set: anything,
            $set_once: anything,
            $anon_distinct_id: anything,
            $device_id: anything,
            $is_identified: anything,
            alias: anything,
            $group_type: anything,
            $group_key: anything,
            $group_set: anything,
            $current_url: anything,
            $lib: anything,
            amount: anything,
          },
          { requiredKeys: [] },
        ),
        anything,
      ),
    },
    { requiredKeys: [] },
  );
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(event, { maxLength: 10 }), async (batch) => {
      const res = await fetch(`${api.url}/batch/`, { method: 'POST', body: JSON.stringify({ api_key: token(), batch }) });
      expect(res.status).toBeLessThan(500);
      accepted += ((await res.json()) as { accepted?: number }).accepted ?? 0;
    }),
    { numRuns: 300, seed: 20261124 },
  );
  await api.flush();
  expect(accepted).toBeGreaterThan(10); // some valid events among the random ones, so storage is exercised too
  expect(await (await fetch(`${api.url}/readyz`)).json()).toMatchObject({ flushing: 'ok' });
});

it('answers posthog-js’s remote-config and flags requests: no flags, no recordings', async () => {
  const config = await fetch(`${api.url}/array/${token()}/config`, { headers: { origin: 'https://shop.example' } });
  expect(config.status).toBe(200);
  expect(config.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  expect(await config.json()).toMatchObject({ hasFeatureFlags: false, sessionRecording: false, supportedCompression: ['gzip', 'gzip-js'] });
  for (const path of ['/flags/?v=2', '/decide/?v=3']) {
    const res = await fetch(`${api.url}${path}`, { method: 'POST', body: `data=${Buffer.from('{"token":"x","distinct_id":"d"}').toString('base64')}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ flags: {}, featureFlags: {}, errorsWhileComputingFlags: false });
  }
});
