import { describe, expect, it } from 'vitest';
import { resolveIdentityConfig } from './config.js';
import { extractIdentifiers } from './extract.js';

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
});
