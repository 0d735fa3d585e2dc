import { validateEvent, type EventType } from '@cdp/protocol';
import { describe, expect, it } from 'vitest';
import { checkAlias, checkGroup, checkIdentify, checkPage, checkTrack, InputIssue, type CheckResult } from './check.js';
import { serializeEvent } from './wire.js';

/**
 * The hot-path check replaces a zod parse per call, so it must agree with the
 * protocol schema: whatever it accepts serializes to an event `validateEvent`
 * accepts (the wire contract), and whatever it refuses the schema refuses too
 * (no event lost to an over-strict SDK). Checked on a table and on 20,000
 * generated calls (seeded, so failures reproduce).
 */

const checks: Record<EventType, (p: never) => CheckResult> = {
  track: checkTrack,
  identify: checkIdentify,
  page: (p) => checkPage('page', p),
  screen: (p) => checkPage('screen', p),
  group: checkGroup,
  alias: checkAlias,
};

function run(type: EventType, params: unknown): { result: CheckResult; wire?: unknown } {
  const result = checks[type](params as never);
  if (result instanceof InputIssue) return { result };
  return { result, wire: JSON.parse(serializeEvent(result, result.messageId ?? 'generated-id')) };
}

describe('check: table', () => {
  it.each<[EventType, Record<string, unknown>, string | null]>([
    ['track', { userId: 'u', event: 'E' }, null],
    ['track', { anonymousId: 7, event: 'E', properties: { a: 1 } }, null],
    ['track', { userId: 0, event: 'E' }, null],
    ['track', { userId: '', anonymousId: '', event: 'E' }, 'userId'],
    ['track', { userId: Number.NaN, event: 'E' }, 'userId'],
    ['track', { userId: 'u' }, 'event'],
    ['track', { userId: 'u', event: 'E', properties: new Map() }, 'properties'],
    ['track', { userId: 'u', event: 'E', timestamp: new Date(Date.UTC(1800, 0)) }, 'timestamp'],
    ['track', { userId: 'u', event: 'E', timestamp: '2024-05-01T10:00:00+02:00' }, null],
    ['track', { userId: 'u', event: 'E', consent: { ads: 'yes' } }, 'consent'],
    ['identify', { userId: 'u', traits: { email: 'a@b.co' }, context: null }, null],
    ['page', { anonymousId: 'a', name: 'Home', category: null }, null],
    ['page', { anonymousId: 'a', name: 5 }, 'name'],
    ['group', { userId: 'u', groupId: '' }, null],
    ['group', { userId: 'u', groupId: {} }, 'groupId'],
    ['alias', { userId: 'u', previousId: 'a' }, null],
    ['alias', { anonymousId: 'a', previousId: 'b' }, 'userId'],
  ])('%s %j → %s', (type, params, path) => {
    const { result, wire } = run(type, params);
    if (path === null) {
      expect(result).not.toBeInstanceOf(InputIssue);
      expect(validateEvent(wire)).toMatchObject({ ok: true });
    } else {
      expect(result).toBeInstanceOf(InputIssue);
      expect((result as InputIssue).path).toBe(path);
    }
  });
});

/** mulberry32: a small seeded PRNG. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ABSENT = Symbol('absent');
const ids = [ABSENT, null, '', 'u1', 0, 42, -1.5, Number.NaN, Number.POSITIVE_INFINITY, true, {}, []];
const pools: Record<string, unknown[]> = {
  userId: ids,
  anonymousId: ids,
  messageId: [ABSENT, ABSENT, null, '', 'm-1', 'x'.repeat(100), 'x'.repeat(101), 5],
  timestamp: [ABSENT, ABSENT, null, '2024-05-01T10:00:00Z', '2024-05-01', '2024-05-01 10:00:00', 'yesterday', '3024-01-01T00:00:00Z', 1714557600000],
  context: [ABSENT, {}, { locale: 'fr' }, [], 'ctx'],
  integrations: [ABSENT, {}, { All: false }, [1], 3],
  properties: [ABSENT, {}, { a: 1 }, [1], 'p', Object.create(null) as object],
  traits: [ABSENT, {}, { plan: 'pro' }, [], 'x'],
  event: [ABSENT, '', 'Signed Up', 5, null],
  name: [ABSENT, null, 'Home', 5],
  category: [ABSENT, null, 'Docs', {}],
  groupId: [ABSENT, null, '', 'g1', 7, Number.NaN, {}],
  previousId: [ABSENT, null, '', 'p1', 7, true],
};
const fieldsOf: Record<EventType, string[]> = {
  track: ['event', 'properties'],
  identify: ['traits'],
  page: ['name', 'category', 'properties'],
  screen: ['name', 'category', 'properties'],
  group: ['groupId', 'traits'],
  alias: ['previousId'],
};
const common = ['userId', 'anonymousId', 'messageId', 'timestamp', 'context', 'integrations'];
const types = Object.keys(fieldsOf) as EventType[];

describe('check: agreement with validateEvent on generated calls', () => {
  it('accepts exactly what the schema accepts, and what it accepts goes on the wire valid', () => {
    const random = rng(20240501);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const type = pick(types);
      const params: Record<string, unknown> = {};
      for (const field of [...common, ...fieldsOf[type]]) {
        const value = pick(pools[field] ?? [ABSENT]);
        if (value !== ABSENT) params[field] = value;
      }
      const { result, wire } = run(type, params);
      const schema = validateEvent({ ...params, type });
      const label = `${type} ${JSON.stringify(params)}`;
      if (result instanceof InputIssue) {
        expect(schema.ok, label).toBe(false);
      } else {
        accepted++;
        expect(validateEvent(wire), label).toMatchObject({ ok: true });
        expect(schema.ok, label).toBe(true);
      }
    }
    // The pools are built so that both outcomes are common.
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(19_900);
  });
});
