import { describe, expect, it } from 'vitest';
import { DEFINITION_LIMITS } from './limits.js';
import { segmentDefinitionSchema } from './segment.js';

/** The first issue as `path: message`, the way the API reports it. */
function issue(input: unknown): string {
  const r = segmentDefinitionSchema.safeParse(input);
  if (r.success) return 'ok';
  const i = r.error.issues[0];
  return `${(i?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').slice(1)}: ${i?.message ?? ''}`;
}

const topUps = { type: 'event', event: 'Top Up Completed' };

describe('segment definitions', () => {
  it('fills in the defaults', () => {
    const d = segmentDefinitionSchema.parse({ conditions: [topUps] });
    expect(d).toEqual({
      version: 1,
      match: 'and',
      conditions: [{ type: 'event', event: 'Top Up Completed', eventType: 'track', where: [], aggregate: { fn: 'count' }, operator: 'gte', value: 1 }],
    });
  });

  it('accepts every condition type, nested', () => {
    const all = [
      { type: 'trait', trait: 'plan', operator: 'in', value: ['plus', 'premium'] },
      { ...topUps, aggregate: { fn: 'sum', property: 'amount' }, operator: 'gt', value: 100, window: { last: '30d' }, where: [{ property: ['utm.source'], operator: 'exists' }] },
      { type: 'first_time', event: 'Signed Up', window: { from: '2026-01-01', to: '2026-02-01T00:00:00+08:00' } },
      { type: 'stopped', event: 'Logged In', activeWithin: '4w', inactiveWithin: '7d' },
      { type: 'sequence', steps: [{ event: 'A' }, { event: 'Home', eventType: 'page' }], within: '90m' },
      { type: 'lifecycle', stage: ['dormant', 'churned'] },
      { type: 'rfm', tier: 'important-win-back' },
      { type: 'churn_risk', level: 'high' },
      { type: 'segment', segmentId: 'seg_1' },
    ];
    expect(issue({ match: 'or', conditions: [{ type: 'not', condition: { type: 'and', conditions: all } }] })).toBe('ok');
  });

  it.each([
    ['a window in the wrong shape', { conditions: [topUps, topUps, { ...topUps, window: { last: 7 } }] }, 'conditions[2].window.last: expected a duration such as "30d", "12h", "2w" or "15m"'],
    ['both kinds of window', { conditions: [{ ...topUps, window: { last: '7d', from: '2026-01-01' } }] }, 'conditions[0].window: use either "last" or "from"/"to", not both'],
    ['a huge window', { conditions: [{ ...topUps, window: { last: '3651d' } }] }, 'conditions[0].window.last: must be at most 3650 days'],
    ['a huge absolute window', { conditions: [{ ...topUps, window: { from: '1990-01-01', to: '2026-01-01' } }] }, 'conditions[0].window.to: the window must be at most 3650 days'],
    ['an inverted window', { conditions: [{ ...topUps, window: { from: '2026-02-01', to: '2026-01-01' } }] }, 'conditions[0].window.to: must be after "from"'],
    ['an impossible date', { conditions: [{ ...topUps, window: { from: '2026-02-31' } }] }, 'conditions[0].window.from: must be a real date between 1970 and 2299'],
    ['an unknown condition type', { conditions: [{ type: 'sql', sql: 'SELECT 1' }] }, 'conditions[0].type: expected "type" to be one of and, or, not, trait, event, first_time, stopped, sequence, lifecycle, rfm, churn_risk, segment'],
    ['an unknown operator', { conditions: [{ type: 'trait', trait: 'a', operator: 'like', value: 'x' }] }, 'conditions[0].operator: expected "operator" to be one of eq, neq, gt, gte, lt, lte, in, not_in, contains, exists, not_exists, before, after'],
    ['a number operator with a string', { conditions: [{ type: 'trait', trait: 'age', operator: 'gt', value: '30' }] }, 'conditions[0].value: expected a number'],
    ['a mixed list', { conditions: [{ type: 'trait', trait: 'a', operator: 'in', value: ['x', 1] }] }, 'conditions[0].value: expected a non-empty array of strings or of numbers (at most 1000)'],
    ['an extra key', { conditions: [{ ...topUps, evnt: 'x' }] }, 'conditions[0]: Unrecognized key: "evnt"'],
    ['an empty list', { conditions: [] }, 'conditions: a group needs at least one condition'],
    ['a bad stage', { conditions: [{ type: 'lifecycle', stage: 'zombie' }] }, 'conditions[0].stage: expected one of new, active, dormant, churned, or an array of them'],
    ['stopped windows the wrong way round', { conditions: [{ type: 'stopped', event: 'x', activeWithin: '7d', inactiveWithin: '30d' }] }, 'conditions[0].inactiveWithin: must be shorter than activeWithin'],
    ['a one-step sequence', { conditions: [{ type: 'sequence', steps: [{ event: 'x' }], within: '1d' }] }, 'conditions[0].steps: a sequence has at least 2 steps'],
    ['an empty path segment', { conditions: [{ ...topUps, where: [{ property: 'a..b', operator: 'exists' }] }] }, 'conditions[0].where[0].property: path segments must not be empty (check the dots)'],
    ['another version', { version: 2, conditions: [topUps] }, 'version: expected version 1 (the only version so far)'],
    ['a bad duration in stopped', { conditions: [{ type: 'stopped', event: 'x', activeWithin: '10y', inactiveWithin: '7d' }] }, 'conditions[0].activeWithin: expected a duration such as "30d", "12h", "2w" or "15m"'],
    ['a NaN-like value', { conditions: [{ type: 'trait', trait: 'a', operator: 'eq', value: { $gt: 1 } }] }, 'conditions[0].value: expected a string, a number or a boolean'],
  ])('rejects %s, naming the part', (_name, input, expected) => {
    expect(issue(input)).toBe(expected);
  });

  it('rejects nesting deeper than the limit without descending further', () => {
    let deep: unknown = topUps;
    for (let i = 0; i < 50_000; i++) deep = { type: 'not', condition: deep };
    const message = issue({ conditions: [deep] });
    const path = `conditions[0]${'.condition'.repeat(DEFINITION_LIMITS.maxDepth - 1)}`;
    expect(message).toBe(`${path}: groups nest at most ${DEFINITION_LIMITS.maxDepth} levels deep`);
  });

  it('rejects too many conditions in total', () => {
    const wide = { type: 'or', conditions: Array.from({ length: 40 }, () => topUps) };
    expect(issue({ conditions: [wide, wide] })).toBe(`conditions: a definition has at most ${DEFINITION_LIMITS.maxConditions} conditions (this one has 82)`);
  });

  it('bounds strings and lists', () => {
    expect(issue({ conditions: [{ ...topUps, event: 'x'.repeat(201) }] })).toBe('conditions[0].event: must be at most 200 characters');
    expect(issue({ conditions: [{ type: 'trait', trait: 'a', operator: 'in', value: Array.from({ length: 1001 }, (_, i) => i) }] })).toMatch(/^conditions\[0\]\.value: /);
  });

  it('accepts hostile text as data (it is bound, never SQL)', () => {
    const hostile = "x'); DROP TABLE events; --";
    expect(issue({ conditions: [{ type: 'trait', trait: hostile, operator: 'eq', value: hostile }, { type: 'event', event: hostile, where: [{ property: hostile, operator: 'contains', value: hostile }] }] })).toBe('ok');
  });
});
