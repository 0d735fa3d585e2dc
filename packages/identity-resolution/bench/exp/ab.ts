// A/B harness: old (main) vs new library in one process, alternating, CPU time per batch.
import * as NEW from '../../src/index.js';
import * as OLD from './old/index.js';
type ResolvableEvent = NEW.ResolvableEvent;
const BENCH_LIBS = { old: OLD as unknown as typeof NEW, new: NEW };
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


const BATCH = 500;
function toBatches(list: readonly ResolvableEvent[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i += BATCH) out.push(JSON.stringify(list.slice(i, i + BATCH)));
  return out;
}
const mix = toBatches(events);
const only = (kind: Kind) => toBatches(events.filter((_, i) => kinds[i] === kind));
const sets: Record<string, string[]> = { mix, track: only('track'), identify: only('identify'), merge: only('merge') };
const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
function run(lib: typeof NEW, batches: string[], api: boolean): number {
  const config = lib.resolveIdentityConfig();
  const resolver = new lib.Resolver({ config, store: new lib.MemoryIdentityStore() });
  for (const e of warmup) resolver.resolveEvent(e);
  for (const e of anonymousOnly) resolver.resolveEvent(e);
  collect();
  let t = 0; let n = 0; let c = 0;
  for (const json of batches) {
    const batch = JSON.parse(json) as ResolvableEvent[];
    const s = cpu();
    if (api) for (const e of batch) c += resolver.resolve(lib.toResolveInput(e, config)).merges.length;
    else for (const e of batch) c += resolver.resolveEvent(e).merges.length;
    t += cpu() - s; n += batch.length;
  }
  if (c < 0) throw new Error('x');
  return n / t;
}
const which = (process.env['AB_PATHS'] ?? 'mix,track,identify,merge,api').split(',');
const res: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const p of which) for (const [name, lib] of Object.entries(BENCH_LIBS)) {
    const key = `${p}/${name}`;
    (res[key] ??= []).push(run(lib, sets[p === 'api' ? 'mix' : p]!, p === 'api'));
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const p of which) {
  const o = med(res[`${p}/old`]!); const n = med(res[`${p}/new`]!);
  console.log(`${p.padEnd(9)} old ${Math.round(o).toLocaleString('en-US').padStart(10)}  new ${Math.round(n).toLocaleString('en-US').padStart(10)}  new/old ${(n / o).toFixed(2)}`);
}
