import { describe, expect, it } from 'vitest';
import { resolveIdentityConfig } from './config.js';
import { IdentityHydrationError } from './hydrate.js';
import { collectDeltas, type IdentityDeltas } from './deltas.js';
import { MemoryIdentityStore } from './memory-store.js';
import { Resolver, type ResolvableEvent, type ResolveResult } from './resolver.js';
import type { IdentityRecords } from './store.js';

const config = resolveIdentityConfig();


function ingest(events: readonly ResolvableEvent[]) {
  const store = new MemoryIdentityStore();
  const resolver = new Resolver({ config, store });
  return { store, results: events.map((e) => resolver.resolveEvent(e)) };
}

const events: ResolvableEvent[] = [
  { type: 'track', messageId: 'e1', timestamp: 30, anonymousId: 'a1' },
  { type: 'identify', messageId: 'e2', timestamp: 10, anonymousId: 'a2', traits: { plan: 'free', $set_once: { source: 'ad' } } },
  { type: 'identify', messageId: 'e3', timestamp: 40, userId: 'u1', anonymousId: 'a1', traits: { plan: 'pro' } },
  { type: 'alias', messageId: 'e4', timestamp: 50, userId: 'u1', previousId: 'a2' },
  { type: 'track', messageId: 'e5', timestamp: 60, anonymousId: 'a3', context: { device: { id: 'd1' } } },
  { type: 'track', messageId: 'e6', timestamp: 70, anonymousId: 'a3', context: { externalIds: [{ type: 'anonymous_id', id: 'a1' }] } },
];

function reversed(records: IdentityDeltas): IdentityRecords {
  return {
    profiles: [...records.profiles].reverse(),
    attachments: [...records.attachments].reverse(),
    merges: [...records.merges].reverse(),
    traits: [...records.traits].reverse(),
  };
}

describe('MemoryIdentityStore', () => {
  it('hydrates from persisted deltas, in any order, into the incremental state', () => {
    const { store, results } = ingest(events);
    const records = collectDeltas(results);
    expect(records.merges.length).toBeGreaterThan(1);
    for (const load of [records, reversed(records)]) {
      const rebuilt = new MemoryIdentityStore();
      rebuilt.hydrate(load);
      expect(rebuilt.snapshot()).toEqual(store.snapshot());
      for (const p of records.profiles) expect(rebuilt.canonical(p.profileId)).toBe(store.canonical(p.profileId));
    }
  });

  it('keeps resolving after hydration exactly as the original store does', () => {
    const { store, results } = ingest(events);
    const rebuilt = new MemoryIdentityStore();
    rebuilt.hydrate(collectDeltas(results));
    const next: ResolvableEvent = { type: 'identify', messageId: 'e7', timestamp: 80, userId: 'u1', context: { device: { id: 'd2' } } };
    const a = new Resolver({ config, store }).resolveEvent(next);
    const b = new Resolver({ config, store: rebuilt }).resolveEvent(next);
    expect(b).toEqual(a);
    expect(rebuilt.snapshot()).toEqual(store.snapshot());
  });

  it('ignores records it already holds (loading twice is harmless)', () => {
    const { store, results } = ingest(events);
    const rebuilt = new MemoryIdentityStore();
    rebuilt.hydrate(collectDeltas(results));
    rebuilt.hydrate(reversed(collectDeltas(results)));
    expect(rebuilt.snapshot()).toEqual(store.snapshot());
  });

  it('rejects records that contradict each other', () => {
    const profiles = [
      { profileId: 'p1', createdAt: 1, createdBy: 'm1' },
      { profileId: 'p2', createdAt: 2, createdBy: 'm2' },
      { profileId: 'p3', createdAt: 3, createdBy: 'm3' },
    ];
    const store = new MemoryIdentityStore();
    expect(() =>
      store.hydrate({
        profiles,
        merges: [
          { from: 'p3', into: 'p1', byMessageId: 'x', at: 4 },
          { from: 'p3', into: 'p2', byMessageId: 'y', at: 5 },
        ],
      }),
    ).toThrow(IdentityHydrationError);
    expect(() => new MemoryIdentityStore().hydrate({ attachments: [{ type: 'user_id', value: 'u', profileId: 'nope', messageId: 'm', at: 1 }] })).toThrow(
      /unknown profile nope/,
    );
  });

  it('with onConflict: skip, leaves contradicting records out, whatever their order, and reports them', () => {
    const profiles = [
      { profileId: 'p1', createdAt: 1, createdBy: 'm1' },
      { profileId: 'p2', createdAt: 2, createdBy: 'm2' },
      { profileId: 'p3', createdAt: 3, createdBy: 'm3' },
    ];
    const merges = [
      { from: 'p3', into: 'p1', byMessageId: 'x', at: 4 },
      { from: 'p3', into: 'p2', byMessageId: 'y', at: 5 },
      { from: 'p2', into: 'gone', byMessageId: 'z', at: 6 },
    ];
    const attachments = [
      { type: 'email', value: 'ann@example.com', profileId: 'p2', messageId: 'a', at: 7 },
      { type: 'email', value: 'ann@example.com', profileId: 'p1', messageId: 'b', at: 8 },
      { type: 'user_id', value: 'u9', profileId: 'gone', messageId: 'c', at: 9 },
    ];
    const traits = [{ profileId: 'gone', key: 'plan', value: 'pro', at: 10, messageId: 'd', once: false }];
    const results = [false, true].map((reverse) => {
      const store = new MemoryIdentityStore();
      const order = <T>(list: T[]): T[] => (reverse ? [...list].reverse() : list);
      const conflicts = store.hydrate({ profiles, merges: order(merges), attachments: order(attachments), traits }, { onConflict: 'skip' });
      return { snapshot: store.snapshot(), conflicts };
    });
    expect(results[1]!.snapshot).toEqual(results[0]!.snapshot);
    const { snapshot, conflicts } = results[0]!;
    // The earliest merge and the earliest attachment are kept.
    expect(snapshot.profiles.map((p) => [p.id, p.identifiers])).toEqual([
      ['p1', []],
      ['p2', ['email:ann@example.com']],
    ]);
    expect(conflicts).toEqual([
      { kind: 'merge', reason: 'merged_twice', from: 'p3', into: 'p2', messageId: 'y' },
      { kind: 'merge', reason: 'unknown_profile', from: 'p2', into: 'gone', messageId: 'z' },
      { kind: 'attachment', reason: 'attached_twice', type: 'email', profileId: 'p1', messageId: 'b' },
      { kind: 'attachment', reason: 'unknown_profile', type: 'user_id', profileId: 'gone', messageId: 'c' },
      { kind: 'trait', reason: 'unknown_profile', profileId: 'gone', key: 'plan', messageId: 'd' },
    ]);
  });

  it('never puts an identifier value in a conflict (they are logged)', () => {
    const store = new MemoryIdentityStore();
    store.hydrate({ profiles: [{ profileId: 'p1', createdAt: 1, createdBy: 'm' }, { profileId: 'p2', createdAt: 2, createdBy: 'm' }] });
    store.hydrate({ attachments: [{ type: 'email', value: 'ann@example.com', profileId: 'p1', messageId: 'a', at: 1 }] });
    const twice = { attachments: [{ type: 'email', value: 'ann@example.com', profileId: 'p2', messageId: 'b', at: 2 }] };
    expect(() => store.hydrate(twice)).toThrow(/email identifier is attached to two profiles/);
    expect(() => store.hydrate(twice)).not.toThrow(/ann@example/);
    expect(JSON.stringify(store.hydrate(twice, { onConflict: 'skip' }))).not.toContain('ann@example');
  });

  it('evicts whole profiles with their merged-away ids and identifiers', () => {
    const { store, results } = ingest(events);
    const survivor = results.at(-1)!.profileId!;
    const merged = [...store.mergedIds(survivor)];
    store.evict([merged[0]!]);
    expect(store.snapshot().profiles).toEqual([]);
    expect(store.owner({ type: 'anonymous_id', value: 'a1' })).toBeUndefined();
    expect(store.canonical(merged[0]!)).toBe(merged[0]);
  });

  it('forgets the oldest remembered messageIds beyond its window', () => {
    const store = new MemoryIdentityStore({ rememberMessages: 2 });
    store.remember('m1', 'p');
    store.remember('m2', 'p');
    store.remember('m3', 'p');
    expect([store.processed('m1'), store.processed('m2'), store.processed('m3')]).toEqual([undefined, 'p', 'p']);
    expect(() => new MemoryIdentityStore({ rememberMessages: -1 })).toThrow(/rememberMessages/);
  });

  it('keeps forgetting oldest first over many windows, in linear time (regression: Map FIFO eviction went quadratic)', () => {
    const window = 50_000;
    const store = new MemoryIdentityStore({ rememberMessages: window });
    const started = Date.now();
    for (let i = 0; i < 8 * window; i++) store.remember(`m${i}`, 'p');
    // The old eviction scanned every entry deleted before it: minutes here; now well under a second.
    expect(Date.now() - started).toBeLessThan(10_000);
    const last = 8 * window - 1;
    expect([store.processed(`m${last - window}`), store.processed(`m${last - window + 1}`), store.processed(`m${last}`)]).toEqual([undefined, 'p', 'p']);
    // Remembering an id again does not make it count twice.
    store.remember(`m${last}`, 'q');
    expect(store.processed(`m${last - window + 1}`)).toBe('p');
  });
});
