import { describe, expect, it } from 'vitest';
import { computedTraitDefinitionSchema } from '../definition/computed-trait.js';
import { compileComputedTraits, decodeComputedTraits } from './computed.js';

const traits = [
  { name: 'top_ups', definition: { kind: 'count', event: 'Top Up Completed', window: { last: '30d' } } },
  { name: 'spend', definition: { kind: 'sum', event: 'Purchase Completed', property: 'amount' } },
  { name: 'avg_spend', definition: { kind: 'avg', event: 'Purchase Completed', property: 'amount' } },
  { name: 'favourite', definition: { kind: 'most_frequent', event: 'Purchase Completed', property: 'merchant_category' } },
  { name: 'first_method', definition: { kind: 'first', event: 'Top Up Completed', property: 'method' } },
  { name: 'categories', definition: { kind: 'unique_list', event: 'Purchase Completed', property: 'merchant_category', limit: 3 } },
  { name: 'category_count', definition: { kind: 'unique_count', event: 'Purchase Completed', property: 'merchant_category' } },
  { name: 'last_login', definition: { kind: 'last_seen', event: 'Logged In' } },
].map((t) => ({ name: t.name, definition: computedTraitDefinitionSchema.parse(t.definition) }));

describe('computed traits', () => {
  it('computes every trait of a profile in one query over its ids, literals bound', () => {
    const q = compileComputedTraits({ traits, workspaceId: 'w', profileIds: ['p1', 'p0'], now: Date.UTC(2026, 0, 31) });
    expect(q.sql.split('FROM events')).toHaveLength(2);
    expect(q.sql).toContain('profile_id IN {ids:Array(String)}');
    expect(q.params['ids']).toEqual(['p1', 'p0']);
    expect(q.sql).not.toContain('Purchase');
    expect(q.sql).toMatch(/sumMapIf\(\[JSONExtractRaw\(properties, \{p\d+:String\}\)\], \[toUInt64\(1\)\]/);
    expect(q.sql).toContain('argMinIf(');
    expect(q.sql).toContain('arraySlice(arraySort(groupUniqArrayIf(');
    expect(Object.values(q.params)).toContain(Date.UTC(2026, 0, 1));
  });

  it('decodes values: numbers, JSON values, lists, ISO times, nulls when nothing matched', () => {
    const row = {
      ct0: '3',
      ct1: 120.5,
      ct2: null,
      ct3: '"travel"',
      ct4: '',
      ct5: ['"food"', '"travel"'],
      ct6: 2,
      ct7: '2026-01-30 08:15:00.250',
    };
    expect(decodeComputedTraits(traits, row)).toEqual({
      top_ups: 3,
      spend: 120.5,
      avg_spend: null,
      favourite: 'travel',
      first_method: null,
      categories: ['food', 'travel'],
      category_count: 2,
      last_login: '2026-01-30T08:15:00.250Z',
    });
  });

  it('rejects unknown kinds and missing properties', () => {
    expect(computedTraitDefinitionSchema.safeParse({ kind: 'median', event: 'x', property: 'a' }).success).toBe(false);
    expect(computedTraitDefinitionSchema.safeParse({ kind: 'sum', event: 'x' }).success).toBe(false);
  });
});
