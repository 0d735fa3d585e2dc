import { describe, expect, it } from 'vitest';
import { resolveIdentityConfig } from './config.js';
import { extractIdentifiers, soleAnonymousId } from './extract.js';

const config = resolveIdentityConfig();

describe('extractIdentifiers', () => {
  it('takes every source of the reference table', () => {
    const result = extractIdentifiers(
      {
        type: 'identify',
        userId: 'u1',
        anonymousId: 'A1',
        traits: { email: 'Jane@Example.org', phone: '+44 20 7946 0958' },
        context: {
          traits: { email: 'jane.work@example.org', phone: '138 1234 5678' },
          device: { id: 'DEV-1' },
          externalIds: [
            { id: 'wx1/oABC', type: 'wechat_openid', collection: 'users', encoding: 'none' },
            { id: 'oU1', type: 'wechat_unionid' },
          ],
        },
      },
      config,
    );
    expect(result.identifiers).toEqual(
      expect.arrayContaining([
        { type: 'user_id', value: 'u1' },
        { type: 'anonymous_id', value: 'A1' },
        { type: 'email', value: 'jane@example.org' },
        { type: 'email', value: 'jane.work@example.org' },
        { type: 'phone', value: '+442079460958' },
        { type: 'phone', value: '+8613812345678' },
        { type: 'device_id', value: 'DEV-1' },
        { type: 'wechat_openid', value: 'wx1/oABC' },
        { type: 'wechat_unionid', value: 'oU1' },
      ]),
    );
    expect(result.identifiers).toHaveLength(9);
    expect(result.dropped).toEqual([]);
  });

  it('reads top-level traits only on identify (group traits describe the group)', () => {
    const group = extractIdentifiers({ type: 'group', userId: 'u1', traits: { email: 'billing@acme.example' } }, config);
    expect(group.identifiers).toEqual([{ type: 'user_id', value: 'u1' }]);
  });

  it('deduplicates the same identifier from two sources', () => {
    const result = extractIdentifiers(
      { type: 'identify', userId: 'u1', traits: { email: 'A@b.co' }, context: { traits: { email: ' a@B.co ' } } },
      config,
    );
    expect(result.identifiers).toEqual([
      { type: 'user_id', value: 'u1' },
      { type: 'email', value: 'a@b.co' },
    ]);
  });

  it('skips null and absent ids silently but drops values of the wrong type as invalid', () => {
    const result = extractIdentifiers(
      { type: 'track', userId: null, anonymousId: { id: 'x' }, context: { device: { id: true }, traits: { email: ['a@b.co'] } } },
      config,
    );
    expect(result.identifiers).toEqual([]);
    expect(result.dropped).toEqual([
      { type: 'anonymous_id', value: '', reason: 'invalid', detail: 'not_a_string' },
      { type: 'email', value: '', reason: 'invalid', detail: 'not_a_string' },
      { type: 'device_id', value: '', reason: 'invalid', detail: 'not_a_string' },
    ]);
  });

  it('ignores externalIds of unknown types with a reason', () => {
    const result = extractIdentifiers(
      { type: 'track', anonymousId: 'a1', context: { externalIds: [{ id: 'x', type: 'salesforce_id' }, { id: 'y' }, 'junk'] } },
      config,
    );
    expect(result.identifiers).toEqual([{ type: 'anonymous_id', value: 'a1' }]);
    expect(result.dropped).toEqual([
      { type: 'salesforce_id', value: 'x', reason: 'invalid', detail: 'unknown_type' },
      { type: 'external_id', value: '', reason: 'invalid', detail: 'unknown_type' },
      { type: 'external_id', value: '', reason: 'invalid', detail: 'unknown_type' },
    ]);
  });

  it('takes configured custom types from externalIds', () => {
    const custom = resolveIdentityConfig({ types: { loyalty_id: { priority: 8, limit: 1 } } });
    const result = extractIdentifiers({ type: 'track', context: { externalIds: [{ id: 'L-1', type: 'loyalty_id' }] } }, custom);
    expect(result.identifiers).toEqual([{ type: 'loyalty_id', value: 'L-1' }]);
  });

  it('skips fields of disabled types without a warning', () => {
    const noDevice = resolveIdentityConfig({ types: { device_id: false } });
    const result = extractIdentifiers({ type: 'track', anonymousId: 'a1', context: { device: { id: 'd1' } } }, noDevice);
    expect(result).toEqual({ identifiers: [{ type: 'anonymous_id', value: 'a1' }], dropped: [] });
  });

  it('returns previousId of alias events for the resolver to type', () => {
    expect(extractIdentifiers({ type: 'alias', userId: 'u1', previousId: 'anon-1' }, config).previousId).toBe('anon-1');
    expect(extractIdentifiers({ type: 'track', userId: 'u1', previousId: 'anon-1' }, config).previousId).toBeUndefined();
    expect(extractIdentifiers({ type: 'alias', userId: 'u1', previousId: {} }, config).dropped).toEqual([
      { type: 'anonymous_id', value: '', reason: 'invalid', detail: 'not_a_string' },
    ]);
  });

  it('reports blocked values with their normalized value', () => {
    const result = extractIdentifiers({ type: 'track', userId: ' "undefined" ', anonymousId: '[object Object]' }, config);
    expect(result.identifiers).toEqual([]);
    expect(result.dropped.map((d) => [d.type, d.reason])).toEqual([
      ['user_id', 'blocked'],
      ['anonymous_id', 'blocked'],
    ]);
  });

  it('recognizes events whose only identifier source is anonymousId (the resolver fast path)', () => {
    const sole = { type: 'track', anonymousId: 'A1', userId: null, context: { page: { path: '/' }, traits: { name: 'x' }, device: {} } };
    expect(soleAnonymousId(sole)).toBe('A1');
    expect(soleAnonymousId({ type: 'identify', anonymousId: 'a1', traits: { plan: 'pro', email: null } })).toBe('a1');
    // Any other source that extraction reads disables it, as do values that are not strings.
    const others = [
      { type: 'track', anonymousId: 'a1', userId: 'u1' },
      { type: 'track', anonymousId: 'a1', userId: 0 },
      { type: 'identify', anonymousId: 'a1', traits: { email: 'a@b.co' } },
      { type: 'identify', anonymousId: 'a1', traits: { phone: '' } },
      { type: 'track', anonymousId: 'a1', context: { traits: { email: {} } } },
      { type: 'track', anonymousId: 'a1', context: { device: { id: 'd1' } } },
      { type: 'track', anonymousId: 'a1', context: { externalIds: [] } },
      { type: 'alias', anonymousId: 'a1', previousId: 'a0' },
      { type: 'track', anonymousId: 7 },
      { type: 'track', anonymousId: null },
    ];
    for (const event of others) expect(soleAnonymousId(event), JSON.stringify(event)).toBeUndefined();
    // Top-level traits of other event types are not identifier sources (same as extraction).
    expect(soleAnonymousId({ type: 'group', anonymousId: 'a1', traits: { email: 'billing@acme.example' } })).toBe('a1');
  });
});
