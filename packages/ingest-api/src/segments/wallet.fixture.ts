import { expect } from 'vitest';
import type { TestApi } from '../testing/index.js';

/**
 * A small wallet-app dataset, sent over HTTP, where the members of every
 * condition type are known by construction. Times are relative to the start of
 * the test and kept away from window edges.
 */
export const DAY = 86_400_000;
const HOUR = 3_600_000;
export const NOW = Date.now();
export const at = (daysAgo: number, hours = 0) => new Date(NOW - daysAgo * DAY + hours * HOUR).toISOString();

export type Ev = Record<string, unknown>;
const track = (who: { userId?: string; anonymousId?: string }, event: string, daysAgo: number, properties: Record<string, unknown> = {}, hours = 0): Ev => ({
  type: 'track',
  ...who,
  event,
  properties,
  timestamp: at(daysAgo, hours),
});
const identify = (who: { userId?: string; anonymousId?: string }, traits: Record<string, unknown>, daysAgo: number): Ev => ({
  type: 'identify',
  ...who,
  traits,
  timestamp: at(daysAgo),
});

const u = (userId: string) => ({ userId });
/** Batches in order: identity resolution (eve's merge) depends on arrival order. */
export const BATCHES: Ev[][] = [
  [
    identify(u('ana'), { plan: 'premium', age: 34, email: 'ana@wallet.example', city: 'Lisbon', tags: ['vip', 'beta'], signup: '2025-01-10T00:00:00Z', address: { city: 'Lisbon' } }, 40),
    track(u('ana'), 'App Opened', 40),
    track(u('ana'), 'Top Up Completed', 3, { amount: 50, method: 'card' }),
    track(u('ana'), 'Top Up Completed', 2, { amount: 70, method: 'sepa' }),
    track(u('ana'), 'Purchase Completed', 1, { amount: 120, category: 'travel' }),
    track(u('ana'), 'Purchase Completed', 20, { amount: 80, category: 'food' }),
    identify(u('ben'), { plan: 'basic', age: 22, email: 'ben@mail.example', city: 'Porto', tags: ['beta'], signup: '2026-06-01T00:00:00Z' }, 3),
    track(u('ben'), 'Signed Up', 3),
    track(u('ben'), 'Top Up Completed', 2, { amount: 10, method: 'card' }),
    identify(u('cleo'), { plan: 'premium', age: 45, city: 'Madrid' }, 200),
    track(u('cleo'), 'Top Up Completed', 100, { amount: 500 }),
    track(u('cleo'), 'App Opened', 15),
    track(u('cleo'), 'Purchase Completed', 15, { amount: 900, category: 'electronics' }),
    track(u('cleo'), 'Purchase Completed', 60, { amount: 300, category: 'travel' }),
    track(u('cleo'), 'Purchase Completed', 90.5, { amount: 50, category: 'travel' }),
    identify(u('dan'), { plan: 'basic', age: 30 }, 61),
    track(u('dan'), 'App Opened', 60),
    track(u('dan'), 'Purchase Completed', 60, { amount: 20, category: 'food' }),
    track({ anonymousId: 'fay-web' }, 'App Opened', 1),
    track(u('gus'), 'Card Application Submitted', 2, {}, 0),
    track(u('gus'), 'Card Application Approved', 2, {}, 2),
    track(u('hal'), 'Card Application Approved', 2, {}, 0),
    track(u('hal'), 'Card Application Submitted', 2, {}, 2),
    track(u('ivy'), 'Card Application Submitted', 6),
    track(u('ivy'), 'Card Application Approved', 2),
    identify(u('jon'), { plan: 'enterprise', email: 'jon@corp.example' }, 5),
    // Eve, first device: events under a profile that will be merged.
    track({ anonymousId: 'eve-phone' }, 'Top Up Completed', 4, { amount: 30 }),
  ],
  // Eve, second device, identified: a second profile.
  [identify({ userId: 'eve', anonymousId: 'eve-laptop' }, { plan: 'basic', email: 'eve@mail.example' }, 3.5), track(u('eve'), 'Top Up Completed', 3, { amount: 40 })],
  // Eve logs in on the phone: the two profiles merge.
  [identify({ userId: 'eve', anonymousId: 'eve-phone' }, {}, 1)],
];
export const PEOPLE = ['ana', 'ben', 'cleo', 'dan', 'eve', 'gus', 'hal', 'ivy', 'jon'] as const;
export type Person = (typeof PEOPLE)[number] | 'fay';

/** A secret-key request to the API; the body is parsed JSON (undefined when empty). */
export async function call(api: TestApi, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.secretKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Sends the dataset over HTTP (batch by batch, flushed in between) and returns each person's profile id. */
export async function loadWallet(api: TestApi): Promise<Map<Person, string>> {
  let seq = 0;
  for (const batch of BATCHES) {
    const res = await fetch(`${api.url}/v1/batch`, {
      method: 'POST',
      body: JSON.stringify({ writeKey: api.writeKey, batch: batch.map((e) => ({ ...e, messageId: `seg-${++seq}` })) }),
    });
    expect(res.status).toBe(200);
    await api.flush();
  }
  const ids = new Map<Person, string>();
  for (const p of [...PEOPLE, 'fay'] as const) {
    const r = await call(api, 'GET', `/v1/profiles?identifier=${p === 'fay' ? 'anonymous_id:fay-web' : `user_id:${p}`}`);
    expect(r.status).toBe(200);
    ids.set(p, r.body.id);
  }
  const settings = await call(api, 'PUT', '/v1/segments/settings', { rfm: { paidEvents: ['Purchase Completed'], moneyProperty: 'amount' } });
  expect(settings.status).toBe(200);
  return ids;
}
