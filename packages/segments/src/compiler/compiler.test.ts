import { describe, expect, it } from 'vitest';
import { segmentDefinitionSchema, type SegmentDefinition, type SegmentDefinitionInput } from '../definition/segment.js';
import { DAY_MS, DEFINITION_LIMITS } from '../definition/limits.js';
import { resolveSegmentSettings } from '../settings.js';
import { isSegmentCompileError, SegmentCompileError } from './errors.js';
import { compileSegment, segmentCountQuery, segmentPageQuery, segmentSampleQuery } from './segment.js';

const NOW = Date.UTC(2026, 10, 1, 12);
const DAY = 86_400_000;
const def = (input: SegmentDefinitionInput | { conditions: unknown[]; match?: string }): SegmentDefinition => segmentDefinitionSchema.parse(input);
const compile = (conditions: unknown[], extra: { lookup?: (id: string) => SegmentDefinition | undefined; match?: 'and' | 'or' } = {}) =>
  compileSegment({ definition: def({ conditions, ...(extra.match === undefined ? {} : { match: extra.match }) }), workspaceId: 'ws_1', now: NOW, ...(extra.lookup === undefined ? {} : { lookup: extra.lookup }) });

/** Names of the parameters whose value is `value`. */
const paramsOf = (q: { params: Record<string, unknown> }, value: unknown) =>
  Object.entries(q.params)
    .filter(([, v]) => JSON.stringify(v) === JSON.stringify(value))
    .map(([k]) => k);
const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

describe('compiled query shape', () => {
  it('scans events once for every behavioural condition, grouped by stored id and merged per survivor', () => {
    const q = compile([
      { type: 'event', event: 'Top Up Completed', operator: 'gte', value: 2, window: { last: '7d' } },
      { type: 'first_time', event: 'Signed Up', window: { last: '30d' } },
      { type: 'stopped', event: 'Logged In', activeWithin: '30d', inactiveWithin: '7d' },
      { type: 'sequence', steps: [{ event: 'A' }, { event: 'B' }], within: '1d' },
      { type: 'lifecycle', stage: 'active' },
      { type: 'rfm', tier: 'important-value' },
      { type: 'churn_risk', level: 'high' },
    ]);
    expect(occurrences(q.sql, 'FROM events')).toBe(1);
    expect(q.sql).toContain('GROUP BY sid');
    expect(q.sql).toMatch(/LEFT JOIN \(\s*SELECT toUUIDOrZero\(profile_id\) AS merged_id, toUUIDOrZero\(canonical_id\) AS survivor FROM profile_aliases FINAL\s+WHERE workspace_id = \{ws:String\} AND deleted = 0\s*\) AS alias/);
    expect(q.sql).toContain('if(empty(alias.survivor), src.sid, alias.survivor) AS pid');
    // Per-profile keys are UUIDs inside the query; members leave as strings.
    expect(q.sql).toMatch(/^SELECT toString\(pid\) AS pid FROM \(/);
    expect(q.sql).toContain('SELECT profile_key AS sid,');
    expect(q.sql).toContain('AS lifecycle_stage');
    expect(q.sql).toContain('AS rfm_tier');
    expect(q.sql).toContain('AS churn_level');
    // Retired (unmerged) profiles never come back.
    expect(q.sql).toContain('HAVING argMax(deleted, version) = 1');
    expect(q.params['ws']).toBe('ws_1');
  });

  it('adds the profiles without events only when the definition can hold for them', () => {
    const did = compile([{ type: 'event', event: 'Top Up Completed' }]);
    const didNot = compile([{ type: 'event', event: 'Top Up Completed', operator: 'eq', value: 0 }]);
    const traitOnly = compile([{ type: 'trait', trait: 'plan', operator: 'eq', value: 'pro' }]);
    const notDid = compile([{ type: 'not', condition: { type: 'event', event: 'Top Up Completed' } }]);
    const orTrait = compile([{ type: 'trait', trait: 'plan', operator: 'eq', value: 'pro' }, { type: 'event', event: 'X' }], { match: 'or' });
    const andTrait = compile([{ type: 'trait', trait: 'plan', operator: 'eq', value: 'pro' }, { type: 'event', event: 'X' }]);
    // The universe branch: every profile, with empty aggregates (the retired-profiles set is another FROM profiles).
    const universe = /\n\s*FROM profiles\n/;
    expect(did.sql).not.toMatch(universe);
    expect(andTrait.sql).not.toMatch(universe);
    for (const q of [didNot, traitOnly, notDid, orTrait]) expect(q.sql).toMatch(universe);
    expect(traitOnly.sql).not.toContain('FROM events');
  });

  it('computes identical aggregates once', () => {
    const same = { type: 'event', event: 'Top Up Completed', window: { last: '7d' } };
    const q = compile([same, { type: 'not', condition: same }, { ...same, operator: 'lt', value: 5 }], { match: 'or' });
    expect(occurrences(q.sql, 'countIf(')).toBe(1);
  });

  it('wraps the membership query for count, pages and samples', () => {
    const q = compile([{ type: 'event', event: 'X' }]);
    expect(segmentCountQuery(q).sql).toMatch(/^SELECT count\(\) AS members FROM \(/);
    const page = segmentPageQuery(q, { after: "p'1", limit: 50 });
    expect(page.sql).toContain('WHERE pid > {page_after:String}');
    expect(page.params).toMatchObject({ page_after: "p'1", page_limit: 50 });
    expect(segmentSampleQuery(q, 10).sql).toContain('count() OVER () AS members');
  });
});

describe('every literal is a bound parameter', () => {
  const hostile = "x'); DROP TABLE events; --";
  it.each([
    ['trait key and value', { type: 'trait', trait: hostile, operator: 'eq', value: hostile }],
    ['event name', { type: 'event', event: hostile }],
    ['property path and value', { type: 'event', event: 'A', where: [{ property: [hostile], operator: 'contains', value: hostile }] }],
    ['list values', { type: 'trait', trait: 'a', operator: 'in', value: [hostile, `${hostile}2`] }],
    ['page name', { type: 'event', eventType: 'page', event: hostile }],
    ['sequence step', { type: 'sequence', steps: [{ event: hostile }, { event: 'B' }], within: '1d' }],
    ['stopped', { type: 'stopped', event: hostile, activeWithin: '30d', inactiveWithin: '1d' }],
    ['nested trait path', { type: 'trait', trait: `a.${hostile}`, operator: 'exists' }],
  ])('%s', (_name, condition) => {
    const q = compile([condition]);
    expect(q.sql).not.toContain('DROP');
    expect(q.sql).not.toContain("'x'");
    expect(Object.values(q.params).flat()).toContainEqual(expect.stringContaining(hostile));
  });

  it('binds numbers, windows and the time of the query', () => {
    const q = compile([{ type: 'event', event: 'A', aggregate: { fn: 'sum', property: 'amount' }, operator: 'gt', value: 123.5, window: { last: '30d' } }]);
    expect(paramsOf(q, 123.5)).toHaveLength(1);
    expect(paramsOf(q, NOW - 30 * DAY)).toHaveLength(1);
    expect(q.sql).not.toMatch(/\b123\.5\b|\b30\b/);
  });

  it('binds absolute windows as epoch milliseconds (to exclusive)', () => {
    const q = compile([{ type: 'event', event: 'A', window: { from: '2026-01-01', to: '2026-02-01T00:00:00Z' } }]);
    const from = paramsOf(q, Date.UTC(2026, 0, 1))[0];
    const to = paramsOf(q, Date.UTC(2026, 1, 1))[0];
    expect(q.sql).toContain(`timestamp >= fromUnixTimestamp64Milli({${from}:Int64}, 'UTC') AND timestamp < fromUnixTimestamp64Milli({${to}:Int64}, 'UTC')`);
  });
});

describe('conditions', () => {
  const sqlOf = (condition: unknown) => compile([condition]).sql;

  it('trait tests read the latest, live version of the key; negative tests take the complement', () => {
    const eq = compile([{ type: 'trait', trait: 'plan', operator: 'eq', value: 'pro' }]);
    expect(eq.sql).toContain('pid IN (SELECT profile_key FROM profile_traits WHERE workspace_id = {ws:String} AND key = {');
    expect(eq.sql).toMatch(/GROUP BY profile_key HAVING argMax\(deleted = 0 AND ifNull\(JSONExtract\(value, 'Nullable\(String\)'\) = \{p\d+:String\}, 0\), version\) = 1\)/);
    expect(sqlOf({ type: 'trait', trait: 'plan', operator: 'neq', value: 'pro' })).toContain('pid NOT IN (SELECT profile_key FROM profile_traits');
    expect(sqlOf({ type: 'trait', trait: 'plan', operator: 'not_exists' })).toMatch(/pid NOT IN \(SELECT .* argMax\(deleted = 0 AND \(JSONType\(value\) != 'Null'\), version\) = 1\)/);
    expect(sqlOf({ type: 'trait', trait: 'age', operator: 'gte', value: 30 })).toContain("JSONExtract(value, 'Nullable(Float64)') >= {");
    expect(sqlOf({ type: 'trait', trait: 'vip', operator: 'eq', value: true })).toContain("'Nullable(Bool)') = {");
    expect(sqlOf({ type: 'trait', trait: 'signup', operator: 'before', value: { ago: '30d' } })).toContain('parseDateTime64BestEffortOrNull');
  });

  it('event conditions: property filters and aggregates', () => {
    const sql = sqlOf({ type: 'event', event: 'Purchase', where: [{ property: 'card.type', operator: 'in', value: ['debit'] }], aggregate: { fn: 'avg', property: 'amount' }, operator: 'gte', value: 10 });
    expect(sql).toMatch(/JSONExtract\(properties, \{p\d+:String\}, \{p\d+:String\}, 'Nullable\(String\)'\) IN \{p\d+:Array\(String\)\}/);
    expect(sql).toContain('count(if(');
    expect(sql).toMatch(/if\(b\d+ = 0, NULL, b\d+ \/ b\d+\)/);
    expect(sqlOf({ type: 'event', eventType: 'identify', where: [{ property: 'plan', operator: 'exists' }] })).toContain('JSONType(traits,');
    expect(sqlOf({ type: 'event', eventType: 'page', event: 'Home' })).toMatch(/name = \{p\d+:String\}/);
  });

  it('parses a property for aggregates only on the rows the aggregate reads', () => {
    // Aggregate arguments are evaluated on every scanned row: an unguarded JSONExtract would parse every event.
    const q = compile([
      { type: 'event', event: 'Purchase', aggregate: { fn: 'sum', property: 'amount' }, operator: 'gte', value: 10 },
      { type: 'rfm', tier: 'important-value' },
    ]);
    // The amount of the condition and RFM's money property, each parsed only on its own rows.
    expect(occurrences(q.sql, 'JSONExtract(if(')).toBe(2);
    expect(q.sql).not.toMatch(/JSONExtract\((properties|traits),/);
  });

  it('reads typed property columns the deployment keeps instead of parsing properties, where they hold the same value', () => {
    const propertyColumns = [
      { property: 'amount', type: 'number' as const, column: 'prop_num_amount' },
      { property: 'category', type: 'string' as const, column: 'prop_str_category' },
      { property: 'revenue', type: 'number' as const, column: 'prop_num_revenue' }, // RFM's money property
    ];
    const withColumns = (conditions: unknown[]) =>
      compileSegment({ definition: def({ conditions }), workspaceId: 'ws_1', now: NOW, propertyColumns });
    const q = withColumns([
      { type: 'event', event: 'Purchase', where: [{ property: 'category', operator: 'eq', value: 'travel' }], aggregate: { fn: 'sum', property: 'amount' }, operator: 'gte', value: 10 },
      { type: 'rfm', tier: 'important-value' },
    ]);
    expect(q.sql).toMatch(/sum\(if\([^\n]*, prop_num_amount, NULL\)\)/);
    expect(q.sql).toMatch(/sum\(if\([^\n]*, prop_num_revenue, NULL\)\)/);
    expect(q.sql).toMatch(/ifNull\(prop_str_category = \{p\d+:String\}, 0\)/);
    expect(q.sql).not.toContain('JSONExtract');
    // Not where the column would not hold the value asked for: another type, a nested path, traits, other operators.
    const other = withColumns([
      { type: 'event', event: 'Purchase', where: [{ property: 'amount', operator: 'eq', value: 'ten' }] },
      { type: 'event', event: 'Purchase', where: [{ property: 'category.code', operator: 'eq', value: 'x' }] },
      { type: 'event', eventType: 'identify', where: [{ property: 'amount', operator: 'gt', value: 1 }] },
      { type: 'event', event: 'Purchase', where: [{ property: 'category', operator: 'contains', value: 'tra' }] },
    ]).sql;
    expect(other).not.toContain('prop_');
    expect(other).toContain('JSONExtract(properties');
    expect(other).toContain('JSONExtract(traits');
    // The names go into the SQL text: anything but a plain identifier is refused.
    expect(() =>
      compileSegment({ definition: def({ conditions: [{ type: 'event', event: 'x' }] }), workspaceId: 'ws_1', now: NOW, propertyColumns: [{ property: 'a', type: 'number', column: 'a; DROP TABLE events' }] }),
    ).toThrow(/plain identifier/);
  });

  it('reads first and last activity from profile_activity when activity is defined by event type', () => {
    const lifecycle = { type: 'lifecycle', stage: 'dormant' };
    const topUps = { type: 'event', event: 'Top Up', operator: 'gte', value: 2, window: { last: '7d' } };
    const q = compile([lifecycle, topUps]);
    const [events, activity] = q.sql.split('UNION ALL') as [string, string];
    // Two layer-1 scans, each with the other's aggregates as neutral values, both merged per survivor.
    expect(events).toContain('FROM events');
    expect(events).toContain("CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS a0");
    expect(events).not.toContain('first_at');
    expect(activity).toContain('FROM profile_activity');
    // profile_activity's rows go to the per-survivor merge as they are (not grouped per stored id first).
    expect(activity).toMatch(/ if\(type IN \{p\d+:Array\(String\)\}, first_at, NULL\) AS a0/);
    expect(activity).toMatch(/ if\(type IN \{p\d+:Array\(String\)\}, last_at, NULL\) AS a1/);
    expect(activity).toContain('toUInt64(0) AS a2');
    expect(activity.slice(0, activity.indexOf(') AS src'))).not.toContain('GROUP BY');
    expect(events).toContain('GROUP BY sid');
    expect(q.sql).toMatch(/min\(a0\) AS b0,\s+max\(a1\) AS b1/);
    // The events scan keeps only the rows its own aggregates read (not every activity event).
    const eventsWhere = events.slice(events.indexOf('WHERE'));
    expect(eventsWhere).not.toMatch(/type IN \{/);
    expect(q.params[paramsOf(q, ['track', 'page', 'screen'])[0] as string]).toEqual(['track', 'page', 'screen']);

    // Activity limited to some track events needs the events themselves.
    const named = compileSegment({
      definition: def({ conditions: [lifecycle] }),
      workspaceId: 'ws_1',
      now: NOW,
      settings: resolveSegmentSettings({ activity: { eventTypes: ['track', 'page'], events: ['Logged In'] } }),
    });
    expect(named.sql).not.toContain('profile_activity');
    expect(named.sql).toMatch(/max\(if\(type IN \{p\d+:Array\(String\)\} AND \(type != 'track' OR event IN \{p\d+:Array\(String\)\}\), timestamp, NULL\)\)/);
    // Churn risk's recency and active days come from profile_activity too: no events scan at all.
    const churn = compile([{ type: 'churn_risk', level: 'high' }]);
    expect(churn.sql).toContain('FROM profile_activity');
    expect(churn.sql).not.toContain('FROM events');
    expect(churn.sql).toMatch(/if\(type IN \{p\d+:Array\(String\)\}, arrayFilter\(d -> d >= toDate\(fromUnixTimestamp64Milli\(\{p\d+:Int64\}, 'UTC'\), 'UTC'\), days\)/);
    // The lookback starts at midnight UTC of its first date.
    expect(Object.values(churn.params)).toContain(Math.floor((NOW - 180 * DAY_MS) / DAY_MS) * DAY_MS);
    expect(Object.values(churn.params)).not.toContain(NOW - 180 * DAY_MS);
    // Repeated dates (one per stored id merged into a profile) are concatenated, not hashed: the gaps skip zeros.
    expect(churn.sql).toMatch(/groupArrayArray\(a1\) AS b1/);
    expect(churn.sql).toContain('arrayFilter(g -> g > 0, arrayDifference(');
    // With track event names listed, the active days come from the events scan.
    const namedChurn = compileSegment({
      definition: def({ conditions: [{ type: 'churn_risk', level: 'high' }] }),
      workspaceId: 'ws_1',
      now: NOW,
      settings: resolveSegmentSettings({ activity: { eventTypes: ['track'], events: ['Logged In'] } }),
    });
    expect(namedChurn.sql).toMatch(/groupUniqArrayIf\(toDate\(timestamp, 'UTC'\), type IN .* AND timestamp >= fromUnixTimestamp64Milli/);
  });

  it('first time, stopped, sequence', () => {
    expect(sqlOf({ type: 'first_time', event: 'A', window: { last: '7d' } })).toMatch(/min\(if\(.*, timestamp, NULL\)\) AS a0/);
    expect(sqlOf({ type: 'stopped', event: 'A', activeWithin: '30d', inactiveWithin: '7d' })).toMatch(/b0 > 0 AND b1 = 0/);
    const seq = sqlOf({ type: 'sequence', steps: [{ event: 'A' }, { event: 'B' }, { event: 'C' }], within: '2h' });
    expect(seq).toContain("arrayReduce(concat('windowFunnel(', toString({");
    expect(seq).toContain('groupArrayArray(a0)');
    expect(seq).toMatch(/bitTest\(x_\.2, 2\)/);
  });

  it('segment membership is inlined, so the segment stays one query', () => {
    const premium = def({ conditions: [{ type: 'trait', trait: 'plan', operator: 'eq', value: 'premium' }] });
    const active = def({ conditions: [{ type: 'segment', segmentId: 'seg_p' }, { type: 'lifecycle', stage: 'active' }] });
    const lookup = (id: string) => ({ seg_p: premium, seg_a: active })[id];
    const q = compile([{ type: 'segment', segmentId: 'seg_a' }, { type: 'event', event: 'X' }], { lookup });
    expect(occurrences(q.sql, 'FROM events')).toBe(1);
    expect(q.sql).toContain('FROM profile_traits');
    expect(q.sql).toContain('lifecycle_stage IN');
  });

  it('rejects cycles, missing references and runaway inlining with the path of the reference', () => {
    const a = def({ conditions: [{ type: 'segment', segmentId: 'seg_b' }] });
    const b = def({ conditions: [{ type: 'not', condition: { type: 'segment', segmentId: 'seg_a' } }] });
    const lookup = (id: string) => ({ seg_a: a, seg_b: b })[id];
    const err = catchError(() => compile([{ type: 'event', event: 'X' }, { type: 'segment', segmentId: 'seg_a' }], { lookup }));
    expect(err.message).toBe('segment references form a cycle: seg_a → seg_b → seg_a');
    expect(err.path).toEqual(['conditions', 1, 'segmentId']);
    expect(catchError(() => compile([{ type: 'segment', segmentId: 'nope' }])).message).toBe('no segment nope in this workspace');
    // 40 references to a segment of 40 conditions: more than the inlining budget.
    const wide = def({ conditions: Array.from({ length: 40 }, () => ({ type: 'event', event: 'X' })) });
    const many = catchError(() => compile(Array.from({ length: 40 }, () => ({ type: 'segment', segmentId: 'w' })), { lookup: () => wide }));
    expect(many.message).toContain(`more than ${DEFINITION_LIMITS.maxInlinedConditions} conditions`);
  });

  it('uses the workspace settings of the built-ins', () => {
    const settings = resolveSegmentSettings({ lifecycle: { activeDays: 3, churnedDays: 10 }, rfm: { paidEvents: ['Paid'], thresholds: { frequency: 4 } } });
    const q = compileSegment({ definition: def({ conditions: [{ type: 'lifecycle', stage: 'dormant' }, { type: 'rfm', tier: 'general-value' }] }), workspaceId: 'w', now: NOW, settings });
    expect(paramsOf(q, NOW - 3 * DAY)).toHaveLength(1);
    expect(paramsOf(q, NOW - 10 * DAY)).toHaveLength(1);
    expect(paramsOf(q, ['Paid'])).toHaveLength(1);
    expect(paramsOf(q, 4)).toHaveLength(1);
    // Median thresholds are window functions for the two measures left unset, over the profiles with a tier.
    expect(occurrences(q.sql, 'quantileExactLow(0.5)')).toBe(2);
    expect(q.sql).toMatch(/quantileExactLow\(0\.5\)\(coalesce\(b\d+, 0\)\) OVER \(PARTITION BY b\d+ > 0\)/);
  });
});

function catchError(fn: () => unknown): SegmentCompileError {
  try {
    fn();
  } catch (err) {
    if (isSegmentCompileError(err)) return err;
    throw err;
  }
  throw new Error('expected a SegmentCompileError');
}
