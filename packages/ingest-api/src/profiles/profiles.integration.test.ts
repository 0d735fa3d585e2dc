import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';

let api: TestApi;
let other: { writeKey: string; secretKey: string };
let mira: { id: string };
beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
  const events = [
    { type: 'identify', userId: 'mira', anonymousId: 'mira-web', traits: { email: 'mira@example.net', kyc: 'verified' } },
    ...Array.from({ length: 7 }, (_, i) => ({ type: 'track', userId: 'mira', event: `Step ${i}`, properties: { i } })),
  ].map((e, i) => ({ ...e, messageId: `mira-${i}`, timestamp: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString() }));
  await post(api.writeKey, events);
  const created = await fetch(`${api.url}/v1/admin/workspaces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Other bank' }),
  });
  other = (await created.json()) as { writeKey: string; secretKey: string };
  await post(other.writeKey, [{ type: 'identify', userId: 'mira', traits: { email: 'mira@example.net' }, messageId: 'other-1' }]);
  await api.flush();
  mira = (await get('/v1/profiles?identifier=user_id:mira')).body as { id: string };
});
afterAll(async () => {
  await api.close();
});

async function post(writeKey: string, batch: unknown[]): Promise<void> {
  const res = await fetch(`${api.url}/v1/batch`, { method: 'POST', body: JSON.stringify({ writeKey, batch }) });
  expect(res.status).toBe(200);
}

async function get(path: string, key: string | null = api.secretKey): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${api.url}${path}`, key === null ? {} : { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('profile API', () => {
  it('returns identities, traits and first/last seen', async () => {
    const r = await get(`/v1/profiles/${mira.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: mira.id,
      identities: [
        { type: 'anonymous_id', value: 'mira-web' },
        { type: 'email', value: 'mira@example.net' },
        { type: 'user_id', value: 'mira' },
      ],
      traits: { email: 'mira@example.net', kyc: 'verified' },
      firstSeen: '2026-03-01T00:00:00.000Z',
      lastSeen: '2026-03-01T00:07:00.000Z',
      mergedFrom: [],
    });
  });

  it('pages the behaviour log newest first with a cursor, within a time range', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const page = await get(`/v1/profiles/${mira.id}/events?limit=3${query}`);
      expect(page.status).toBe(200);
      const events = page.body['events'] as Array<{ messageId: string; properties?: { i: number } }>;
      expect(events.length).toBeLessThanOrEqual(3);
      seen.push(...events.map((e) => e.messageId));
      cursor = page.body['nextCursor'] as string | null;
    } while (cursor !== null);
    expect(seen).toEqual(['mira-7', 'mira-6', 'mira-5', 'mira-4', 'mira-3', 'mira-2', 'mira-1', 'mira-0']);
    const ranged = await get(`/v1/profiles/${mira.id}/events?from=2026-03-01T00:02:00Z&to=2026-03-01T00:04:00Z`);
    expect((ranged.body['events'] as Array<{ messageId: string }>).map((e) => e.messageId)).toEqual(['mira-3', 'mira-2']);
    const first = (ranged.body['events'] as Array<Record<string, unknown>>)[0];
    expect(first).toMatchObject({ type: 'track', event: 'Step 2', userId: 'mira', properties: { i: 2 }, timestamp: '2026-03-01T00:03:00.000Z' });
  });

  it.each([
    ['/v1/profiles/no-such-profile', 404, 'not_found', 'profileId'],
    ['/v1/profiles?identifier=email:nobody@example.net', 404, 'not_found', 'identifier'],
    ['/v1/profiles', 400, 'invalid_request', 'identifier'],
    ['/v1/profiles?identifier=nocolon', 400, 'invalid_request', 'identifier'],
    ['/v1/profiles?identifier=shoe_size:42', 400, 'invalid_request', 'identifier'],
    ['/v1/profiles?identifier=email:not-an-email', 400, 'invalid_request', 'identifier'],
    ['/v1/profiles?identifier=user_id:undefined', 400, 'invalid_request', 'identifier'],
    ['/v1/profiles/x/events?limit=0', 400, 'invalid_request', 'limit'],
    ['/v1/profiles/x/events?limit=abc', 400, 'invalid_request', 'limit'],
    ['/v1/profiles/x/events?from=yesterday', 400, 'invalid_request', 'from'],
    ['/v1/profiles/x/events?cursor=garbage', 400, 'invalid_request', 'cursor'],
  ])('%s → %i %s', async (path, status, code, field) => {
    const r = await get(path);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ error: { code, path: field } });
  });

  it('requires a secret key; write keys are refused', async () => {
    expect((await get(`/v1/profiles/${mira.id}`, null)).body).toMatchObject({ error: { code: 'missing_secret_key' } });
    expect((await get(`/v1/profiles/${mira.id}`, 'sk_nope_nope')).body).toMatchObject({ error: { code: 'invalid_secret_key' } });
    const write = await get(`/v1/profiles/${mira.id}`, api.writeKey);
    expect(write.status).toBe(403);
    expect(write.body).toMatchObject({ error: { code: 'write_key_not_allowed' } });
  });

  it("never shows one workspace's profiles to another's key", async () => {
    expect((await get(`/v1/profiles/${mira.id}`, other.secretKey)).status).toBe(404);
    expect((await get(`/v1/profiles/${mira.id}/events`, other.secretKey)).status).toBe(404);
    const theirs = await get('/v1/profiles?identifier=user_id:mira', other.secretKey);
    expect(theirs.status).toBe(200);
    expect(theirs.body['id']).not.toBe(mira.id);
    expect(theirs.body['identities']).toEqual([
      { type: 'email', value: 'mira@example.net' },
      { type: 'user_id', value: 'mira' },
    ]);
  });
});
