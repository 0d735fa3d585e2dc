import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/index.js';
import { call, loadWallet } from './wallet.fixture.js';

/**
 * Typed property columns (`propertyColumns`) change how a segment reads a
 * property, never what it answers: the same definitions on the same wallet
 * data, before and after the columns are declared (and backfilled), give the
 * same members and computed traits.
 */
const purchase = { type: 'event', event: 'Purchase Completed' };
const DEFINITIONS: Array<[string, unknown[]]> = [
  ['string and number filters', [{ ...purchase, where: [{ property: 'category', operator: 'eq', value: 'travel' }, { property: 'amount', operator: 'gt', value: 100 }] }]],
  ['in, neq and lte', [{ ...purchase, where: [{ property: 'category', operator: 'in', value: ['travel', 'food'] }, { property: 'category', operator: 'neq', value: 'food' }, { property: 'amount', operator: 'lte', value: 300 }] }]],
  ['sum in a window', [{ ...purchase, aggregate: { fn: 'sum', property: 'amount' }, operator: 'gt', value: 250, window: { last: '90d' } }]],
  ['avg', [{ ...purchase, aggregate: { fn: 'avg', property: 'amount' }, operator: 'gte', value: 100 }]],
  ['min', [{ ...purchase, aggregate: { fn: 'min', property: 'amount' }, operator: 'lt', value: 60 }]],
  ['max, not', [{ type: 'not', condition: { ...purchase, aggregate: { fn: 'max', property: 'amount' }, operator: 'gte', value: 900 } }]],
  ['RFM (amount is the money property)', [{ type: 'rfm', tier: ['important-value', 'important-retain', 'general-develop', 'general-value'] }]],
];
const TRAITS = [
  { name: 'spend', definition: { kind: 'sum', event: 'Purchase Completed', property: 'amount' } },
  { name: 'biggest', definition: { kind: 'max', event: 'Purchase Completed', property: 'amount' } },
];

let plain: TestApi;
let typed: TestApi | undefined;
let profileIds: string[] = [];

/** Members of each definition, and the computed traits of every profile. */
async function answers(api: TestApi) {
  const members: Record<string, string[]> = {};
  for (const [name, conditions] of DEFINITIONS) {
    const r = await call(api, 'POST', '/v1/segments/preview', { definition: { conditions }, limit: 100 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    members[name] = (r.body.sample as string[]).sort();
  }
  const traits: Record<string, unknown> = {};
  for (const id of profileIds) traits[id] = (await call(api, 'GET', `/v1/profiles/${id}`)).body.computedTraits;
  return { members, traits };
}

beforeAll(async () => {
  plain = await startTestApi({ options: { rateLimit: { max: 0 } } });
  profileIds = [...(await loadWallet(plain)).values()];
  for (const t of TRAITS) expect((await call(plain, 'POST', '/v1/computed-traits', t)).status).toBe(201);
});

afterAll(async () => {
  await (typed ?? plain).close();
});

describe('typed property columns', () => {
  it('answer every segment and computed trait as parsing the JSON does, and the SQL reads them', async () => {
    const before = await answers(plain);
    // Every definition selects someone and leaves someone out: equal answers mean something.
    for (const [name, list] of Object.entries(before.members)) expect(list.length, name).toBeGreaterThan(0);
    for (const [name, list] of Object.entries(before.members)) expect(list.length, name).toBeLessThan(profileIds.length);
    await plain.close();

    typed = await startTestApi({
      reuse: plain,
      options: { rateLimit: { max: 0 }, propertyColumns: [{ property: 'amount', type: 'number' }, { property: 'category', type: 'string' }] },
    });
    expect(await answers(typed)).toEqual(before);

    const saved = await call(typed, 'POST', '/v1/segments', { name: 'travel spenders', definition: { conditions: DEFINITIONS[0]![1] } });
    expect(saved.status).toBe(201);
    const sql = (await call(typed, 'GET', `/v1/segments/${saved.body.id}/sql`)).body.sql as string;
    expect(sql).toContain('prop_num_amount');
    expect(sql).toContain('prop_str_category');
    expect(sql).not.toContain('JSONExtract(properties');
  });
});
