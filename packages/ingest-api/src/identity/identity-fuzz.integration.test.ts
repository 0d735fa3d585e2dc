import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';

/**
 * Random identity-heavy batches (every event type; user, anonymous, device, email,
 * phone and external ids drawn from a small pool, with junk values, so that
 * profiles link, merge and collide): no 5xx, the flusher never stops, and every
 * acknowledged event is stored once, none of them refused by ClickHouse.
 */
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
});
afterAll(async () => {
  await api.close();
});

const id = fc.oneof(
  fc.constantFrom('u1', 'u2', 'a1', 'a2', 'null', 'undefined', '0', '[object Object]', 'test@example.com', '+1 555 0100', '00000000-0000-0000-0000-000000000000', ' ', 'U1', 'A1@EXAMPLE.COM', 'lone \ud800'),
  fc.string({ maxLength: 8 }),
  fc.integer().map(String),
);
const event = fc.record(
  {
    type: fc.constantFrom('track', 'identify', 'alias', 'group', 'page', 'screen'),
    userId: fc.option(id, { nil: undefined }),
    anonymousId: fc.option(id, { nil: undefined }),
    previousId: id,
    groupId: id,
    event: fc.constantFrom('Top Up', 'Login'),
    traits: fc.record({ email: fc.option(id), phone: fc.option(id), plan: fc.option(fc.anything({ maxDepth: 1 })) }, { requiredKeys: [] }),
    context: fc.record(
      {
        traits: fc.record({ email: id }, { requiredKeys: [] }),
        device: fc.record({ id }, { requiredKeys: [] }),
        externalIds: fc.array(
          fc.record({
            id: fc.oneof(id, fc.anything({ maxDepth: 1 })),
            type: fc.constantFrom('wechat_openid', 'wechat_unionid', 'email', 'phone', 'user_id', 'x', ''),
            collection: fc.constant('users'),
            encoding: fc.constant('none'),
          }),
          { maxLength: 20 },
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['type'] },
);

it('never stops the flusher, and stores every acknowledged event once', { timeout: 120_000 }, async () => {
  let acknowledged = 0;
  let seq = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 30 }), async (batch) => {
      const body = JSON.stringify({ writeKey: api.writeKey, batch: batch.map((e) => ({ ...e, messageId: `f-${seq++}` })) });
      const res = await fetch(`${api.url}/v1/batch`, { method: 'POST', body });
      expect(res.status).toBeLessThan(500);
      acknowledged += ((await res.json()) as { accepted?: number }).accepted ?? 0;
    }),
    { numRuns: 300, seed: 20261124 },
  );
  await api.flush();
  expect(await (await fetch(`${api.url}/readyz`)).json()).toMatchObject({ flushing: 'ok' });
  const [stored] = await api.query<{ n: number; ids: number }>('SELECT count() AS n, uniqExact(message_id) AS ids FROM events');
  expect(acknowledged).toBeGreaterThan(1000);
  expect({ n: Number(stored?.n), ids: Number(stored?.ids) }).toEqual({ n: acknowledged, ids: acknowledged });
  const [refused] = await api.query<{ n: number }>("SELECT count() AS n FROM dead_letters WHERE code = 'storage_rejected'");
  expect(Number(refused?.n)).toBe(0);
});
