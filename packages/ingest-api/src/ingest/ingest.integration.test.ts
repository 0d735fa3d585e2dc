import { gzipSync } from 'node:zlib';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { eventSchema } from '@cdp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
});
afterAll(async () => {
  await api.close();
});

interface EventRow {
  message_id: string;
  type: string;
  event: string;
  name: string;
  user_id: string;
  anonymous_id: string;
  group_id: string;
  previous_id: string;
  timestamp: string;
  properties: string;
  traits: string;
  context: string;
  workspace_id: string;
}

async function rowsWhere(sql: string, params: Record<string, unknown>): Promise<EventRow[]> {
  await api.flush();
  return api.query<EventRow>(`SELECT * FROM events WHERE ${sql} ORDER BY timestamp, message_id`, params);
}

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
function post(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${api.url}${path}`, { method: 'POST', headers, body });
}

describe('real clients, unchanged', () => {
  it('stores every event sent by @segment/analytics-node with the right fields', async () => {
    const client = new SegmentAnalytics({ writeKey: api.writeKey, host: api.url, flushAt: 5, maxRetries: 0 });
    const runId = `seg-${Date.now()}`;
    client.identify({ userId: `${runId}-u`, traits: { email: 'ann@example.org', plan: 'gold' } });
    client.track({ userId: `${runId}-u`, event: 'Top Up', properties: { amount: 50, currency: 'EUR' } });
    client.page({ anonymousId: `${runId}-a`, name: 'Pricing', category: 'Docs', properties: { path: '/pricing' } });
    client.screen({ userId: `${runId}-u`, name: 'Wallet' });
    client.group({ userId: `${runId}-u`, groupId: `${runId}-g`, traits: { name: 'Acme' } });
    client.alias({ userId: `${runId}-u`, previousId: `${runId}-a` });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    await client.closeAndFlush();
    expect(errors).toEqual([]);
    const rows = await rowsWhere('user_id LIKE {p:String} OR anonymous_id LIKE {p:String}', { p: `${runId}%` });
    expect(rows.map((r) => r.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', 'track']);
    const byType = Object.fromEntries(rows.map((r) => [r.type, r]));
    expect(byType['track']).toMatchObject({ event: 'Top Up', user_id: `${runId}-u`, workspace_id: api.workspaceId });
    expect(JSON.parse(byType['track']?.properties ?? '')).toEqual({ amount: 50, currency: 'EUR' });
    expect(JSON.parse(byType['identify']?.traits ?? '')).toEqual({ email: 'ann@example.org', plan: 'gold' });
    expect(byType['page']).toMatchObject({ name: 'Pricing', anonymous_id: `${runId}-a` });
    expect(byType['group']?.group_id).toBe(`${runId}-g`);
    expect(byType['alias']?.previous_id).toBe(`${runId}-a`);
    expect(JSON.parse(byType['track']?.context ?? '')).toMatchObject({ library: { name: '@segment/analytics-node' } });
    for (const r of rows) expect(r.message_id).toMatch(/^node-next-/);
  });

  it('stores every event sent by @rudderstack/rudder-sdk-node (gzip, form-urlencoded)', async () => {
    const client = new RudderAnalytics(api.writeKey, { dataPlaneUrl: api.url, flushAt: 10, flushInterval: 60_000, logLevel: 'error' });
    const runId = `rud-${Date.now()}`;
    client.identify({ userId: `${runId}-u`, traits: { phone: '+4915112345678' } });
    client.track({ userId: `${runId}-u`, event: 'Card Applied', properties: { tier: 'black' } });
    client.page({ anonymousId: `${runId}-a`, name: 'Home' });
    client.screen({ userId: `${runId}-u`, name: 'Cards' });
    client.group({ userId: `${runId}-u`, groupId: `${runId}-g` });
    client.alias({ userId: `${runId}-u`, previousId: `${runId}-a` });
    // rudder-sdk-node's flush() sends at most flushAt events per call: flushAt covers all six.
    await client.flush();
    const rows = await rowsWhere('user_id LIKE {p:String} OR anonymous_id LIKE {p:String}', { p: `${runId}%` });
    expect(rows.map((r) => r.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', 'track']);
    const track = rows.find((r) => r.type === 'track');
    expect(track?.event).toBe('Card Applied');
    expect(JSON.parse(track?.properties ?? '')).toEqual({ tier: 'black' });
  });

  it('accepts an analytics.js beacon: text/plain body, writeKey in the query string', async () => {
    const id = `beacon-${Date.now()}`;
    const body = JSON.stringify({ batch: [{ type: 'track', event: 'Viewed', anonymousId: id, messageId: id }], sentAt: new Date().toISOString() });
    const res = await post(`/beacon/v1/batch?writeKey=${encodeURIComponent(api.writeKey)}`, body, { 'content-type': 'text/plain;charset=UTF-8' });
    expect(res.status).toBe(200);
    expect(await rowsWhere('message_id = {m:String}', { m: id })).toHaveLength(1);
  });

  it('accepts analytics.js short paths with the key in the body', async () => {
    const id = `short-${Date.now()}`;
    const res = await post('/v1/t', JSON.stringify({ writeKey: api.writeKey, event: 'Clicked', anonymousId: id, messageId: id }), { 'content-type': 'text/plain' });
    expect(res.status).toBe(200);
    expect((await rowsWhere('message_id = {m:String}', { m: id }))[0]?.type).toBe('track');
  });

  it('accepts a gzip body without Content-Encoding (magic bytes)', async () => {
    const id = `gz-${Date.now()}`;
    const body = gzipSync(JSON.stringify({ batch: [{ type: 'track', event: 'Zipped', userId: 'u', messageId: id }] }));
    const res = await post('/v1/batch', body, { authorization: basic(api.writeKey), 'content-type': 'text/plain' });
    expect(res.status).toBe(200);
    expect(await rowsWhere('message_id = {m:String}', { m: id })).toHaveLength(1);
  });

  it('accepts a request with no Content-Type at all', async () => {
    const id = `noct-${Date.now()}`;
    const res = await fetch(`${api.url}/v1/track`, {
      method: 'POST',
      headers: { authorization: basic(api.writeKey) },
      body: new Blob([JSON.stringify({ userId: 'u', event: 'Bare', messageId: id })]),
    });
    expect(res.status).toBe(200);
    expect(await rowsWhere('message_id = {m:String}', { m: id })).toHaveLength(1);
  });

  it('stores lone UTF-16 surrogates as U+FFFD instead of holding back the batch (ClickHouse refuses them)', async () => {
    // JSON escapes: the only way a lone surrogate gets into a body. Before, the identities insert refused the
    // batch on every retry and no later event was stored.
    const lone = '\\ud800';
    const batch = `[{"type":"identify","userId":"lone${lone}","anonymousId":"anon${lone}","messageId":"lone-1${lone}","traits":{"k${lone}":"v${lone}","email":"x${lone}@example.com"}},{"type":"track","event":"Ev${lone}","anonymousId":"anon${lone}","messageId":"lone-2"}]`;
    const res = await post('/v1/batch', `{"writeKey":"${api.writeKey}","batch":${batch}}`, { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const rows = await rowsWhere('workspace_id = {w:String} AND anonymous_id = {a:String}', { w: api.workspaceId, a: 'anon\ufffd' });
    expect(rows.map((r) => [r.message_id, r.event, r.user_id])).toEqual([
      ['lone-1\ufffd', '', 'lone\ufffd'],
      ['lone-2', 'Ev\ufffd', ''],
    ]);
    expect(JSON.parse(rows[0]?.traits ?? '{}')).toEqual({ 'k\ufffd': 'v\ufffd', email: 'x\ufffd@example.com' });
    expect(await (await fetch(`${api.url}/readyz`)).json()).toMatchObject({ flushing: 'ok' });
  });

  it('stores rows whose content still validates against the protocol schema', async () => {
    const rows = await rowsWhere("workspace_id = {w:String} AND type = 'track'", { w: api.workspaceId });
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      const wire = {
        type: r.type,
        event: r.event,
        userId: r.user_id || undefined,
        anonymousId: r.anonymous_id || undefined,
        messageId: r.message_id,
        properties: JSON.parse(r.properties) as unknown,
        context: JSON.parse(r.context) as unknown,
      };
      expect(eventSchema.safeParse(wire).success).toBe(true);
    }
  });
});

describe('rejections: documented 4xx, and the server keeps serving', () => {
  const auth = () => ({ authorization: basic(api.writeKey), 'content-type': 'application/json' });
  const cases: Array<[string, () => Promise<Response>, number, string, string | undefined]> = [
    ['invalid JSON', () => post('/v1/batch', '{"batch": [', auth()), 400, 'invalid_json', undefined],
    ['body not an object', () => post('/v1/batch', '[1,2]', auth()), 400, 'invalid_body', undefined],
    ['batch not an array', () => post('/v1/batch', '{"batch":{}}', auth()), 400, 'invalid_body', 'batch'],
    ['wrong type', () => post('/v1/track', JSON.stringify({ userId: 'u', event: 42 }), auth()), 400, 'invalid_event', 'event'],
    ['missing identity', () => post('/v1/track', JSON.stringify({ event: 'x' }), auth()), 400, 'missing_identity', 'userId'],
    ['batch with only bad events', () => post('/v1/batch', JSON.stringify({ batch: [{ type: 'track', event: 'x', userId: 'u', timestamp: 'soon' }] }), auth()), 400, 'invalid_event', 'batch[0].timestamp'],
    ['oversize event', () => post('/v1/track', JSON.stringify({ userId: 'u', event: 'x', properties: { b: 'x'.repeat(40_000) } }), auth()), 413, 'event_too_large', undefined],
    ['oversize body', () => post('/v1/batch', JSON.stringify({ batch: [{ type: 'track', event: 'x', userId: 'u', properties: { b: 'x'.repeat(600_000) } }] }), auth()), 413, 'body_too_large', undefined],
    ['oversize batch', () => post('/v1/batch', JSON.stringify({ batch: Array.from({ length: 2501 }, () => ({ type: 'track', event: 'x', userId: 'u' })) }), auth()), 413, 'batch_too_large', 'batch'],
    ['gzip bomb', () => post('/v1/batch', gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)), { ...auth(), 'content-encoding': 'gzip' }), 413, 'body_too_large', undefined],
    ['unsupported encoding', () => post('/v1/batch', '{}', { ...auth(), 'content-encoding': 'zstd' }), 415, 'unsupported_encoding', undefined],
    ['corrupt gzip', () => post('/v1/batch', Buffer.from([0x1f, 0x8b, 1, 2, 3]), auth()), 400, 'invalid_encoding', undefined],
    ['no key', () => post('/v1/track', JSON.stringify({ userId: 'u', event: 'x' }), { 'content-type': 'application/json' }), 401, 'missing_write_key', undefined],
    ['unknown key', () => post('/v1/track', JSON.stringify({ userId: 'u', event: 'x' }), { authorization: basic('wk_nope'), 'content-type': 'application/json' }), 401, 'invalid_write_key', undefined],
    ['unknown body key', () => post('/v1/track', JSON.stringify({ writeKey: 'wk_nope', userId: 'u', event: 'x' })), 401, 'invalid_write_key', undefined],
    ['secret key used to write', () => post('/v1/track', JSON.stringify({ userId: 'u', event: 'x' }), { authorization: basic(api.secretKey) }), 401, 'invalid_write_key', undefined],
    ['query key off the beacon path', () => post(`/v1/batch?writeKey=${api.writeKey}`, JSON.stringify({ batch: [] })), 401, 'missing_write_key', undefined],
  ];
  it.each(cases)('%s', async (_name, send, status, code, path) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string; path?: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(5);
    if (path !== undefined) expect(body.error.path).toBe(path);
    const health = await fetch(`${api.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('writes rejected events to the dead-letter table with the reason', async () => {
    const id = `dl-${Date.now()}`;
    const res = await post('/v1/batch', JSON.stringify({ batch: [{ type: 'track', event: 'ok', userId: 'u' }, { type: 'track', event: 'x', userId: 'u', messageId: id, properties: 'nope' }] }), auth());
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: number; rejected: Array<{ index: number; path: string }> };
    expect(body.accepted).toBe(1);
    expect(body.rejected).toMatchObject([{ index: 1, path: 'batch[1].properties', messageId: id }]);
    await api.flush();
    const dead = await api.query<{ code: string; path: string; reason: string; payload: string }>('SELECT * FROM dead_letters WHERE message_id = {m:String}', { m: id });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ code: 'invalid_event', path: 'batch[1].properties' });
    expect(JSON.parse(dead[0]?.payload ?? '')).toMatchObject({ messageId: id, properties: 'nope' });
  });
});

describe('analytics.js settings', () => {
  it('answers the settings document that points analytics.js at this server', async () => {
    const res = await fetch(`${api.url}/v1/projects/${api.writeKey}/settings`, { headers: { origin: 'https://shop.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const body = (await res.json()) as { integrations: Record<string, { apiKey: string; apiHost: string; protocol: string }> };
    expect(body.integrations['Segment.io']).toMatchObject({ apiKey: api.writeKey, apiHost: `${new URL(api.url).host}/v1`, protocol: 'http' });
    const unknown = await fetch(`${api.url}/v1/projects/wk_nope/settings`);
    expect(unknown.status).toBe(401);
    const secret = await fetch(`${api.url}/v1/projects/${api.secretKey}/settings`);
    expect(secret.status).toBe(401);
  });
});

describe('CORS', () => {
  it('answers preflight and tags responses for any origin by default', async () => {
    const pre = await fetch(`${api.url}/v1/batch`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    const res = await post('/v1/t', JSON.stringify({ writeKey: api.writeKey, event: 'x', anonymousId: 'a' }), { origin: 'https://shop.example', 'content-type': 'text/plain' });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });
});
