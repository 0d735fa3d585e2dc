import { describe, expect, it } from 'vitest';
import { resolveIdentityConfig } from './config.js';
import { extractAll, extractIdentifiers, extractSole, soleAnonymousId } from './extract.js';

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

describe('the shortcut for events whose only identifier is an anonymous id (soleAnonymousId, extractSole)', () => {
  it('applies when anonymousId is the only identifier source present', () => {
    const sole = [
      { type: 'track', anonymousId: 'A1' },
      { type: 'track', anonymousId: 'A1', userId: null, context: { page: { path: '/' }, traits: { name: 'x' }, device: {} } },
      { type: 'track', anonymousId: 'A1', context: { traits: { email: null, phone: undefined }, device: { id: null }, externalIds: null } },
      { type: 'page', anonymousId: 'A1', context: null },
      { type: 'screen', anonymousId: 'A1', context: ['not', 'an', 'object'] },
      { type: 'identify', anonymousId: 'A1', traits: { plan: 'pro', email: null } },
      // Top-level traits of other event types are not identifier sources (same as extraction).
      { type: 'group', anonymousId: 'A1', traits: { email: 'billing@acme.example' } },
      { type: 'alias', anonymousId: 'A1', previousId: null },
    ];
    for (const event of sole) {
      expect(soleAnonymousId(event), JSON.stringify(event)).toBe('A1');
      expect(extractIdentifiers(event, config), JSON.stringify(event)).toEqual(extractAll(event, config));
    }
  });

  it('does not apply when another source is present, even empty or invalid, or anonymousId is not a string', () => {
    const others = [
      { type: 'track', anonymousId: 'a1', userId: 'u1' },
      { type: 'track', anonymousId: 'a1', userId: '' },
      { type: 'track', anonymousId: 'a1', userId: 0 },
      { type: 'track', anonymousId: 'a1', userId: {} },
      { type: 'identify', anonymousId: 'a1', traits: { email: 'a@b.co' } },
      { type: 'identify', anonymousId: 'a1', traits: { email: '' } },
      { type: 'identify', anonymousId: 'a1', traits: { phone: 'not a phone' } },
      { type: 'track', anonymousId: 'a1', context: { traits: { email: {} } } },
      { type: 'track', anonymousId: 'a1', context: { traits: { phone: '+8613812345678' } } },
      { type: 'track', anonymousId: 'a1', context: { device: { id: 'd1' } } },
      { type: 'track', anonymousId: 'a1', context: { device: { id: '' } } },
      { type: 'track', anonymousId: 'a1', context: { externalIds: [] } },
      { type: 'track', anonymousId: 'a1', context: { externalIds: 'wx1/o1' } },
      { type: 'track', anonymousId: 'a1', context: { externalIds: [{ type: 'wechat_openid', id: 'wx1/o1' }] } },
      { type: 'alias', anonymousId: 'a1', previousId: 'a0' },
      { type: 'alias', anonymousId: 'a1', previousId: 7 },
      // Numbers are valid ids (as decimal text) but rare: the full walk handles them.
      { type: 'track', anonymousId: 7 },
      { type: 'track', anonymousId: null },
      { type: 'track' },
      { type: 'track', anonymousId: {} },
      { type: 'track', anonymousId: true },
    ];
    for (const event of others) {
      expect(soleAnonymousId(event), JSON.stringify(event)).toBeUndefined();
      expect(extractSole(event, config), JSON.stringify(event)).toBeUndefined();
    }
  });

  it('normalizes, blocks and drops the value exactly as the full walk does, under any configuration', () => {
    const uuid = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    const values = ['a1', ' a1 ', 'ａ１', uuid, uuid.toUpperCase(), ` ${uuid.toUpperCase()}\t`, 'Kiosk', '"null"', 'NULL', 'Anonymous', '', '   ', '000', '--', 'x'.repeat(300)];
    const configs = [
      config,
      resolveIdentityConfig({ blocklist: ['kiosk', { type: 'anonymous_id', value: 'a1' }] }),
      resolveIdentityConfig({ types: { anonymous_id: { normalizer: 'exact' } } }),
    ];
    for (const c of configs) {
      for (const anonymousId of values) {
        const event = { type: 'track', anonymousId };
        expect(extractSole(event, c), anonymousId).toBeDefined();
        expect(extractIdentifiers(event, c), anonymousId).toEqual(extractAll(event, c));
      }
    }
    // What those equalities cover, spelled out for a few values.
    const [defaults, blocking, exact] = configs as [typeof config, typeof config, typeof config];
    const track = (anonymousId: string) => ({ type: 'track', anonymousId });
    expect(extractSole(track(` ${uuid.toUpperCase()}\t`), defaults)).toEqual({ type: 'anonymous_id', value: uuid });
    expect(extractSole(track(uuid.toUpperCase()), exact)).toEqual({ type: 'anonymous_id', value: uuid.toUpperCase() });
    expect(extractSole(track('ａ１'), defaults)).toEqual({ type: 'anonymous_id', value: 'a1' });
    expect(extractSole(track('"null"'), defaults)).toMatchObject({ reason: 'blocked', detail: 'blocked_value' });
    expect(extractSole(track(' a1 '), blocking)).toMatchObject({ reason: 'blocked', detail: 'workspace_blocklist' });
    expect(extractSole(track('Kiosk'), blocking)).toMatchObject({ reason: 'blocked', detail: 'workspace_blocklist' });
    expect(extractSole(track('   '), defaults)).toMatchObject({ reason: 'invalid', detail: 'empty' });
    expect(extractIdentifiers(track('"null"'), defaults).identifiers).toEqual([]);
  });
});
