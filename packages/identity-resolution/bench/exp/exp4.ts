import { writeFileSync } from 'node:fs';
import { MemoryIdentityStore, resolveIdentityConfig, Resolver, type ResolvableEvent } from '../../src/index.js';
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
const kind = process.env['KIND'] ?? 'merge';
const list = JSON.parse(JSON.stringify(kind === 'mix' ? events : events.filter((_, i) => kinds[i] === kind))) as ResolvableEvent[];
const REPEAT = Number(process.env['REPEAT'] ?? 20);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
let t = 0;
const windows: string[] = [];
const mono = () => (Number(process.hrtime.bigint()) / 1e9).toFixed(6);
for (let r = 0; r < REPEAT; r++) {
  const resolver = new Resolver({ config, store: new MemoryIdentityStore() });
  for (const e of warmup) resolver.resolveEvent(e);
  for (const e of anonymousOnly) resolver.resolveEvent(e);
  const s = cpu();
  const w0 = mono();
  let c = 0;
  for (const e of list) c += resolver.resolveEvent(e).merges.length;
  t += cpu() - s;
  windows.push(`${w0},${mono()}`);
  if (c < 0) throw new Error();
}
if (process.env['WINDOWS']) writeFileSync(process.env['WINDOWS'], windows.join(' '));
console.log(`${kind}: ${Math.round(list.length * REPEAT / t).toLocaleString('en-US')} events/CPU-s`);
