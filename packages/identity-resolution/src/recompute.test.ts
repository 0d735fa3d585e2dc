import { describe, expect, it } from 'vitest';
import { resolveIdentityConfig } from './config.js';
import { MemoryIdentityStore } from './memory-store.js';
import { affectedProfiles, ownedOutside, recompute } from './recompute.js';
import { Resolver, type ResolvableEvent } from './resolver.js';

const config = resolveIdentityConfig();

// A shop kiosk: two visitors share its device id, which glues them into one profile; Jane then logs in
// on her visitor id. Carol is elsewhere; one of Jane's events carries Carol's phone's device id.
const events: ResolvableEvent[] = [
  { type: 'track', messageId: 'k1', timestamp: 1, anonymousId: 'visitor-1', context: { device: { id: 'KIOSK-1' } } },
  { type: 'track', messageId: 'k2', timestamp: 2, anonymousId: 'visitor-2', context: { device: { id: 'KIOSK-1' } } },
  { type: 'identify', messageId: 'c1', timestamp: 3, userId: 'carol', context: { device: { id: 'carol-phone' } } },
  { type: 'identify', messageId: 'k3', timestamp: 4, userId: 'jane', anonymousId: 'visitor-1', traits: { plan: 'pro' } },
  { type: 'track', messageId: 'k4', timestamp: 5, userId: 'jane', context: { device: { id: 'carol-phone' } } },
  { type: 'identify', messageId: 'k5', timestamp: 6, anonymousId: 'visitor-2', traits: { plan: 'free' } },
];

function identifiersByProfile(store: MemoryIdentityStore): string[][] {
  return store
    .snapshot()
    .profiles.map((p) => [...p.identifiers])
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

describe('unmerge by recompute', () => {
  it('splits a profile glued by a shared device once the device is blocked', () => {
    const store = new MemoryIdentityStore();
    const resolver = new Resolver({ config, store });
    const stored = events.map((e) => ({ event: e, profileId: resolver.resolveEvent(e).profileId }));
    expect(identifiersByProfile(store)).toEqual([
      ['anonymous_id:visitor-1', 'anonymous_id:visitor-2', 'device_id:KIOSK-1', 'user_id:jane'],
      ['device_id:carol-phone', 'user_id:carol'],
    ]);

    const affected = affectedProfiles({ store, config, identifiers: [{ type: 'device_id', value: ' KIOSK-1 ' }] });
    expect(affected.profileIds).toHaveLength(1);
    const replay = stored.filter((s) => s.profileId !== null && affected.allIds.includes(s.profileId)).map((s) => s.event);
    expect(replay.map((e) => e.messageId)).toEqual(['k1', 'k2', 'k3', 'k4', 'k5']);

    const blocked = resolveIdentityConfig({ blocklist: [{ type: 'device_id', value: 'KIOSK-1' }] });
    const result = recompute({ config: blocked, events: replay, isForeign: ownedOutside(store, affected) });
    const profileOf = (messageId: string) => result.assignments.find((a) => a.messageId === messageId)?.canonicalId;
    expect(profileOf('k3')).toBe(profileOf('k1'));
    expect(profileOf('k5')).toBe(profileOf('k2'));
    expect(profileOf('k5')).not.toBe(profileOf('k1'));
    // Carol's device stays hers: it was owned outside the recomputed profiles.
    expect(result.store.owner({ type: 'device_id', value: 'carol-phone' })).toBeUndefined();

    store.evict(affected.allIds);
    store.hydrate(result.records);
    expect(identifiersByProfile(store)).toEqual([
      ['anonymous_id:visitor-1', 'user_id:jane'],
      ['anonymous_id:visitor-2'],
      ['device_id:carol-phone', 'user_id:carol'],
    ]);
    const visitor2 = store.owner({ type: 'anonymous_id', value: 'visitor-2' })!;
    expect(store.traits(visitor2).get('plan')?.value).toBe('free');
    expect(store.owner({ type: 'device_id', value: 'KIOSK-1' })).toBeUndefined();
  });

  it('gives the same profile ids as the first computation where nothing changed (deterministic ids)', () => {
    const first = recompute({ config, events });
    const second = recompute({ config, events });
    expect(second.store.snapshot()).toEqual(first.store.snapshot());
    expect(second.records).toEqual(first.records);
  });

  it('finds nothing for identifiers nobody owns or that are not valid', () => {
    const store = new MemoryIdentityStore();
    expect(affectedProfiles({ store, config, identifiers: [{ type: 'email', value: 'nobody@x.io' }, { type: 'email', value: 'bad' }] })).toEqual({
      profileIds: [],
      allIds: [],
      identifiers: [],
    });
  });
});
