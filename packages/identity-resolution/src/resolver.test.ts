import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveIdentityConfig, type IdentityConfig, type IdentityOptions } from './config.js';
import { extractAll, extractIdentifiers, extractSole } from './extract.js';
import { MemoryIdentityStore } from './memory-store.js';
import { defaultProfileId } from './profile-id.js';
import { Resolver, toResolveInput, type ResolvableEvent, type ResolveInput, type ResolveResult } from './resolver.js';
import { traitValues } from './traits.js';

function setup(options: IdentityOptions = {}) {
  const store = new MemoryIdentityStore();
  const resolver = new Resolver({ config: resolveIdentityConfig(options), store });
  let n = 0;
  const send = (event: Partial<ResolvableEvent> & { timestamp?: number }) =>
    resolver.resolveEvent({ type: 'track', messageId: `m${++n}`, timestamp: 1000 + n, ...event });
  return { store, resolver, send };
}

describe('Resolver: profiles', () => {
  it('creates a profile with a deterministic id derived from the creating event', () => {
    const { send, store } = setup();
    const result = send({ messageId: 'first', anonymousId: 'a1', timestamp: 5 });
    expect(result.profileId).toBe(defaultProfileId({ messageId: 'first', identifier: { type: 'anonymous_id', value: 'a1' }, attempt: 0 }));
    expect(result.createdProfile).toEqual({ profileId: result.profileId, createdAt: 5, createdBy: 'first' });
    expect(result.attached).toEqual([{ type: 'anonymous_id', value: 'a1', profileId: result.profileId, messageId: 'first', at: 5 }]);
    expect(store.profile(result.profileId!)).toMatchObject({ identifierCount: 1, mergeCount: 0 });
  });

  it('seeds the id with the first identifier in priority order, not in source order', () => {
    const { send } = setup();
    const result = send({ messageId: 'm', anonymousId: 'a1', userId: 'u1' });
    expect(result.profileId).toBe(defaultProfileId({ messageId: 'm', identifier: { type: 'user_id', value: 'u1' }, attempt: 0 }));
    expect(result.kept).toEqual([
      { type: 'user_id', value: 'u1' },
      { type: 'anonymous_id', value: 'a1' },
    ]);
  });

  it('uses an injected id generator', () => {
    const store = new MemoryIdentityStore();
    const resolver = new Resolver({
      config: resolveIdentityConfig(),
      store,
      newProfileId: ({ messageId, identifier }) => `p:${messageId}:${identifier.value}`,
    });
    expect(resolver.resolveEvent({ type: 'track', messageId: 'x', timestamp: 1, anonymousId: 'a' }).profileId).toBe('p:x:a');
  });

  it('re-derives the id when the generated one is taken', () => {
    const store = new MemoryIdentityStore();
    const resolver = new Resolver({ config: resolveIdentityConfig(), store, newProfileId: ({ attempt }) => `p${attempt}` });
    expect(resolver.resolveEvent({ type: 'track', messageId: 'x', timestamp: 1, anonymousId: 'a' }).profileId).toBe('p0');
    expect(resolver.resolveEvent({ type: 'track', messageId: 'y', timestamp: 2, anonymousId: 'b' }).profileId).toBe('p1');
  });

  it('attaches new identifiers to the known profile', () => {
    const { send } = setup();
    const anonymous = send({ anonymousId: 'a1' });
    const identify = send({ type: 'identify', anonymousId: 'a1', userId: 'u1', traits: { email: 'Jane@Example.org' } });
    expect(identify.profileId).toBe(anonymous.profileId);
    expect(identify.createdProfile).toBeUndefined();
    expect(identify.attached.map((a) => `${a.type}:${a.value}`)).toEqual(['user_id:u1', 'email:jane@example.org']);
    expect(send({ anonymousId: 'a1' })).toMatchObject({ profileId: anonymous.profileId, attached: [], merges: [] });
  });

  it('resolves an event with no valid identifier to no profile, every time (no profile explosion)', () => {
    const { send, store } = setup();
    for (let i = 0; i < 3; i++) {
      const result = send({ userId: 'undefined', anonymousId: '' });
      expect(result.profileId).toBeNull();
      expect(result.warnings).toContain('no_valid_identifier');
      expect(result.dropped.map((d) => d.reason)).toEqual(['blocked', 'invalid']);
    }
    expect(store.snapshot().profiles).toEqual([]);
  });

  it('rejects a non-finite timestamp (a caller bug, not an event problem)', () => {
    const { resolver } = setup();
    expect(() => resolver.resolve({ messageId: 'x', timestamp: Number.NaN, type: 'track', identifiers: [] })).toThrow(/timestamp/);
  });
});

describe('Resolver: limits by priority', () => {
  it('never puts two user_ids in one profile: the later, lower-priority identifier is dropped', () => {
    const { send, store } = setup();
    const jane = send({ userId: 'jane', anonymousId: 'shared-device-anon' });
    const john = send({ userId: 'john', anonymousId: 'shared-device-anon' });
    expect(john.profileId).not.toBe(jane.profileId);
    expect(john.kept).toEqual([{ type: 'user_id', value: 'john' }]);
    expect(john.dropped).toEqual([
      { type: 'anonymous_id', value: 'shared-device-anon', reason: 'limit_conflict', detail: 'type_limit' },
    ]);
    expect(john.warnings).toEqual(['limit_conflict']);
    expect(store.owner({ type: 'anonymous_id', value: 'shared-device-anon' })).toBe(jane.profileId);
  });

  it('keeps the first of two user_ids in one event (sorted by value) and drops the other', () => {
    const { send } = setup();
    const result = send({ type: 'alias', userId: 'b-user', previousId: 'a-user' });
    // previousId is unknown, so it is an anonymous id: both kept.
    expect(result.kept.map((k) => k.type)).toEqual(['user_id', 'anonymous_id']);
    const both = send({ type: 'identify', userId: 'zed', context: { externalIds: [{ id: 'amy', type: 'user_id' }] } });
    expect(both.kept).toEqual([{ type: 'user_id', value: 'amy' }]);
    expect(both.dropped).toEqual([{ type: 'user_id', value: 'zed', reason: 'limit_conflict', detail: 'type_limit' }]);
  });

  it('applies per-type limits to the union of the profiles an event would merge', () => {
    const { send } = setup({ types: { email: { limit: 2 } } });
    const a = send({ type: 'identify', anonymousId: 'a1', traits: { email: 'one@x.io' }, context: { traits: { email: 'two@x.io' } } });
    send({ type: 'identify', anonymousId: 'a2', traits: { email: 'three@x.io' } });
    const glue = send({ anonymousId: 'a1', context: { device: { id: 'd1' }, externalIds: [{ type: 'anonymous_id', id: 'a2' }] } });
    expect(glue.profileId).toBe(a.profileId);
    expect(glue.merges).toEqual([]);
    expect(glue.dropped).toEqual([{ type: 'anonymous_id', value: 'a2', reason: 'limit_conflict', detail: 'type_limit' }]);
  });
});

describe('Resolver: merges', () => {
  it('merges every owner into the earliest-created profile and records each merge', () => {
    const { send, store } = setup();
    const late = send({ anonymousId: 'a1', timestamp: 300 });
    const early = send({ anonymousId: 'a2', timestamp: 100 }); // arrives later, happened earlier
    const middle = send({ anonymousId: 'a3', timestamp: 200 });
    const glue = send({ messageId: 'glue', anonymousId: 'a1', context: { device: { id: 'd9' }, externalIds: [{ type: 'anonymous_id', id: 'a2' }, { type: 'anonymous_id', id: 'a3' }] }, timestamp: 400 });
    expect(glue.profileId).toBe(early.profileId);
    expect(glue.merges).toEqual([
      { from: middle.profileId, into: early.profileId, byMessageId: 'glue', at: 400 },
      { from: late.profileId, into: early.profileId, byMessageId: 'glue', at: 400 },
    ]);
    expect(store.canonical(late.profileId!)).toBe(early.profileId);
    expect(store.canonical(middle.profileId!)).toBe(early.profileId);
    expect(store.profile(early.profileId!)).toMatchObject({ identifierCount: 4, mergeCount: 2 });
    expect(store.profile(late.profileId!)).toBeUndefined();
    expect([...store.mergedIds(early.profileId!)].sort()).toEqual([late.profileId, middle.profileId].sort());
  });

  it('breaks createdAt ties by the smallest id', () => {
    const store = new MemoryIdentityStore();
    const resolver = new Resolver({ config: resolveIdentityConfig(), store, newProfileId: ({ identifier }) => `p-${identifier.value}` });
    resolver.resolveEvent({ type: 'track', messageId: 'm1', timestamp: 10, anonymousId: 'z' });
    resolver.resolveEvent({ type: 'track', messageId: 'm2', timestamp: 10, anonymousId: 'b' });
    const glue = resolver.resolveEvent({ type: 'identify', messageId: 'm3', timestamp: 20, userId: 'u', anonymousId: 'z', context: { device: { id: 'b' }, externalIds: [{ type: 'anonymous_id', id: 'b' }] } });
    expect(glue.profileId).toBe('p-b');
    expect(glue.merges.map((m) => [m.from, m.into])).toEqual([['p-z', 'p-b']]);
  });

  it('keeps resolving merged-away ids to the survivor through chains (path compression)', () => {
    const { send, store } = setup();
    const ids = [1, 2, 3, 4].map((i) => send({ anonymousId: `a${i}`, timestamp: 10 - i }).profileId!);
    send({ anonymousId: 'a1', context: { externalIds: [{ type: 'anonymous_id', id: 'a2' }] } });
    send({ anonymousId: 'a2', context: { externalIds: [{ type: 'anonymous_id', id: 'a3' }] } });
    send({ anonymousId: 'a3', context: { externalIds: [{ type: 'anonymous_id', id: 'a4' }] } });
    for (const id of ids) expect(store.canonical(id)).toBe(ids[3]);
    expect(store.profile(ids[3]!)?.mergeCount).toBe(3);
  });
});

describe('Resolver: caps', () => {
  it('stops merging at the merge cap but still resolves the event', () => {
    const { send, store } = setup({ maxMergesPerProfile: 2 });
    const root = send({ anonymousId: 'root', timestamp: 1 }).profileId!;
    for (const name of ['x', 'y', 'z']) send({ anonymousId: name });
    send({ anonymousId: 'root', context: { externalIds: [{ type: 'anonymous_id', id: 'x' }] } });
    send({ anonymousId: 'root', context: { externalIds: [{ type: 'anonymous_id', id: 'y' }] } });
    const capped = send({ anonymousId: 'root', context: { externalIds: [{ type: 'anonymous_id', id: 'z' }] } });
    expect(capped.profileId).toBe(root);
    expect(capped.merges).toEqual([]);
    expect(capped.dropped).toEqual([{ type: 'anonymous_id', value: 'z', reason: 'cap', detail: 'merge_cap' }]);
    expect(capped.warnings).toEqual(['cap_reached']);
    expect(store.profile(root)?.mergeCount).toBe(2);
  });

  it('stops attaching identifiers at the identifier cap', () => {
    const { send, store } = setup({ maxIdentifiersPerProfile: 3, types: { device_id: { limit: 10 } } });
    const profile = send({ userId: 'u', context: { device: { id: 'd1' } } }).profileId!;
    send({ userId: 'u', context: { device: { id: 'd2' } } });
    const capped = send({ userId: 'u', context: { device: { id: 'd3' } } });
    expect(capped.profileId).toBe(profile);
    expect(capped.attached).toEqual([]);
    expect(capped.dropped).toEqual([{ type: 'device_id', value: 'd3', reason: 'cap', detail: 'identifier_cap' }]);
    expect(store.profile(profile)?.identifierCount).toBe(3);
  });
});

describe('Resolver: alias', () => {
  it('links previousId as an anonymous_id when it is unknown', () => {
    const { send } = setup();
    const alias = send({ type: 'alias', userId: 'u1', previousId: 'visitor-1' });
    expect(alias.kept).toEqual([
      { type: 'user_id', value: 'u1' },
      { type: 'anonymous_id', value: 'visitor-1' },
    ]);
  });

  it('links previousId as the anonymous_id it is known as', () => {
    const { send } = setup();
    const visitor = send({ anonymousId: 'visitor-1' });
    const alias = send({ type: 'alias', userId: 'u1', previousId: 'visitor-1' });
    expect(alias.profileId).toBe(visitor.profileId);
    expect(alias.attached.map((a) => a.type)).toEqual(['user_id']);
  });

  it('links previousId as a user_id when it is known as one (and the user_id limit applies)', () => {
    const { send } = setup();
    const old = send({ userId: 'old-login' });
    const alias = send({ type: 'alias', userId: 'new-login', previousId: 'old-login' });
    expect(alias.kept).toEqual([{ type: 'user_id', value: 'new-login' }]);
    expect(alias.dropped).toEqual([{ type: 'user_id', value: 'old-login', reason: 'limit_conflict', detail: 'type_limit' }]);
    expect(alias.profileId).not.toBe(old.profileId);
  });

  it('drops a blocked previousId', () => {
    const { send } = setup();
    const alias = send({ type: 'alias', userId: 'u1', previousId: 'null' });
    expect(alias.kept).toEqual([{ type: 'user_id', value: 'u1' }]);
    expect(alias.dropped).toEqual([{ type: 'anonymous_id', value: 'null', reason: 'blocked', detail: 'blocked_value' }]);
  });
});

describe('Resolver: idempotence', () => {
  it('changes nothing when an event is replayed', () => {
    const { resolver, store } = setup();
    const event: ResolvableEvent = { type: 'identify', messageId: 'dup', timestamp: 5, userId: 'u1', anonymousId: 'a1', traits: { plan: 'pro' } };
    const first = resolver.resolveEvent(event);
    const before = store.snapshot();
    const again = resolver.resolveEvent(event);
    expect(again).toMatchObject({ profileId: first.profileId, attached: [], merges: [], traits: [] });
    expect(again.createdProfile).toBeUndefined();
    expect(store.snapshot()).toEqual(before);
  });

  it('does not re-apply a remembered messageId even when the replay would now change the graph', () => {
    const store = new MemoryIdentityStore();
    const event: ResolvableEvent = { type: 'identify', messageId: 'dup', timestamp: 5, userId: 'u1', traits: { email: 'a@x.io' }, context: { traits: { email: 'b@x.io' } } };
    const strict = new Resolver({ config: resolveIdentityConfig({ types: { email: { limit: 1 } } }), store });
    expect(strict.resolveEvent(event).dropped.map((d) => d.value)).toEqual(['b@x.io']);
    const before = store.snapshot();
    // The workspace raised the email limit since: the same messageId must still not be applied again.
    const relaxed = new Resolver({ config: resolveIdentityConfig(), store });
    expect(relaxed.resolveEvent(event)).toMatchObject({ duplicate: true, attached: [] });
    expect(store.snapshot()).toEqual(before);
    expect(relaxed.resolveEvent({ ...event, messageId: 'new' }).attached.map((a) => a.value)).toEqual(['b@x.io']);
  });

  it('returns the survivor for a duplicate of an event whose profile was merged since', () => {
    const { send, resolver } = setup();
    const a = resolver.resolveEvent({ type: 'track', messageId: 'x', timestamp: 50, anonymousId: 'a1' });
    const b = send({ anonymousId: 'a2', timestamp: 10 });
    send({ anonymousId: 'a1', context: { externalIds: [{ type: 'anonymous_id', id: 'a2' }] } });
    const again = resolver.resolveEvent({ type: 'track', messageId: 'x', timestamp: 50, anonymousId: 'a1' });
    expect(a.profileId).not.toBe(b.profileId);
    expect(again.profileId).toBe(b.profileId);
  });
});

describe('Resolver: traits', () => {
  it('folds identify traits into the profile and returns the new versions', () => {
    const { send, store } = setup({ setOnceTraits: ['first_seen'] });
    const first = send({ messageId: 'i1', type: 'identify', userId: 'u1', timestamp: 10, traits: { plan: 'free', first_seen: '2024', $set_once: { source: 'ad' } } });
    expect(first.traits.map((t) => [t.key, t.value, t.once])).toEqual([
      ['first_seen', '2024', true],
      ['plan', 'free', false],
      ['source', 'ad', true],
    ]);
    const later = send({ messageId: 'i2', type: 'identify', userId: 'u1', timestamp: 20, traits: { plan: 'pro', first_seen: '2025' } });
    expect(later.traits.map((t) => [t.key, t.value])).toEqual([['plan', 'pro']]);
    // Returned rows are copies: versions are updated in place inside the store.
    expect(first.traits.find((t) => t.key === 'plan')).toMatchObject({ value: 'free', at: 10, messageId: 'i1' });
    const stale = send({ messageId: 'i0', type: 'identify', userId: 'u1', timestamp: 5, traits: { plan: 'trial' } });
    expect(stale.traits).toEqual([]);
    expect(traitValues(store.traits(first.profileId!))).toEqual({ first_seen: '2024', plan: 'pro', source: 'ad' });
  });

  it('ignores traits of other event types by default', () => {
    const { send } = setup();
    expect(send({ type: 'track', userId: 'u1', traits: { plan: 'pro' } }).traits).toEqual([]);
    expect(send({ type: 'group', userId: 'u1', traits: { plan: 'pro' } }).traits.map((t) => t.key)).toEqual(['plan']);
  });

  it('merges traits with the same rule when profiles merge', () => {
    const { send, store } = setup();
    send({ type: 'identify', anonymousId: 'a1', timestamp: 30, traits: { plan: 'pro', $set_once: { source: 'late' } } });
    const early = send({ type: 'identify', anonymousId: 'a2', timestamp: 10, traits: { plan: 'free', $set_once: { source: 'early' } } });
    const glue = send({ anonymousId: 'a1', timestamp: 40, context: { externalIds: [{ type: 'anonymous_id', id: 'a2' }] } });
    expect(glue.profileId).toBe(early.profileId);
    expect(glue.traits.map((t) => [t.key, t.value])).toEqual([['plan', 'pro']]);
    expect(store.snapshot().profiles[0]?.traits).toMatchObject({ plan: { value: 'pro' }, source: { value: 'early' } });
  });
});

describe("Resolver: owners found in the first owner's own identifier list", () => {
  it('does not take an identifier of another type with the same value for one of the profile\'s', () => {
    const { send } = setup();
    const user = send({ type: 'identify', userId: 'u1', anonymousId: 'x1' });
    const device = send({ context: { device: { id: 'x1' } }, userId: 'u1' });
    expect(device.profileId).toBe(user.profileId);
    expect(device.attached).toEqual([expect.objectContaining({ type: 'device_id', value: 'x1' })]);
    // Owned by another profile: merged, not mistaken for the user's anonymous id.
    const other = send({ context: { device: { id: 'x2' } } });
    send({ type: 'identify', userId: 'u1', anonymousId: 'x2' });
    const merging = send({ userId: 'u1', context: { device: { id: 'x2' } } });
    expect(merging.merges).toEqual([expect.objectContaining({ from: other.profileId, into: user.profileId })]);
  });

  it('resolves identifiers of profiles larger than the scanned list through the index', () => {
    const { send, store } = setup({ types: { device_id: { limit: 40 } } });
    const user = send({ type: 'identify', userId: 'u1' });
    for (let i = 0; i < 24; i++) send({ userId: 'u1', context: { device: { id: `d${i}` } } });
    expect(store.identifiersOf(user.profileId!)).toHaveLength(25);
    const again = send({ userId: 'u1', context: { device: { id: 'd23' } } });
    expect(again).toMatchObject({ profileId: user.profileId, attached: [], merges: [], dropped: [] });
    const other = send({ context: { device: { id: 'd99' } } });
    const merging = send({ userId: 'u1', context: { device: { id: 'd99' } } });
    expect(merging.merges).toEqual([expect.objectContaining({ from: other.profileId, into: user.profileId })]);
  });
});

describe('Resolver: regressions from the known failure modes (identity-rules.md)', () => {
  it('junk ids (undefined, [object Object], null) do not merge everyone', () => {
    const { send, store } = setup();
    const junk = ['undefined', '[object Object]', '"null"', 'NULL', '0', ''];
    const ids = junk.map((anonymousId, i) => send({ type: 'identify', userId: `user-${i}`, anonymousId }).profileId);
    expect(new Set(ids).size).toBe(junk.length);
    expect(store.snapshot().profiles.every((p) => p.identifiers.length === 1)).toBe(true);
  });

  it('an empty or blocked id never creates a profile per request', () => {
    const { send, store } = setup();
    for (let i = 0; i < 5; i++) send({ anonymousId: '', userId: 'null' });
    expect(store.snapshot().profiles).toHaveLength(0);
  });

  it('email case and whitespace duplicates land in one profile', () => {
    const { send } = setup();
    const a = send({ type: 'identify', traits: { email: 'Jane@Example.org' } });
    const b = send({ type: 'identify', traits: { email: '  jane@example.ORG ' } });
    expect(b.profileId).toBe(a.profileId);
    expect(b.attached).toEqual([]);
  });
});

describe('Resolver: the shortcut for events whose only identifier is an anonymous id', () => {
  const uuid = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
  // Ids and spellings that normalize to them (or do not, under the `exact` normalizer); junk, blocked
  // values and values of the wrong type.
  const anonymousIds = ['a1', 'a2', ' a1 ', 'ａ１', 'A1', uuid, uuid.toUpperCase(), ` ${uuid.toUpperCase()}\t`];
  const junk: unknown[] = ['kiosk', '"null"', 'Anonymous', '', '000', 7, {}, null, undefined];
  // The store outlives configuration changes (as in the API): ids attached under one configuration
  // may be blocked, normalized differently or over a limit under the next.
  const configs = [
    resolveIdentityConfig(),
    resolveIdentityConfig({ blocklist: ['kiosk', { type: 'anonymous_id', value: 'a1' }] }),
    resolveIdentityConfig({ types: { anonymous_id: { normalizer: 'exact', limit: 1 } } }),
    resolveIdentityConfig({ traitEventTypes: ['track', 'page'], maxMergesPerProfile: 1, maxIdentifiersPerProfile: 3 }),
  ];
  const common = {
    anonymousId: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...anonymousIds) }, { weight: 1, arbitrary: fc.constantFrom(...junk) }),
    messageId: fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8'),
    timestamp: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 9 }) }, { weight: 1, arbitrary: fc.constant(Number.NaN) }),
    config: fc.nat({ max: configs.length - 1 }),
  };
  // Events the shortcut may take: other sources absent (null, missing) or not identifier sources.
  const plainArb = fc.record({
    ...common,
    type: fc.constantFrom('track', 'page', 'identify', 'group', 'alias'),
    userId: fc.constantFrom(undefined, null),
    previousId: fc.constantFrom(undefined, null),
    traits: fc.constantFrom(undefined, null, { plan: 'pro' }, { email: null }),
    context: fc.constantFrom(undefined, null, { page: { path: '/' } }, { device: {} }, { device: { id: null } }, { traits: { email: null, name: 'x' } }),
  });
  // Any event: these build the graph (merges, limits, caps) the shortcut's events then resolve in.
  const anyArb = fc.record({
    ...common,
    type: fc.constantFrom('track', 'page', 'identify', 'group', 'alias'),
    userId: fc.constantFrom(undefined, null, 'u1', 'u2', ''),
    previousId: fc.constantFrom(undefined, 'a2', 'u1'),
    traits: fc.constantFrom(undefined, { plan: 'free' }, { email: 'a@b.co' }, { phone: '+8613812345678' }),
    context: fc.constantFrom(
      undefined,
      { device: { id: 'd1' } },
      { traits: { email: 'A@b.co' } },
      { externalIds: [] },
      { externalIds: [{ type: 'wechat_openid', id: 'wx1/o1' }] },
    ),
  });
  const eventArb = fc.oneof(plainArb, anyArb);

  /** The generic path: every identifier source read (`extractAll`, no shortcut), then `resolve`. */
  const genericInput = (event: ResolvableEvent, config: IdentityConfig): ResolveInput => ({
    ...toResolveInput(event, config),
    ...extractAll(event, config),
  });

  function outcome(run: () => ResolveResult): ResolveResult | string {
    try {
      return run();
    } catch (error) {
      return String(error);
    }
  }

  it('gives the generic result (profile, kept, drops, warnings, deltas, store) in any graph state', () => {
    // How the shortcut's events resolved: else the property could hold without exercising it.
    const tally = { known: 0, unknown: 0, dropped: 0, merges: 0 };
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 40, size: 'medium' }), (specs) => {
        const viaShortcut = new MemoryIdentityStore();
        const viaGeneric = new MemoryIdentityStore();
        for (const { config: c, ...fields } of specs) {
          const config = configs[c]!;
          const event = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as unknown as ResolvableEvent;
          const sole = extractSole(event, config);
          if (sole !== undefined) {
            if ('reason' in sole) tally.dropped++;
            else if (viaShortcut.owner(sole) === undefined) tally.unknown++;
            else tally.known++;
          }
          expect(extractIdentifiers(event, config)).toEqual(extractAll(event, config));
          const fast = outcome(() => new Resolver({ config, store: viaShortcut }).resolveEvent(event));
          const generic = outcome(() => new Resolver({ config, store: viaGeneric }).resolve(genericInput(event, config)));
          expect(fast).toEqual(generic);
          if (typeof generic !== 'string' && generic.merges.length > 0) tally.merges++;
        }
        expect(viaShortcut.snapshot()).toEqual(viaGeneric.snapshot());
      }),
      { numRuns: 400 },
    );
    expect(tally.known).toBeGreaterThan(500);
    expect(tally.unknown).toBeGreaterThan(300);
    expect(tally.dropped).toBeGreaterThan(300);
    expect(tally.merges).toBeGreaterThan(50);
  });
});
