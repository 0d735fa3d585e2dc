import {
  compileComputedTraits,
  compileSegment,
  computedTraitDefinitionSchema,
  decodeComputedTraits,
  resolveSegmentSettings,
  segmentDefinitionSchema,
  type SegmentDefinitionInput,
} from '@cdp/segments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../storage/migrations.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import { bothTransports } from '../testing/transports.js';
import { countMembers, exportLines, pageOfMembers, sampleOfMembers } from './membership.js';

/**
 * The compiled queries run unchanged on both transports (every parameter type
 * they bind: String, Int64, Float64, UInt8, UInt32, Array(String), Array(Float64)),
 * on rows written as the pipeline writes them: A2 was merged into A. Profile
 * ids are UUIDs, as the identity writer makes them (the queries key profiles by UUID).
 */
const engines = bothTransports('cdp-segments-transports-');
const NOW = Date.now();
const DAY = 86_400_000;
const iso = (daysAgo: number) => new Date(NOW - daysAgo * DAY).toISOString();
// In string order A < A2 < B < C, as the member pages list them.
const ID = {
  A: '0a000000-0000-4000-8000-000000000000',
  A2: '0a200000-0000-4000-8000-000000000000',
  B: '0b000000-0000-4000-8000-000000000000',
  C: '0c000000-0000-4000-8000-000000000000',
} as const;

const event = (id: string, profile: keyof typeof ID, name: string, daysAgo: number, properties: Record<string, unknown> = {}) => ({
  workspace_id: 'w',
  message_id: id,
  type: 'track',
  event: name,
  profile_id: ID[profile],
  timestamp: iso(daysAgo),
  received_at: iso(daysAgo),
  properties,
  traits: {},
  context: {},
  integrations: {},
});
const ROWS: Record<string, unknown[]> = {
  profiles: Object.values(ID).map((p) => ({ workspace_id: 'w', profile_id: p, created_at: iso(30), created_by: 'm', deleted: 0, version: 1 })),
  profile_aliases: [{ workspace_id: 'w', profile_id: ID.A2, canonical_id: ID.A, deleted: 0, version: 2 }],
  profile_traits: [
    { workspace_id: 'w', profile_id: ID.A, key: 'plan', value: '"premium"', at: iso(3), message_id: 'm', once: 0, deleted: 0, version: 1 },
    { workspace_id: 'w', profile_id: ID.B, key: 'plan', value: '"basic"', at: iso(3), message_id: 'm', once: 0, deleted: 0, version: 1 },
  ],
  events: [
    event('e1', 'A2', 'Top Up Completed', 1, { amount: 20 }),
    event('e2', 'A', 'Top Up Completed', 2, { amount: 30 }),
    event('e3', 'B', 'Top Up Completed', 1, { amount: 5 }),
    event('e4', 'A2', 'Card Application Submitted', 2.5),
    event('e5', 'A', 'Card Application Approved', 2.4),
    event('e6', 'B', 'Purchase Completed', 40, { amount: 99 }),
  ],
};

// B's purchase 40 days ago makes it the only profile with an RFM tier: the medians are its own values (000).
const settings = resolveSegmentSettings({ rfm: { paidEvents: ['Purchase Completed'], moneyProperty: 'amount' } });
const SEGMENTS: Array<[string, SegmentDefinitionInput, string[]]> = [
  ['topped up twice, across merged ids', { conditions: [{ type: 'event', event: 'Top Up Completed', operator: 'gte', value: 2, window: { last: '7d' } }] }, [ID.A]],
  [
    'premium, new, spent 50 on top-ups',
    {
      conditions: [
        { type: 'trait', trait: 'plan', operator: 'in', value: ['premium'] },
        { type: 'lifecycle', stage: ['new', 'active'] },
        { type: 'event', event: 'Top Up Completed', aggregate: { fn: 'sum', property: 'amount' }, operator: 'gte', value: 50, where: [{ property: 'amount', operator: 'in', value: [20, 30] }] },
      ],
    },
    [ID.A],
  ],
  ['did not top up in 36 hours (profiles without events too)', { conditions: [{ type: 'event', event: 'Top Up Completed', operator: 'eq', value: 0, window: { last: '36h' } }] }, [ID.C]],
  [
    'a sequence across merged ids, or any RFM tier, or a churn level',
    {
      match: 'or',
      conditions: [
        { type: 'sequence', steps: [{ event: 'Card Application Submitted' }, { event: 'Card Application Approved' }], within: '1d' },
        { type: 'rfm', tier: ['general-win-back', 'important-value'] },
        { type: 'churn_risk', level: ['high'] },
      ],
    },
    [ID.A, ID.B],
  ],
];

beforeAll(() => engines.start());
afterAll(() => engines.stop());

describe.each(engines.cases)('segment queries on %s', (_name, open) => {
  let t: ClickHouseTransport;
  beforeAll(async () => {
    t = await open(`seg_${Math.random().toString(36).slice(2, 10)}`);
    await migrate(t);
    for (const [table, rows] of Object.entries(ROWS)) await t.insert({ table, rows: rows.map((r) => JSON.stringify(r)).join('\n') });
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(SEGMENTS)('%s', async (_segment, input, expected) => {
    const q = compileSegment({ definition: segmentDefinitionSchema.parse(input), workspaceId: 'w', now: NOW, settings });
    expect(await countMembers(t, q)).toBe(expected.length);
    expect(await pageOfMembers(t, q, { after: '', limit: 10 })).toEqual(expected);
    expect(await pageOfMembers(t, q, { after: expected[0] as string, limit: 10 })).toEqual(expected.slice(1));
    expect(await sampleOfMembers(t, q, 1)).toEqual({ count: expected.length, sample: expected.slice(0, 1) });
    const lines: string[] = [];
    for await (const chunk of exportLines(t, { workspaceId: 'w', query: q, format: 'ndjson', traits: ['plan'] })) lines.push(chunk);
    expect(lines.join('').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(expected);
  });

  it('computed traits', async () => {
    const traits = [
      { name: 'top_ups', definition: computedTraitDefinitionSchema.parse({ kind: 'count', event: 'Top Up Completed', window: { last: '7d' } }) },
      { name: 'amounts', definition: computedTraitDefinitionSchema.parse({ kind: 'unique_list', event: 'Top Up Completed', property: 'amount' }) },
    ];
    const q = compileComputedTraits({ traits, workspaceId: 'w', profileIds: [ID.A, ID.A2], now: NOW });
    expect(decodeComputedTraits(traits, (await t.query(q.sql, q.params))[0])).toEqual({ top_ups: 2, amounts: [20, 30] });
  });
});
