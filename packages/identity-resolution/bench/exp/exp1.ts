import { MemoryIdentityStore, resolveIdentityConfig, Resolver, type ResolvableEvent } from '../../src/index.js';
const USERS = Number(process.env['BENCH_USERS'] ?? 10_000);
let seed = 42;
function random(): number { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }
const pick = (n: number) => Math.floor(random() * n);
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[pick(16)]).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const users = Array.from({ length: USERS }, (_, i) => ({ userId: `user-${i}`, email: `someone.${i}@example.org`, anonymousId: uuid() }));
const config = resolveIdentityConfig();
const store = new MemoryIdentityStore();
const resolver = new Resolver({ config, store });
let clock = 0;
for (const u of users) resolver.resolveEvent({ type: 'identify', messageId: `m${clock}`, timestamp: clock++, userId: u.userId, anonymousId: u.anonymousId, traits: { email: u.email } });
const EXTRA = Number(process.env['EXTRA'] ?? 0);
for (let i = 0; i < EXTRA; i++) resolver.resolveEvent({ type: 'page', messageId: `m${clock}`, timestamp: clock++, anonymousId: uuid() });
const lookup = new Map(users.map((u) => [u.anonymousId, u.userId]));
const batches: string[] = [];
for (let b = 0; b < 800; b++) batches.push(JSON.stringify(Array.from({ length: 500 }, () => ({ type: 'track', messageId: `m${clock}`, timestamp: clock++, anonymousId: users[pick(USERS)]!.anonymousId }))));
function time(name: string, f: (e: ResolvableEvent) => unknown) {
  let ns = 0n; let n = 0; let c = 0;
  for (const json of batches) { const batch = JSON.parse(json) as ResolvableEvent[]; const t = process.hrtime.bigint(); for (const e of batch) if (f(e) !== undefined) c++; ns += process.hrtime.bigint() - t; n += batch.length; }
  console.log(name.padEnd(30), Math.round(n / (Number(ns) / 1e9)).toLocaleString('en-US'), c);
}
for (let r = 0; r < 3; r++) {
  time('baseline map', (e) => lookup.get(e.anonymousId as string));
  time('store.owner', (e) => store.owner({ type: 'anonymous_id', value: e.anonymousId as string }));
  time('resolveEvent', (e) => resolver.resolveEvent(e).profileId);
}
