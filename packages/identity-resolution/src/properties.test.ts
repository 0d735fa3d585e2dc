/**
 * Property-based tests of identity-rules.md, "Properties to test" (P1–P8, P10; P9 concurrency is the
 * caller's: the store is synchronous and writes are serialized per workspace). Value pools are small
 * so that events collide, merge and hit limits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCKED_VALUES } from './blocklist.js';
import { resolveIdentityConfig, type IdentityConfig } from './config.js';
import { collectDeltas } from './deltas.js';
import { MemoryIdentityStore } from './memory-store.js';
import { normalizeIdentifier } from './normalize.js';
import { recompute } from './recompute.js';
import { Resolver, type ResolvableEvent, type ResolveResult } from './resolver.js';
import type { IdentitySnapshot } from './store.js';

const RUNS = { numRuns: 800 };

// ---- value pools: canonical values and spellings that normalize to them -------------------------

const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

const POOLS = {
  user_id: ['u1', 'u2', 'u3'],
  anonymous_id: ['a1', 'a2', 'a3', 'a4', '3f2504e0-4f89-41d3-9a0c-0305e82c3301', '6ba7b810-9dad-41d1-80b4-00c04fd430c8'],
  email: ['e1@x.io', 'e2@x.io', 'e3@shop.example'],
  phone: ['+8613812345678', '+442079460958'],
  device_id: ['d1', 'd2'],
} as const;
type PoolType = keyof typeof POOLS;
const TYPES = Object.keys(POOLS) as PoolType[];

/** Spellings of one canonical value that must normalize to it (P8). */
function variants(type: PoolType, value: string): string[] {
  switch (type) {
    case 'email':
      return [value, ` ${value.toUpperCase()} `, fullWidth(value)];
    case 'phone':
      return value.startsWith('+86')
        ? [value, value.slice(3).replace(/(\d{3})(\d{4})(\d{4})/, '$1 $2 $3'), `0086 ${value.slice(3)}`, '+86 (138) 1234-5678']
        : [value, `00${value.slice(1)}`, '+44 20 7946.0958'];
    case 'anonymous_id':
      return value.length === 36 ? [value, value.toUpperCase(), ` ${value.toUpperCase()}`] : [value, ` ${value}\t`];
    default:
      return [value, ` ${value} `, fullWidth(value)];
  }
}

const JUNK: unknown[] = [...BLOCKED_VALUES, '"null"', "'undefined'", '  ', '---', '000', {}, true, ['u1'], 'noreply@x.io', 'test@test.com'];

interface Spec {
  readonly kind: 'track' | 'identify' | 'alias';
  readonly ids: readonly { readonly type: PoolType; readonly value: string; readonly spelling: number }[];
  readonly junk: readonly { readonly type: PoolType; readonly raw: unknown }[];
  readonly at: number;
  readonly plan: number;
}

// Anonymous and device ids dominate real traffic and are what later events link together.
const typeArb = fc.constantFrom<PoolType>('anonymous_id', 'anonymous_id', 'anonymous_id', 'device_id', 'email', 'email', 'user_id', 'phone');
const idArb = typeArb.chain((type) =>
  fc.record({ type: fc.constant(type), value: fc.constantFrom(...POOLS[type]), spelling: fc.nat({ max: 3 }) }),
);
const junkArb = fc.record({ type: fc.constantFrom(...TYPES), raw: fc.constantFrom(...JUNK) });
const specArb: fc.Arbitrary<Spec> = fc.record({
  kind: fc.constantFrom('track', 'track', 'identify', 'identify', 'alias'),
  ids: fc.array(idArb, { minLength: 0, maxLength: 3 }),
  junk: fc.array(junkArb, { maxLength: 1 }),
  at: fc.integer({ min: 0, max: 20 }),
  plan: fc.nat({ max: 3 }),
});

/** Build a Segment-shaped event; `spell` picks the spelling of each value. */
function toEvent(spec: Spec, index: number, spell: (type: PoolType, value: string, n: number) => string): ResolvableEvent {
  const fields: Record<string, unknown> = {};
  const context: Record<string, unknown> = {};
  const contextTraits: Record<string, unknown> = {};
  const externalIds: { id: unknown; type: string }[] = [];
  const place = (type: PoolType, raw: unknown) => {
    const slot = { user_id: 'userId', anonymous_id: 'anonymousId' }[type as string];
    if (slot !== undefined && !(slot in fields)) fields[slot] = raw;
    else if ((type === 'email' || type === 'phone') && !(type in contextTraits)) contextTraits[type] = raw;
    else if (type === 'device_id' && !('device' in context)) context['device'] = { id: raw };
    else externalIds.push({ id: raw, type });
  };
  for (const id of spec.ids) place(id.type, spell(id.type, id.value, id.spelling));
  for (const j of spec.junk) place(j.type, j.raw);
  if (spec.kind === 'alias' && typeof fields['anonymousId'] === 'string') {
    fields['previousId'] = fields['anonymousId'];
    delete fields['anonymousId'];
  }
  if (Object.keys(contextTraits).length > 0) context['traits'] = contextTraits;
  if (externalIds.length > 0) context['externalIds'] = externalIds;
  return {
    type: spec.kind,
    messageId: `m${index}`,
    timestamp: spec.at,
    ...fields,
    ...(spec.kind === 'identify' ? { traits: { plan: `p${spec.plan}`, $set_once: { first: index } } } : {}),
    context,
  };
}

const canonicalSpelling = (_type: PoolType, value: string) => value;
const anySpelling = (type: PoolType, value: string, n: number) => {
  const list = variants(type, value);
  return list[n % list.length]!;
};

const configArb = fc.record({
  maxMergesPerProfile: fc.constantFrom(1, 2, 100),
  maxIdentifiersPerProfile: fc.constantFrom(3, 6, 1000),
  emailLimit: fc.constantFrom(1, 2, 5),
});
const toConfig = (c: { maxMergesPerProfile: number; maxIdentifiersPerProfile: number; emailLimit: number }) =>
  resolveIdentityConfig({
    maxMergesPerProfile: c.maxMergesPerProfile,
    maxIdentifiersPerProfile: c.maxIdentifiersPerProfile,
    types: { email: { limit: c.emailLimit } },
  });

function ingest(config: IdentityConfig, events: readonly ResolvableEvent[]) {
  const store = new MemoryIdentityStore();
  const resolver = new Resolver({ config, store });
  return { store, resolver, results: events.map((e) => resolver.resolveEvent(e)) };
}

function partition(snapshot: IdentitySnapshot): string[][] {
  return snapshot.profiles.map((p) => [...p.identifiers]).sort((a, b) => (a.join() < b.join() ? -1 : 1));
}

/** Connected components (as sorted identifier lists) of identifiers that appear together in an event. */
function components(groups: readonly (readonly string[])[]): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const root = find(p);
    parent.set(x, root);
    return root;
  };
  for (const g of groups) for (const id of g) if (!parent.has(id)) parent.set(id, id);
  for (const g of groups) for (let i = 1; i < g.length; i++) parent.set(find(g[i]!), find(g[0]!));
  const byRoot = new Map<string, string[]>();
  for (const id of parent.keys()) {
    const root = find(id);
    byRoot.set(root, [...(byRoot.get(root) ?? []), id]);
  }
  return [...byRoot.values()].map((c) => c.sort()).sort((a, b) => (a.join() < b.join() ? -1 : 1));
}

/** Valid identifiers an event carried (kept, or dropped only for limits/caps): the raw graph's nodes. */
function carried(result: ResolveResult): string[] {
  const valid = result.dropped.filter((d) => d.reason === 'limit_conflict' || d.reason === 'cap');
  return [...result.kept, ...valid].map((i) => `${i.type}:${i.value}`);
}


const eventsArb = fc.array(specArb, { minLength: 1, maxLength: 40, size: 'medium' }).map((specs) => specs.map((s, i) => toEvent(s, i, anySpelling)));

describe('identity properties', () => {
  it('generators exercise merges, limit conflicts, caps, junk and empty events (else the properties prove little)', () => {
    const tally = { merges: 0, limit_conflict: 0, cap: 0, blocked: 0, invalid: 0, noProfile: 0, alias: 0 };
    for (const [c, events] of fc.sample(fc.tuple(configArb, eventsArb), { numRuns: 200, seed: 7 })) {
      for (const r of ingest(toConfig(c), events).results) {
        tally.merges += r.merges.length;
        for (const d of r.dropped) tally[d.reason]++;
        if (r.profileId === null) tally.noProfile++;
      }
      tally.alias += events.filter((e) => e.type === 'alias').length;
    }
    for (const [what, count] of Object.entries(tally)) expect(count, what).toBeGreaterThan(50);
  });

  it('P1 one owner per identifier, P2 limits and caps hold, P3 no blocked or invalid values', () => {
    fc.assert(
      fc.property(configArb, eventsArb, (c, events) => {
        const config = toConfig(c);
        const { store } = ingest(config, events);
        const seen = new Set<string>();
        for (const profile of store.snapshot().profiles) {
          const counts: Record<string, number> = {};
          for (const key of profile.identifiers) {
            expect(seen.has(key)).toBe(false); // P1
            seen.add(key);
            const [type, value] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
            expect(store.owner({ type, value })).toBe(profile.id); // P1, and the index agrees
            counts[type] = (counts[type] ?? 0) + 1;
            // P3: a stored value is valid, unblocked, and already in normal form.
            expect(normalizeIdentifier(type, value, config)).toEqual({ ok: true, identifier: { type, value } });
            expect(BLOCKED_VALUES).not.toContain(value.toLowerCase().replace(/^(["'])(.*)\1$/, '$2').trim());
            expect(value).not.toMatch(/^[0-]*$/);
          }
          for (const [type, count] of Object.entries(counts)) expect(count).toBeLessThanOrEqual(config.types.get(type)!.limit); // P2
          expect(profile.typeCounts).toEqual(counts);
          expect(profile.identifierCount).toBe(profile.identifiers.length);
          expect(profile.identifierCount).toBeLessThanOrEqual(config.maxIdentifiersPerProfile);
          expect(profile.mergeCount).toBe(profile.mergedIds.length);
          expect(profile.mergeCount).toBeLessThanOrEqual(config.maxMergesPerProfile);
        }
      }),
      RUNS,
    );
  });

  it('P4 when every component respects the limits, the partition is the components, in every order', () => {
    // People with their own identifiers; an event carries identifiers of one person only.
    const personArb = fc.record({
      user: fc.boolean(),
      anonymous: fc.integer({ min: 1, max: 3 }),
      emails: fc.integer({ min: 0, max: 2 }),
      devices: fc.integer({ min: 0, max: 1 }),
    });
    const worldArb = fc.array(personArb, { minLength: 1, maxLength: 5 }).chain((people) => {
      const ids = people.map((p, i) => [
        ...(p.user ? [['user_id', `user-${i}`]] : []),
        ...Array.from({ length: p.anonymous }, (_, k) => ['anonymous_id', `anon-${i}-${k}`]),
        ...Array.from({ length: p.emails }, (_, k) => ['email', `p${i}.${k}@x.io`]),
        ...Array.from({ length: p.devices }, (_, k) => ['device_id', `dev-${i}-${k}`]),
      ]);
      const eventArb = fc
        .nat({ max: people.length - 1 })
        .chain((i) => fc.subarray(ids[i]!, { minLength: 1 }).map((subset) => subset));
      return fc.array(eventArb, { minLength: 1, maxLength: 25 });
    });
    fc.assert(
      fc.property(worldArb, fc.infiniteStream(fc.nat()), (groups, rand) => {
        const events = groups.map(
          (g, i): ResolvableEvent => ({
            type: 'track',
            messageId: `m${i}`,
            timestamp: i,
            context: { externalIds: g.map(([type, id]) => ({ type: type!, id })) },
          }),
        );
        const expected = components(groups.map((g) => g.map(([t, v]) => `${t}:${v}`)));
        const config = resolveIdentityConfig();
        const shuffled = events.map((e) => ({ e, k: rand.next().value })).sort((a, b) => a.k - b.k).map((x) => x.e);
        for (const order of [events, [...events].reverse(), shuffled]) {
          expect(partition(ingest(config, order).store.snapshot())).toEqual(expected);
        }
      }),
      RUNS,
    );
  });

  it('P5 replaying the same events (same messageIds, any order) changes nothing', () => {
    fc.assert(
      fc.property(configArb, eventsArb, fc.infiniteStream(fc.nat()), (c, events, rand) => {
        const { store, resolver } = ingest(toConfig(c), events);
        const before = store.snapshot();
        const replay = events.map((e) => ({ e, k: rand.next().value })).sort((a, b) => a.k - b.k);
        for (const { e } of replay) {
          const result = resolver.resolveEvent(e);
          expect(result.createdProfile).toBeUndefined();
          expect([result.attached, result.merges, result.traits]).toEqual([[], [], []]);
        }
        expect(store.snapshot()).toEqual(before);
      }),
      RUNS,
    );
  });

  it('P6 the partition only coarsens: earlier resolutions change only by merging', () => {
    fc.assert(
      fc.property(configArb, eventsArb, (c, events) => {
        const store = new MemoryIdentityStore();
        const resolver = new Resolver({ config: toConfig(c), store });
        const earlier: ResolveResult[] = [];
        for (const event of events) {
          const previousOwners = new Map(earlier.flatMap((r) => r.kept.map((k) => [`${k.type}:${k.value}`, store.owner(k)!] as const)));
          const result = resolver.resolveEvent(event);
          const mergedAway = new Set(result.merges.map((m) => m.from));
          for (const [key, owner] of previousOwners) {
            const [type, value] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
            const now = store.owner({ type, value });
            // Same owner, or the owner was merged by this very event into the survivor.
            expect(now === owner || (mergedAway.has(owner) && now === result.profileId)).toBe(true);
          }
          for (const r of earlier) {
            if (r.profileId === null) continue;
            const survivor = store.canonical(r.profileId);
            expect(store.profile(survivor)).toBeDefined();
            for (const k of r.kept) expect(store.owner(k)).toBe(survivor);
          }
          earlier.push(result);
        }
      }),
      RUNS,
    );
  });

  it('P7 every profile lies inside one connected component of the raw co-occurrence graph', () => {
    fc.assert(
      fc.property(configArb, eventsArb, (c, events) => {
        const { store, results } = ingest(toConfig(c), events);
        const comps = components(results.map(carried));
        const componentOf = new Map(comps.flatMap((comp, i) => comp.map((id) => [id, i] as const)));
        for (const profile of store.snapshot().profiles) {
          expect(new Set(profile.identifiers.map((id) => componentOf.get(id))).size).toBe(1);
        }
      }),
      RUNS,
    );
  });

  it('P8 normalization variants of the same identifiers give the same state', () => {
    fc.assert(
      fc.property(configArb, fc.array(specArb, { minLength: 1, maxLength: 30 }), (c, specs) => {
        const config = toConfig(c);
        const canonical = ingest(config, specs.map((s, i) => toEvent(s, i, canonicalSpelling))).store.snapshot();
        const varied = ingest(config, specs.map((s, i) => toEvent(s, i, anySpelling))).store.snapshot();
        expect(varied).toEqual(canonical);
      }),
      RUNS,
    );
  });

  it('P10 hydrating the persisted deltas, or recomputing from the stored events, equals incremental state', () => {
    fc.assert(
      fc.property(configArb, eventsArb, fc.infiniteStream(fc.nat()), (c, events, rand) => {
        const config = toConfig(c);
        // Deliveries include duplicates (retries); storage keeps the first of each messageId.
        const deliveries = [...events, ...events.filter(() => rand.next().value % 4 === 0)];
        const { store, results } = ingest(config, deliveries);
        const expected = store.snapshot();

        const records = collectDeltas(results);
        const shuffle = <T>(list: readonly T[]) => list.map((x) => ({ x, k: rand.next().value })).sort((a, b) => a.k - b.k).map((y) => y.x);
        const hydrated = new MemoryIdentityStore();
        hydrated.hydrate({
          profiles: shuffle(records.profiles),
          attachments: shuffle(records.attachments),
          merges: shuffle(records.merges),
          traits: shuffle(records.traits),
        });
        expect(hydrated.snapshot()).toEqual(expected);

        expect(recompute({ config, events }).store.snapshot()).toEqual(expected);
      }),
      RUNS,
    );
  });
});
