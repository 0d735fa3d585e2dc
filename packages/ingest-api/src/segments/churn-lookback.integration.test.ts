import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { churnRisk, compileSegment, resolveSegmentSettings, segmentDefinitionSchema, type SegmentSettingsInput } from '@cdp/segments';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbTransport } from '../storage/chdb-transport.js';
import { migrate } from '../storage/migrations.js';

/**
 * Churn risk's lookback is whole UTC dates, on both ways the compiled SQL reads
 * active days (`profile_activity`'s dates, or the events scan when activity is
 * limited to named track events), as the documented formula (`churnRisk`) says.
 */
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-23T12:00:00Z');
// 180 days back is 2026-05-27T12:00Z: the lookback's first date is 2026-05-27, all of it.
const P = {
  firstDateMorning: '0a000000-0000-4000-8000-000000000001',
  dayBefore: '0a000000-0000-4000-8000-000000000002',
  repeatedDates: '0a000000-0000-4000-8000-000000000003',
} as const;
const EVENTS: Array<[string, string]> = [
  // Active on the first date before 12:00 and 60 days later: two active days, usual gap 60, 120 days quiet → medium.
  [P.firstDateMorning, '2026-05-27T03:00:00Z'],
  [P.firstDateMorning, '2026-07-26T09:00:00Z'],
  // The day before the lookback does not count: one active day, default gap 7 → high.
  [P.dayBefore, '2026-05-26T23:00:00Z'],
  [P.dayBefore, '2026-07-26T09:00:00Z'],
  // Events the same day, some in each insert (so the date is in two rows of profile_activity): dates
  // 16, 18, 20, 22 → gaps 2, 2, 2; 1 day quiet → low. Repeated dates counted as gaps of 0 would say high.
  [P.repeatedDates, '2026-11-16T08:00:00Z'],
  [P.repeatedDates, '2026-11-22T08:00:00Z'],
  [P.repeatedDates, '2026-11-16T20:00:00Z'],
  [P.repeatedDates, '2026-11-18T08:00:00Z'],
  [P.repeatedDates, '2026-11-20T08:00:00Z'],
  [P.repeatedDates, '2026-11-22T09:00:00Z'],
];

let t: ChdbTransport;
beforeAll(async () => {
  t = await ChdbTransport.open({ path: mkdtempSync(join(tmpdir(), 'cdp-churn-')), database: 'churn' });
  await migrate(t);
  const rows = EVENTS.map(([profile, timestamp], i) =>
    JSON.stringify({ workspace_id: 'w', message_id: `m${i}`, type: 'track', event: 'Top Up', profile_id: profile, timestamp, received_at: timestamp }),
  );
  // Two inserts: a profile's dates arrive in two rows of profile_activity, as over days of traffic.
  await t.insert({ table: 'events', rows: rows.slice(0, 6).join('\n') });
  await t.insert({ table: 'events', rows: rows.slice(6).join('\n') });
});
afterAll(async () => {
  await t.close();
});

async function levels(input: SegmentSettingsInput, workspaceId = 'w'): Promise<Record<string, string>> {
  const settings = resolveSegmentSettings(input);
  const out: Record<string, string> = {};
  for (const level of ['low', 'medium', 'high'] as const) {
    const q = compileSegment({ definition: segmentDefinitionSchema.parse({ conditions: [{ type: 'churn_risk', level }] }), workspaceId, now: NOW, settings });
    for (const r of await t.query<{ pid: string }>(q.sql, q.params)) out[r.pid] = level;
  }
  return out;
}

describe('churn risk lookback', () => {
  const cases: Array<[string, SegmentSettingsInput]> = [
    ['from profile_activity (activity by event type)', {}],
    ['from the events scan (activity limited to named track events)', { activity: { eventTypes: ['track'], events: ['Top Up'] } }],
  ];
  it.each(cases)('%s', async (_name, input) => {
    const settings = resolveSegmentSettings(input);
    const expected: Record<string, string> = {};
    for (const id of Object.values(P)) {
      const times = EVENTS.filter(([p]) => p === id).map(([, ts]) => Date.parse(ts));
      const risk = churnRisk({ activeDays: times.map((x) => Math.floor(x / DAY)), lastActive: Math.max(...times), now: NOW, settings });
      if (risk !== null) expected[id] = risk.level;
    }
    expect(expected).toEqual({ [P.firstDateMorning]: 'medium', [P.dayBefore]: 'high', [P.repeatedDates]: 'low' });
    expect(await levels(input)).toEqual(expected);
  });
});

describe('churn level: the compiled SQL agrees with churnRisk', () => {
  // Small integers make ratios that sit exactly on a threshold (gap 2, 8 days quiet, highAt 4) common.
  const profile = fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 12 });
  const settings = fc
    .record({ mediumAt: fc.integer({ min: 1, max: 4 }), extra: fc.integer({ min: 1, max: 4 }), defaultGapDays: fc.integer({ min: 1, max: 9 }), lookbackDays: fc.integer({ min: 20, max: 190 }) })
    .map(({ mediumAt, extra, defaultGapDays, lookbackDays }): SegmentSettingsInput => ({ churn: { mediumAt, highAt: mediumAt + extra / 2, defaultGapDays, lookbackDays } }));
  let run = 0;
  it('for random active days, thresholds and lookbacks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(profile, { minLength: 1, maxLength: 40 }), settings, async (profiles, input) => {
        const ws = `prop${run++}`;
        const today = Math.floor(NOW / DAY);
        const rows = profiles.flatMap((daysAgo, p) =>
          daysAgo.map((ago, i) => {
            const timestamp = new Date((today - ago) * DAY + DAY / 2).toISOString();
            return JSON.stringify({ workspace_id: ws, message_id: `${p}-${i}`, type: 'track', event: 'Top Up', profile_id: profileId(p), timestamp, received_at: timestamp });
          }),
        );
        await t.insert({ table: 'events', rows: rows.join('\n') });
        const resolved = resolveSegmentSettings(input);
        const expected: Record<string, string> = {};
        profiles.forEach((daysAgo, p) => {
          const days = daysAgo.map((ago) => today - ago);
          const risk = churnRisk({ activeDays: days, lastActive: Math.max(...days) * DAY + DAY / 2, now: NOW, settings: resolved });
          if (risk !== null) expected[profileId(p)] = risk.level;
        });
        expect(await levels(input, ws)).toEqual(expected);
      }),
      { numRuns: 12 },
    );
  });
});

function profileId(n: number): string {
  return `0b000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}
