import { churnRisk, lifecycleStage, resolveSegmentSettings, rfmThresholds, rfmTier, type RfmMeasures } from '@cdp/segments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';
import { at, BATCHES, call as callApi, DAY, loadWallet, NOW, PEOPLE, type Person } from './wallet.fixture.js';

/** The members of each condition type on the wallet fixture, where they are known by construction. */
let api: TestApi;
const ids = new Map<Person, string>();
const names = new Map<string, Person>();

const call = (method: string, path: string, body?: unknown) => callApi(api, method, path, body);

/** Members of an unsaved definition, by person. */
async function members(conditions: unknown[], match: 'and' | 'or' = 'and'): Promise<Person[]> {
  const r = await call('POST', '/v1/segments/preview', { definition: { conditions, match }, limit: 100 });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.count).toBe(r.body.sample.length);
  return (r.body.sample as string[]).map((id) => names.get(id) ?? (id as Person)).sort();
}

beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
  for (const [p, id] of await loadWallet(api)) {
    ids.set(p, id);
    names.set(id, p);
  }
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
        activeDays: t.map((x) => Math.floor(x / DAY)),
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
