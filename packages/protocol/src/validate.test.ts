import { describe, expect, it } from 'vitest';
import { validateEvent, formatPath, joinPath } from './validate.js';
import { parseIsoDate } from './event.js';
import { batchEnvelopeSchema } from './batch.js';

describe('validateEvent', () => {
  it('accepts a Segment track event and normalises ids and timestamps', () => {
    const r = validateEvent({
      type: 'track',
      event: 'Order Completed',
      userId: 42,
      anonymousId: null,
      messageId: 'm-1',
      timestamp: '2024-05-01T10:00:00.123Z',
      properties: { revenue: 9.5 },
      context: { library: { name: 'x', version: '1' } },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event).toMatchObject({ type: 'track', userId: '42', timestamp: Date.UTC(2024, 4, 1, 10, 0, 0, 123) });
    expect(r.event.anonymousId).toBeUndefined();
  });

  it.each([
    ['identify', { traits: { email: 'a@b.co' } }],
    ['page', { name: 'Home', category: null, properties: { path: '/' } }],
    ['screen', { name: 'Home' }],
    ['group', { groupId: 'g1', traits: { plan: 'pro' } }],
  ])('accepts %s', (type, extra) => {
    expect(validateEvent({ type, anonymousId: 'a', ...extra }).ok).toBe(true);
  });

  it('forces the type implied by a single-event endpoint', () => {
    const r = validateEvent({ event: 'x', userId: 'u' }, 'track');
    expect(r.ok && r.event.type).toBe('track');
  });

  it('requires userId or anonymousId, naming userId', () => {
    const r = validateEvent({ type: 'track', event: 'x' });
    expect(r).toMatchObject({ ok: false, issue: { code: 'missing_identity', path: 'userId' } });
    expect(validateEvent({ type: 'track', event: 'x', userId: '', anonymousId: null }).ok).toBe(false);
  });

  it('requires userId and previousId on alias', () => {
    expect(validateEvent({ type: 'alias', previousId: 'a', anonymousId: 'b' })).toMatchObject({
      ok: false,
      issue: { code: 'missing_identity', path: 'userId' },
    });
    expect(validateEvent({ type: 'alias', userId: 'u' })).toMatchObject({ ok: false, issue: { path: 'previousId' } });
    expect(validateEvent({ type: 'alias', userId: 'u', previousId: 'a' }).ok).toBe(true);
  });

  it.each([
    [{ type: 'track', event: 'x', userId: { a: 1 } }, 'userId'],
    [{ type: 'track', event: 'x', userId: true }, 'userId'],
    [{ type: 'track', event: 'x', userId: Number.NaN }, 'userId'],
    [{ type: 'track', userId: 'u' }, 'event'],
    [{ type: 'track', event: '', userId: 'u' }, 'event'],
    [{ type: 'track', event: 'x', userId: 'u', properties: [1] }, 'properties'],
    [{ type: 'track', event: 'x', userId: 'u', properties: 'a' }, 'properties'],
    [{ type: 'track', event: 'x', userId: 'u', context: null }, 'context'],
    [{ type: 'track', event: 'x', userId: 'u', timestamp: 'yesterday' }, 'timestamp'],
    [{ type: 'track', event: 'x', userId: 'u', timestamp: '3024-01-01T00:00:00Z' }, 'timestamp'],
    [{ type: 'track', event: 'x', userId: 'u', messageId: 'x'.repeat(101) }, 'messageId'],
    [{ type: 'group', userId: 'u' }, 'groupId'],
    [{ type: 'nope', userId: 'u' }, 'type'],
    [{ userId: 'u' }, 'type'],
  ])('rejects %j naming %s', (input, path) => {
    const r = validateEvent(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issue.path).toBe(path);
    expect(r.issue.message).toContain(path);
  });

  it('rejects non-objects', () => {
    for (const v of [null, 1, 'x', [], true]) expect(validateEvent(v).ok).toBe(false);
  });

  it('does not copy free-form objects (no prototype pollution through __proto__ keys)', () => {
    const properties = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const r = validateEvent({ type: 'track', event: 'x', userId: 'u', properties });
    expect(r.ok && r.event.type === 'track' && r.event.properties).toBe(properties);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('parseIsoDate', () => {
  it.each([
    ['2024-05-01T10:00:00Z', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01T10:00:00.5Z', Date.UTC(2024, 4, 1, 10, 0, 0, 500)],
    ['2024-05-01T10:00:00.123456Z', Date.UTC(2024, 4, 1, 10, 0, 0, 123)],
    ['2024-05-01T10:00:00', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01 10:00:00', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01T18:00:00+08:00', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01T18:00:00+0800', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01T18:00:00+08', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01', Date.UTC(2024, 4, 1)],
  ])('parses %s', (text, ms) => {
    expect(parseIsoDate(text)).toBe(ms);
  });
  it.each(['', 'x', '2024-13-01T00:00:00Z', '1899-12-31T00:00:00Z', '2300-01-01T00:00:00Z', '1714557600000'])(
    'rejects %j',
    (text) => {
      expect(parseIsoDate(text)).toBeNaN();
    },
  );
});

describe('paths', () => {
  it('formats like JavaScript property access', () => {
    expect(formatPath(['context', 'externalIds', 0, 'id'], 'batch[3]')).toBe('batch[3].context.externalIds[0].id');
    expect(formatPath(['context', 'traits'])).toBe('context.traits');
    expect(joinPath('batch[3]', 'userId')).toBe('batch[3].userId');
    expect(joinPath('batch[3]', '')).toBe('batch[3]');
  });
});

describe('batchEnvelopeSchema', () => {
  it('requires an array of events', () => {
    expect(batchEnvelopeSchema.safeParse({ batch: {} }).success).toBe(false);
    expect(batchEnvelopeSchema.safeParse({ batch: [], writeKey: 'k', sentAt: 'x' }).success).toBe(true);
  });
});
