/**
 * Resolutions per second, in-process, with a realistic mix, against a bare Map-lookup baseline
 * measured in the same run (the machine is shared: compare ratios, not absolute figures).
 *
 *   pnpm bench:identity   (root; env BENCH_EVENTS, BENCH_ROUNDS, BENCH_USERS override the sizes)
 *
 * Mix per round: 80% track events from a known anonymous id, 15% identify events of known users
 * (user_id + email + anonymous id + traits), 5% identify events that merge an anonymous-only profile
 * into a known user. Each round starts from a fresh, pre-warmed store.
 */
import {
  MemoryIdentityStore,
  resolveIdentityConfig,
  Resolver,
  type ResolvableEvent,
  toResolveInput,
  type ResolveInput,
} from '../src/index.js';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 500_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const USERS = Number(process.env['BENCH_USERS'] ?? 100_000);

// Deterministic PRNG (mulberry32) so every run measures the same workload.
let seed = 42;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (n: number) => Math.floor(random() * n);
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[pick(16)]).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

interface User {
  userId: string;
  email: string;
  anonymousId: string;
}

const users: User[] = Array.from({ length: USERS }, (_, i) => ({
  userId: `user-${i}`,
  email: `someone.${i}@example.org`,
  // iOS SDKs send upper-case UUIDs: a tenth of them, to exercise the lowercase path.
  anonymousId: i % 10 === 0 ? uuid().toUpperCase() : uuid(),
}));

const base = Date.parse('2025-01-01T00:00:00Z');
let clock = 0;
const event = (e: Omit<ResolvableEvent, 'messageId' | 'timestamp'>): ResolvableEvent => ({
  ...e,
  messageId: `m-${clock}`,
  timestamp: base + clock++ * 10,
});
const identify = (user: User, anonymousId = user.anonymousId): ResolvableEvent =>
  event({
    type: 'identify',
    userId: user.userId,
    anonymousId,
    traits: { email: user.email, plan: pick(2) ? 'pro' : 'free', seen: clock },
    context: { library: { name: 'analytics.js', version: '5.0.0' } },
  });

const warmup = users.map((u) => identify(u));
type Kind = 'track' | 'identify' | 'merge';
const events: ResolvableEvent[] = [];
const kinds: Kind[] = [];
const anonymousOnly: ResolvableEvent[] = [];
for (let i = 0; i < EVENTS; i++) {
  const user = users[pick(USERS)]!;
  const r = random();
  if (r < 0.8) {
    events.push(event({ type: 'track', anonymousId: user.anonymousId, context: { page: { path: '/' } } }));
    kinds.push('track');
  } else if (r < 0.95) {
    events.push(identify(user));
    kinds.push('identify');
  } else {
    // A visitor browsed anonymously on a new device (own profile), then logs in: merge.
    const fresh = uuid();
    anonymousOnly.push(event({ type: 'page', anonymousId: fresh }));
    events.push(identify(user, fresh));
    kinds.push('merge');
  }
}

const config = resolveIdentityConfig();

// The API resolves the events of a request right after parsing its body: events arrive as freshly
// parsed objects (in cache, strings without cached hashes). Model that: parse each batch outside the
// timer, then time the loop over it. Pre-built objects iterated cold would measure memory latency.
const BATCH = 500;
function toBatches(list: readonly ResolvableEvent[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i += BATCH) out.push(JSON.stringify(list.slice(i, i + BATCH)));
  return out;
}
const mix = toBatches(events);
const only = (kind: Kind) => toBatches(events.filter((_, i) => kinds[i] === kind));
const subsets = { track: only('track'), identify: only('identify'), merge: only('merge') };
const count = (batches: readonly string[]) => batches.reduce((n, b) => n + (JSON.parse(b) as unknown[]).length, 0);

function freshResolver(): Resolver {
  const resolver = new Resolver({ config, store: new MemoryIdentityStore() });
  for (const e of warmup) resolver.resolveEvent(e);
  for (const e of anonymousOnly) resolver.resolveEvent(e);
  return resolver;
}

// Collect before each timed section so one path does not pay for another's garbage.
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Seconds spent in `run` over every batch, parsing (and `prepare`) untimed. */
function timeBatches<T>(
  batches: readonly string[],
  prepare: (batch: ResolvableEvent[]) => T[],
  run: (items: T[]) => number,
): number {
  collect();
  let nanos = 0n;
  let check = 0;
  for (const json of batches) {
    const items = prepare(JSON.parse(json) as ResolvableEvent[]);
    const start = process.hrtime.bigint();
    check += run(items);
    nanos += process.hrtime.bigint() - start;
  }
  if (check < 0) throw new Error('unreachable: keeps the loops from being optimized away');
  return Number(nanos) / 1e9;
}

const asIs = (batch: ResolvableEvent[]) => batch;

/** Baseline: what any resolver must at least do, one Map lookup of the event's id. */
const lookup = new Map<string, string>(users.map((u) => [u.anonymousId, u.userId]));
function baseline(): number {
  return timeBatches(mix, asIs, (batch) => {
    let found = 0;
    for (const e of batch) if (lookup.get(e.anonymousId as string) !== undefined) found++;
    return found;
  });
}

function fullPath(batches: readonly string[] = mix): number {
  const resolver = freshResolver();
  return timeBatches(batches, asIs, function timedResolveEvents(batch) {
    let merges = 0;
    for (const e of batch) merges += resolver.resolveEvent(e).merges.length;
    return merges;
  });
}

function resolveOnly(): number {
  const resolver = freshResolver();
  return timeBatches(
    mix,
    (batch) => batch.map((e): ResolveInput => toResolveInput(e, config)),
    (inputs) => {
      let merges = 0;
      for (const input of inputs) merges += resolver.resolve(input).merges.length;
      return merges;
    },
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: Record<string, { events: number; seconds: number[] }> = {
  'baseline (Map.get per event)': { events: EVENTS, seconds: [] },
  'resolveEvent, the mix': { events: EVENTS, seconds: [] },
  'resolve, the mix (extraction untimed)': { events: EVENTS, seconds: [] },
  'resolveEvent, track events only (80%)': { events: count(subsets.track), seconds: [] },
  'resolveEvent, identify events only (15%)': { events: count(subsets.identify), seconds: [] },
  'resolveEvent, merging identify events only (5%)': { events: count(subsets.merge), seconds: [] },
};
const runs: Record<string, () => number> = {
  'baseline (Map.get per event)': baseline,
  'resolveEvent, the mix': () => fullPath(),
  'resolve, the mix (extraction untimed)': resolveOnly,
  'resolveEvent, track events only (80%)': () => fullPath(subsets.track),
  'resolveEvent, identify events only (15%)': () => fullPath(subsets.identify),
  'resolveEvent, merging identify events only (5%)': () => fullPath(subsets.merge),
};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(runs)) rows[name]!.seconds.push(run());
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const base0 = EVENTS / median(rows['baseline (Map.get per event)']!.seconds);
console.log(
  `node ${process.version}, ${EVENTS.toLocaleString('en-US')} events x ${ROUNDS} rounds, ` +
    `${USERS.toLocaleString('en-US')} known users, batches of ${BATCH}`,
);
console.log('| path | median events/s | best events/s | baseline / path |');
console.log('|---|---:|---:|---:|');
for (const [name, { events: n, seconds }] of Object.entries(rows)) {
  const med = n / median(seconds);
  const best = n / Math.min(...seconds);
  console.log(`| ${name} | ${fmt(med)} | ${fmt(best)} | ${(base0 / med).toFixed(1)}x |`);
}
