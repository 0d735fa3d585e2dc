/**
 * Resolutions per second, in-process, with a realistic mix, against a bare Map-lookup baseline and
 * the floor of reads-floor.ts (the graph work alone), both measured in the same run (the machine is
 * shared: compare ratios, not absolute figures).
 *
 *   pnpm bench:identity   (root; env BENCH_EVENTS, BENCH_ROUNDS, BENCH_USERS override the sizes,
 *                          BENCH_PATHS=mix,track,... runs only some rows)
 *
 * Rates are given per wall-clock second and per CPU second of the process: on a shared machine the
 * CPU figure is the steadier one (it does not count time the cores spent on other work).
 *
 * Mix per round: 80% track events from a known anonymous id, 15% identify events of known users
 * (user_id + email + anonymous id + traits), 5% identify events that merge an anonymous-only profile
 * into a known user. Each round starts from a fresh, pre-warmed store.
 */
import { loadavg } from 'node:os';
import {
  MemoryIdentityStore,
  resolveIdentityConfig,
  Resolver,
  type ResolvableEvent,
  toResolveInput,
  type ResolveInput,
} from '../src/index.js';
import { ReadsFloor } from './reads-floor.js';

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

function freshResolver(store = new MemoryIdentityStore()): Resolver {
  const resolver = new Resolver({ config, store });
  for (const e of warmup) resolver.resolveEvent(e);
  for (const e of anonymousOnly) resolver.resolveEvent(e);
  return resolver;
}

interface Timing {
  /** Wall-clock seconds. */
  readonly wall: number;
  /**
   * CPU seconds of the process (all its threads, so GC helpers count). Unlike wall time it does not
   * grow while other work on the shared machine holds the cores.
   */
  readonly cpu: number;
}

const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/**
 * Time spent in `run` over every batch, parsing (and `prepare`) untimed. No forced GC between
 * sections (there used to be one): a full GC collects the hidden classes of the previous section's
 * parsed events, which deoptimizes the resolver code that checked them ("weak objects"), so every
 * section started by re-warming the JIT (merge events measured 2.5x slower). Earlier garbage is
 * collected as it would be in a running server, concurrently; medians over rounds absorb it.
 */
function timeBatches<T>(
  batches: readonly string[],
  prepare: (batch: ResolvableEvent[]) => T[],
  run: (items: T[]) => number,
): Timing {
  let nanos = 0n;
  let cpu = 0;
  let check = 0;
  for (const json of batches) {
    const items = prepare(JSON.parse(json) as ResolvableEvent[]);
    const cpuStart = cpuSeconds();
    const start = process.hrtime.bigint();
    check += run(items);
    nanos += process.hrtime.bigint() - start;
    cpu += cpuSeconds() - cpuStart;
  }
  if (check < 0) throw new Error('unreachable: keeps the loops from being optimized away');
  return { wall: Number(nanos) / 1e9, cpu };
}

const asIs = (batch: ResolvableEvent[]) => batch;

/** Baseline: what any resolver must at least do, one Map lookup of the event's id. */
const lookup = new Map<string, string>(users.map((u) => [u.anonymousId, u.userId]));
function baseline(): Timing {
  return timeBatches(mix, asIs, (batch) => {
    let found = 0;
    for (const e of batch) if (lookup.get(e.anonymousId as string) !== undefined) found++;
    return found;
  });
}

/** The floor (reads-floor.ts) over the state of a fresh resolver, and that resolver. */
function freshFloor(): { least: ReadsFloor; resolver: Resolver } {
  const store = new MemoryIdentityStore();
  const resolver = freshResolver(store);
  return { least: new ReadsFloor(store), resolver };
}

/** The floor: the graph reads and writes any resolver must do, over the same state. */
function floor(): Timing {
  const { least } = freshFloor();
  return timeBatches(mix, asIs, function timedFloor(batch) {
    let length = 0;
    for (const e of batch) length += least.resolve(e).length;
    return length;
  });
}

/** The floor must give the resolver's profile for every event of the mix, or it would time less work. */
function checkFloor(): void {
  const { least, resolver } = freshFloor();
  for (const json of mix) {
    for (const e of JSON.parse(json) as ResolvableEvent[]) {
      if (least.resolve(e) !== resolver.resolveEvent(e).profileId) throw new Error(`the floor resolved ${e.messageId} differently`);
    }
  }
}

function fullPath(batches: readonly string[] = mix): Timing {
  const resolver = freshResolver();
  return timeBatches(batches, asIs, function timedResolveEvents(batch) {
    let merges = 0;
    for (const e of batch) merges += resolver.resolveEvent(e).merges.length;
    return merges;
  });
}

/** Extraction as the ingestion API does it: the whole batch first (it loads unknown identifiers), then resolution. */
const extract = (batch: ResolvableEvent[]) => batch.map((e): ResolveInput => toResolveInput(e, config));
function resolveAll(resolver: Resolver, inputs: readonly ResolveInput[]): number {
  let merges = 0;
  for (const input of inputs) merges += resolver.resolve(input).merges.length;
  return merges;
}

/** The ingestion API's calls: `toResolveInput` for the batch, then `resolve` per event. */
function apiPath(batches: readonly string[] = mix): Timing {
  const resolver = freshResolver();
  return timeBatches(batches, asIs, (batch) => resolveAll(resolver, extract(batch)));
}

function resolveOnly(): Timing {
  const resolver = freshResolver();
  return timeBatches(mix, extract, (inputs) => resolveAll(resolver, inputs));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
interface Path {
  readonly name: string;
  readonly events: number;
  readonly run: () => Timing;
  readonly timings: Timing[];
}
const path = (name: string, events: number, run: () => Timing): Path => ({ name, events, run, timings: [] });
const paths: Record<string, Path> = {
  baseline: path('baseline (Map.get per event)', EVENTS, baseline),
  floor: path('floor: the graph work any resolver must do, the mix (reads-floor.ts)', EVENTS, floor),
  mix: path('resolveEvent, the mix', EVENTS, () => fullPath()),
  api: path('toResolveInput + resolve, the mix (the ingestion API calls)', EVENTS, () => apiPath()),
  resolve: path('resolve, the mix (extraction untimed)', EVENTS, resolveOnly),
  track: path('resolveEvent, track events only (80%)', count(subsets.track), () => fullPath(subsets.track)),
  apiTrack: path('toResolveInput + resolve, track events only', count(subsets.track), () => apiPath(subsets.track)),
  identify: path('resolveEvent, identify events only (15%)', count(subsets.identify), () => fullPath(subsets.identify)),
  merge: path('resolveEvent, merging identify events only (5%)', count(subsets.merge), () => fullPath(subsets.merge)),
};
// BENCH_PATHS=mix,track runs only those rows (e.g. under --cpu-prof); the baseline and the floor always run.
const wanted = new Set(['baseline', 'floor', ...(process.env['BENCH_PATHS'] ?? Object.keys(paths).join(',')).split(',')]);
const selected = Object.entries(paths)
  .filter(([key]) => wanted.has(key))
  .map(([, p]) => p);
checkFloor();
const loadBefore = loadavg();
for (let round = 0; round < ROUNDS; round++) {
  for (const p of selected) p.timings.push(p.run());
}
const loadAfter = loadavg();

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
const rate = (p: Path, of: (t: Timing) => number) => p.events / median(p.timings.map(of));
const baselinePath = paths['baseline']!;
const floorPath = paths['floor']!;
console.log(
  `node ${process.version}, ${EVENTS.toLocaleString('en-US')} events x ${ROUNDS} rounds, ` +
    `${USERS.toLocaleString('en-US')} known users, batches of ${BATCH}; ` +
    `load average ${load(loadBefore)} before, ${load(loadAfter)} after`,
);
console.log('| path | median events/s | best events/s | median events/CPU-s | baseline / path (wall) | (CPU) | % of the floor (CPU) |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const p of selected) {
  const wall = rate(p, (t) => t.wall);
  const cpu = rate(p, (t) => t.cpu);
  const best = p.events / Math.min(...p.timings.map((t) => t.wall));
  const ratioWall = rate(baselinePath, (t) => t.wall) / wall;
  const ratioCpu = rate(baselinePath, (t) => t.cpu) / cpu;
  // Only rows over the mix compare with the floor, which runs the mix.
  const ofFloor = p.events === EVENTS && p !== baselinePath ? `${((cpu / rate(floorPath, (t) => t.cpu)) * 100).toFixed(0)}%` : '–';
  console.log(`| ${p.name} | ${fmt(wall)} | ${fmt(best)} | ${fmt(cpu)} | ${ratioWall.toFixed(1)}x | ${ratioCpu.toFixed(1)}x | ${ofFloor} |`);
}
