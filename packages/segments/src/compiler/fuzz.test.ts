import { describe, expect, it } from 'vitest';
import { segmentDefinitionSchema } from '../definition/segment.js';
import { isSegmentCompileError } from './errors.js';
import { compileSegment } from './segment.js';

/**
 * Arbitrary JSON built from the language's own words (so that much of it gets
 * deep into the schema): validation never throws, and whatever validates
 * compiles, or fails with a SegmentCompileError.
 */
const WORDS = ['type', 'and', 'or', 'not', 'trait', 'event', 'first_time', 'stopped', 'sequence', 'lifecycle', 'rfm', 'churn_risk', 'segment', 'conditions', 'condition', 'operator', 'value', 'eq', 'neq', 'gt', 'in', 'contains', 'exists', 'before', 'after', 'window', 'last', 'from', 'to', 'where', 'property', 'aggregate', 'fn', 'sum', 'count', 'steps', 'within', 'stage', 'tier', 'level', 'activeWithin', 'inactiveWithin', 'segmentId', 'eventType', 'ago'];
const VALUES = ['7d', '30d', '0d', '99999d', '1h', '2026-01-01', '2026-13-01', 'new', 'high', 'important-value', "'; DROP TABLE events; --", '', 'a.b', 'a..b', 3, -1, 0, 1e308, Number.NaN, true, null];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4_294_967_296);
}

const pick = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;

/** Mostly well-formed conditions with random, often wrong, values: they reach deep into the schema. */
function condition(rnd: () => number, depth: number): unknown {
  const v = () => pick(rnd, VALUES);
  const duration = () => pick(rnd, ['7d', '30d', '90m', '2w', v()]);
  const window = () => pick(rnd, [{ last: duration() }, { from: pick(rnd, ['2026-01-01', v()]) }, { from: '2025-06-01', to: v() }, v()]);
  const opt = (key: string, value: unknown) => (rnd() < 0.3 ? {} : { [key]: value });
  const filter = () => {
    const operator = pick(rnd, [...WORDS.slice(16, 25), 'not_exists']);
    const value = operator === 'in' ? [v(), v()] : operator === 'before' || operator === 'after' ? pick(rnd, ['2026-01-01', { ago: duration() }]) : v();
    return { property: pick(rnd, ['amount', 'a.b', ['x.y'], v()]), operator, ...(operator.endsWith('exists') ? {} : { value }) };
  };
  const type = pick(rnd, WORDS.slice(1, 13));
  if (rnd() < 0.1) return arbitrary(rnd, depth);
  switch (type) {
    case 'and':
    case 'or':
      return { type, conditions: depth > 4 ? [] : Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => condition(rnd, depth + 1)) };
    case 'not':
      return { type, condition: condition(rnd, depth + 1) };
    case 'trait':
      return { type, ...filter(), trait: pick(rnd, ['plan', 'a.b', v()]) };
    case 'event':
      return { type, event: pick(rnd, ['Top Up', v()]), where: rnd() < 0.5 ? [filter()] : [], ...opt('window', window()), aggregate: pick(rnd, [{ fn: 'count' }, { fn: 'sum', property: 'amount' }, { fn: 'avg', property: v() }]), operator: pick(rnd, ['gte', 'eq', 'lt', v()]), value: pick(rnd, [1, 0, v()]) };
    case 'first_time':
      return { type, event: pick(rnd, ['Top Up', v()]), where: rnd() < 0.5 ? [filter()] : [], window: window() };
    case 'stopped':
      return { type, event: pick(rnd, ['Top Up', v()]), activeWithin: duration(), inactiveWithin: duration() };
    case 'sequence':
      return { type, steps: [{ event: v() }, { event: 'B', where: [filter()] }], within: duration(), ...opt('window', window()) };
    case 'lifecycle':
      return { type, stage: pick(rnd, ['new', 'churned', ['active', 'dormant'], v()]) };
    case 'rfm':
      return { type, tier: pick(rnd, ['important-value', v()]) };
    case 'churn_risk':
      return { type, level: pick(rnd, ['high', ['low', 'medium'], v()]) };
    default:
      return { type, segmentId: pick(rnd, ['seg_a', v()]) };
  }
}

function arbitrary(rnd: () => number, depth: number): unknown {
  const r = rnd();
  if (depth > 6 || r < 0.3) return pick(rnd, VALUES);
  if (r < 0.45) return Array.from({ length: Math.floor(rnd() * 4) }, () => arbitrary(rnd, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(rnd() * 5); i >= 0; i--) {
    const key = pick(rnd, WORDS);
    o[key] = key === 'type' || key === 'operator' || key === 'fn' ? pick(rnd, WORDS) : arbitrary(rnd, depth + 1);
  }
  return o;
}

describe('hostile and random definitions', () => {
  it('never make validation or compilation throw anything but a typed error', () => {
    const rnd = lcg(20261123);
    let valid = 0;
    for (let i = 0; i < 2_000; i++) {
      const input = { conditions: [condition(rnd, 0), condition(rnd, 0)] };
      const parsed = segmentDefinitionSchema.safeParse(input);
      if (!parsed.success) continue;
      valid++;
      try {
        const q = compileSegment({ definition: parsed.data, workspaceId: 'w', now: Date.UTC(2026, 0, 1), lookup: (id) => (id === 'seg_a' ? parsed.data : undefined) });
        expect(q.sql).not.toContain('DROP');
      } catch (err) {
        if (!isSegmentCompileError(err)) throw err;
      }
    }
    expect(valid).toBeGreaterThan(100);
  });
});
