import { Resolver, type ResolveInput } from '@cdp/identity-resolution';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';

/**
 * A bug in identity resolution that throws on one event (here injected into the real resolver, after it has changed
 * its in-memory state, the worst case) must not stop the pipeline: the event goes to dead_letters and everything
 * else of the batch is stored, with identity rows consistent with what was stored.
 */
const logs: string[] = [];
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ onLog: (line) => logs.push(JSON.stringify(line)) });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await api.close();
});

async function send(batch: object[]): Promise<void> {
  const res = await fetch(`${api.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${api.writeKey}:`).toString('base64')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
}

it('an event that identity resolution throws on goes to dead_letters; the rest of the batch is stored consistently', { timeout: 60_000 }, async () => {
  const resolve = Resolver.prototype.resolve;
  const spy = vi.spyOn(Resolver.prototype, 'resolve').mockImplementation(function (this: Resolver, input: ResolveInput) {
    const result = resolve.call(this, input);
    if (input.identifiers.some((id) => id.value === 'u-poison')) throw new TypeError('cannot resolve u-poison');
    return result;
  });
  const t = (s: number) => `2026-11-24T10:00:0${s}.000Z`;
  // Before the poisoned event: alice's profile is created on device a-1 (in memory only, until stored).
  await send([
    { type: 'identify', userId: 'u-alice', anonymousId: 'a-1', traits: { plan: 'gold' }, messageId: 'p-1', timestamp: t(1) },
    { type: 'track', event: 'Login', userId: 'u-poison', anonymousId: 'a-bob', messageId: 'p-2', timestamp: t(2) },
    { type: 'track', event: 'Top Up', anonymousId: 'a-2', messageId: 'p-3', timestamp: t(3) },
    { type: 'identify', userId: 'u-alice', anonymousId: 'a-2', messageId: 'p-4', timestamp: t(4) },
  ]);
  await api.flush();
  expect(spy).toHaveBeenCalled();
  spy.mockRestore();

  expect(await (await fetch(`${api.url}/readyz`)).json()).toMatchObject({ flushing: 'ok' });
  const events = await api.query<{ message_id: string; profile_id: string }>('SELECT message_id, profile_id FROM events ORDER BY message_id');
  expect(events.map((e) => e.message_id)).toEqual(['p-1', 'p-3', 'p-4']);
  const dead = await api.query<{ message_id: string; code: string; payload: string; key_id: string }>(
    'SELECT message_id, code, payload, key_id FROM dead_letters',
  );
  expect(dead).toHaveLength(1);
  expect(dead[0]).toMatchObject({ message_id: 'p-2', code: 'resolution_failed' });
  expect(JSON.parse(dead[0]?.payload ?? '{}')).toMatchObject({ message_id: 'p-2', user_id: 'u-poison', anonymous_id: 'a-bob', event: 'Login' });
  expect(dead[0]?.key_id).not.toBe('');

  // Every stored event's profile has its row, and alice's identities were stored although the failed attempt had
  // already put them in memory (the state was read again from ClickHouse before planning the batch again).
  const orphans = await api.query<{ n: number }>(
    'SELECT count() AS n FROM events WHERE profile_id NOT IN (SELECT profile_id FROM profiles)',
  );
  expect(Number(orphans[0]?.n)).toBe(0);
  const ids = await api.query<{ id_value: string }>("SELECT id_value FROM identities FINAL WHERE deleted = 0 AND id_value != '' ORDER BY id_value");
  expect(ids.map((r) => r.id_value)).toEqual(['a-1', 'a-2', 'u-alice']);
  const poisonIds = await api.query<{ n: number }>("SELECT count() AS n FROM identities WHERE id_value IN ('u-poison', 'a-bob')");
  expect(Number(poisonIds[0]?.n)).toBe(0);

  // The graph goes on from the stored state: a later event of alice's lands on the same profile.
  await send([{ type: 'track', event: 'Transfer', anonymousId: 'a-1', messageId: 'p-5', timestamp: t(5) }]);
  await api.flush();
  const res = await fetch(`${api.url}/v1/profiles?identifier=user_id:u-alice`, { headers: { authorization: `Bearer ${api.secretKey}` } });
  const profile = (await res.json()) as { id: string; identities: Array<{ type: string; value: string }>; traits: Record<string, unknown> };
  expect(profile.identities.map((i) => i.value).sort()).toEqual(['a-1', 'a-2', 'u-alice']);
  expect(profile.traits).toMatchObject({ plan: 'gold' });
  const latest = await api.query<{ profile_id: string }>("SELECT profile_id FROM events WHERE message_id = 'p-5'");
  expect([profile.id, ...(await mergedFrom(profile.id))]).toContain(latest[0]?.profile_id);

  // The log says what happened without the error's message, which may quote an identifier.
  expect(logs.some((l) => l.includes('resolution_failed'))).toBe(true);
  expect(logs.filter((l) => l.includes('u-poison'))).toEqual([]);
});

async function mergedFrom(profileId: string): Promise<string[]> {
  const res = await fetch(`${api.url}/v1/profiles/${profileId}`, { headers: { authorization: `Bearer ${api.secretKey}` } });
  return ((await res.json()) as { mergedFrom: string[] }).mergedFrom;
}
