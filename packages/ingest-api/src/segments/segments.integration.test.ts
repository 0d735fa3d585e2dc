import { churnRisk, lifecycleStage, resolveSegmentSettings, rfmThresholds, rfmTier, type RfmMeasures } from '@cdp/segments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';

/**
 * A small wallet-app dataset, sent over HTTP, where the members of every
 * condition type are known by construction. Times are relative to the start of
 * the test and kept away from window edges.
 */
const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.now();
const at = (daysAgo: number, hours = 0) => new Date(NOW - daysAgo * DAY + hours * HOUR).toISOString();

type Ev = Record<string, unknown>;
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
const BATCHES: Ev[][] = [
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
const PEOPLE = ['ana', 'ben', 'cleo', 'dan', 'eve', 'gus', 'hal', 'ivy', 'jon'] as const;
type Person = (typeof PEOPLE)[number] | 'fay';

let api: TestApi;
const ids = new Map<Person, string>();
const names = new Map<string, Person>();

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.secretKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Members of an unsaved definition, by person. */
async function members(conditions: unknown[], match: 'and' | 'or' = 'and'): Promise<Person[]> {
  const r = await call('POST', '/v1/segments/preview', { definition: { conditions, match }, limit: 100 });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.count).toBe(r.body.sample.length);
  return (r.body.sample as string[]).map((id) => names.get(id) ?? (id as Person)).sort();
}

beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
  let seq = 0;
  for (const batch of BATCHES) {
    const res = await fetch(`${api.url}/v1/batch`, {
      method: 'POST',
      body: JSON.stringify({ writeKey: api.writeKey, batch: batch.map((e) => ({ ...e, messageId: `seg-${++seq}` })) }),
    });
    expect(res.status).toBe(200);
    await api.flush();
  }
  for (const p of [...PEOPLE, 'fay'] as const) {
    const identifier = p === 'fay' ? 'anonymous_id:fay-web' : `user_id:${p}`;
    const r = await call('GET', `/v1/profiles?identifier=${identifier}`);
    expect(r.status).toBe(200);
    ids.set(p, r.body.id);
    names.set(r.body.id, p);
  }
  const settings = await call('PUT', '/v1/segments/settings', { rfm: { paidEvents: ['Purchase Completed'], moneyProperty: 'amount' } });
  expect(settings.status).toBe(200);
});

afterAll(async () => {
  await api.close();
});

describe('trait conditions', () => {
  const trait = (t: string, operator: string, value?: unknown) => ({ type: 'trait', trait: t, operator, ...(value === undefined ? {} : { value }) });
  it.each([
    ['eq', trait('plan', 'eq', 'premium'), ['ana', 'cleo']],
    ['neq (a missing trait passes)', trait('plan', 'neq', 'premium'), ['ben', 'dan', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jon']],
    ['gt', trait('age', 'gt', 30), ['ana', 'cleo']],
    ['gte', trait('age', 'gte', 30), ['ana', 'cleo', 'dan']],
    ['lt', trait('age', 'lt', 30), ['ben']],
    ['lte', trait('age', 'lte', 30), ['ben', 'dan']],
    ['in', trait('city', 'in', ['Porto', 'Madrid']), ['ben', 'cleo']],
    ['not_in', trait('plan', 'not_in', ['basic', 'premium']), ['fay', 'gus', 'hal', 'ivy', 'jon']],
    ['contains (array)', trait('tags', 'contains', 'beta'), ['ana', 'ben']],
    ['contains (string)', trait('email', 'contains', 'mail.example'), ['ben', 'eve']],
    ['exists', trait('email', 'exists'), ['ana', 'ben', 'eve', 'jon']],
    ['not_exists', trait('age', 'not_exists'), ['eve', 'fay', 'gus', 'hal', 'ivy', 'jon']],
    ['before', trait('signup', 'before', '2026-01-01T00:00:00Z'), ['ana']],
    ['after (relative)', trait('signup', 'after', { ago: '3650d' }), ['ana', 'ben']],
    ['nested path', trait('address.city', 'eq', 'Lisbon'), ['ana']],
  ])('%s', async (_name, condition, expected) => {
    expect(await members([condition])).toEqual(expected);
  });
});

describe('behavioural conditions (merged profiles count as one)', () => {
  it('counts events in a window, across the ids merged into a profile', async () => {
    expect(await members([{ type: 'event', event: 'Top Up Completed', operator: 'gte', value: 2, window: { last: '7d' } }])).toEqual(['ana', 'eve']);
    expect(await members([{ type: 'event', event: 'Top Up Completed', operator: 'eq', value: 1, window: { last: '7d' } }])).toEqual(['ben']);
  });

  it('did not perform: profiles without any event are members too', async () => {
    expect(await members([{ type: 'event', event: 'Top Up Completed', operator: 'eq', value: 0, window: { last: '7d' } }])).toEqual([
      'cleo',
      'dan',
      'fay',
      'gus',
      'hal',
      'ivy',
      'jon',
    ]);
  });

  it('filters on properties and aggregates them', async () => {
    const purchase = { type: 'event', event: 'Purchase Completed' };
    expect(await members([{ ...purchase, where: [{ property: 'category', operator: 'eq', value: 'travel' }, { property: 'amount', operator: 'gt', value: 100 }] }])).toEqual(['ana', 'cleo']);
    expect(await members([{ ...purchase, aggregate: { fn: 'sum', property: 'amount' }, operator: 'gt', value: 250, window: { last: '90d' } }])).toEqual(['cleo']);
    expect(await members([{ ...purchase, aggregate: { fn: 'avg', property: 'amount' }, operator: 'gte', value: 100 }])).toEqual(['ana', 'cleo']);
    expect(await members([{ ...purchase, aggregate: { fn: 'min', property: 'amount' }, operator: 'lt', value: 60 }])).toEqual(['cleo', 'dan']);
    expect(await members([{ ...purchase, aggregate: { fn: 'max', property: 'amount' }, operator: 'gte', value: 900 }])).toEqual(['cleo']);
    expect(await members([{ type: 'event', event: 'Top Up Completed', where: [{ property: 'method', operator: 'in', value: ['sepa'] }] }])).toEqual(['ana']);
  });

  it('absolute windows', async () => {
    const window = { from: at(5), to: at(2.5) };
    expect(await members([{ type: 'event', event: 'Top Up Completed', window }])).toEqual(['ana', 'eve']);
  });

  it('first time within a window', async () => {
    expect(await members([{ type: 'first_time', event: 'Top Up Completed', window: { last: '7d' } }])).toEqual(['ana', 'ben', 'eve']);
  });

  it('stopped doing', async () => {
    expect(await members([{ type: 'stopped', event: 'App Opened', activeWithin: '30d', inactiveWithin: '7d' }])).toEqual(['cleo']);
  });

  it('sequence within a time', async () => {
    const steps = [{ event: 'Card Application Submitted' }, { event: 'Card Application Approved' }];
    expect(await members([{ type: 'sequence', steps, within: '1d' }])).toEqual(['gus']);
    expect(await members([{ type: 'sequence', steps, within: '7d' }])).toEqual(['gus', 'ivy']);
    expect(await members([{ type: 'sequence', steps, within: '7d', window: { last: '3d' } }])).toEqual(['gus']);
  });
});

/** Activity of each person (track events), from the dataset. */
function activity(): Map<Person, number[]> {
  const out = new Map<Person, number[]>();
  const who = new Map<string, Person>([['eve-phone', 'eve'], ['fay-web', 'fay']]);
  for (const e of BATCHES.flat()) {
    if (e['type'] !== 'track') continue;
    const p = (e['userId'] as Person | undefined) ?? (who.get(e['anonymousId'] as string) as Person);
    out.set(p, [...(out.get(p) ?? []), Date.parse(e['timestamp'] as string)]);
  }
  return out;
}

describe('built-ins match their documented formulas', () => {
  const settings = resolveSegmentSettings({ rfm: { paidEvents: ['Purchase Completed'], moneyProperty: 'amount' } });
  const everyone = [...PEOPLE, 'fay'] as Person[];

  it('lifecycle stages', async () => {
    const acts = activity();
    for (const stage of ['new', 'active', 'dormant', 'churned'] as const) {
      const expected = everyone.filter((p) => {
        const t = acts.get(p) ?? [];
        return lifecycleStage({ firstActive: t.length ? Math.min(...t) : null, lastActive: t.length ? Math.max(...t) : null, now: NOW, settings }) === stage;
      });
      expect(await members([{ type: 'lifecycle', stage }]), stage).toEqual(expected.sort());
    }
    expect(await members([{ type: 'lifecycle', stage: 'new' }])).toEqual(['ben', 'eve', 'fay', 'gus', 'hal', 'ivy']);
  });

  it('RFM tiers with workspace medians', async () => {
    const paid = new Map<Person, Array<{ at: number; amount: number }>>();
    for (const e of BATCHES.flat()) {
      if (e['event'] !== 'Purchase Completed') continue;
      const p = e['userId'] as Person;
      paid.set(p, [...(paid.get(p) ?? []), { at: Date.parse(e['timestamp'] as string), amount: (e['properties'] as { amount: number }).amount }]);
    }
    const measures = new Map<Person, RfmMeasures>(
      [...paid].map(([p, list]) => [p, { recencyDays: Math.floor((NOW - Math.max(...list.map((x) => x.at))) / DAY), frequency: list.length, monetary: list.reduce((s, x) => s + x.amount, 0) }]),
    );
    const thresholds = rfmThresholds([...measures.values()], settings.rfm.thresholds);
    const tiers = new Map([...measures].map(([p, m]) => [p, rfmTier(m, thresholds)]));
    for (const tier of new Set(tiers.values())) {
      const expected = [...tiers].filter(([, t]) => t === tier).map(([p]) => p).sort();
      expect(await members([{ type: 'rfm', tier }]), String(tier)).toEqual(expected);
    }
    // ana: recent (1 day) vs median 15, F 2 = median 2 (not above), M 200 < median 200 → 100.
    expect(tiers.get('ana')).toBe('general-develop');
    expect(tiers.get('cleo')).toBe('important-retain');
  });

  it('churn risk levels', async () => {
    const acts = activity();
    const expected = new Map<string, Person[]>();
    for (const p of everyone) {
      const t = acts.get(p) ?? [];
      const risk = churnRisk({
        activeDays: t.filter((x) => x >= NOW - settings.churn.lookbackDays * DAY).map((x) => Math.floor(x / DAY)),
        lastActive: t.length ? Math.max(...t) : null,
        now: NOW,
        settings,
      });
      if (risk !== null) expected.set(risk.level, [...(expected.get(risk.level) ?? []), p]);
    }
    for (const level of ['low', 'medium', 'high'] as const) {
      expect(await members([{ type: 'churn_risk', level }]), level).toEqual((expected.get(level) ?? []).sort());
    }
    expect(expected.get('high')).toContain('dan');
  });
});

describe('composition', () => {
  it('and / or / not, nested', async () => {
    const premium = { type: 'trait', trait: 'plan', operator: 'eq', value: 'premium' };
    const topUps = { type: 'event', event: 'Top Up Completed', window: { last: '7d' } };
    expect(await members([premium, topUps])).toEqual(['ana']);
    expect(await members([premium, topUps], 'or')).toEqual(['ana', 'ben', 'cleo', 'eve']);
    expect(await members([{ type: 'not', condition: { type: 'or', conditions: [premium, topUps] } }])).toEqual(['dan', 'fay', 'gus', 'hal', 'ivy', 'jon']);
  });

  it('membership of another segment', async () => {
    const created = await call('POST', '/v1/segments', { name: 'Premium', definition: { conditions: [{ type: 'trait', trait: 'plan', operator: 'eq', value: 'premium' }] } });
    expect(created.status).toBe(201);
    expect(await members([{ type: 'segment', segmentId: created.body.id }, { type: 'lifecycle', stage: 'active' }])).toEqual(['ana']);
    expect(await members([{ type: 'not', condition: { type: 'segment', segmentId: created.body.id } }, { type: 'trait', trait: 'age', operator: 'exists' }])).toEqual(['ben', 'dan']);
  });
});
