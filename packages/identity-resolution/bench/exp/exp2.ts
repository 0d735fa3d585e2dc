import { MemoryIdentityStore, normalizeIdentifier, resolveIdentityConfig, Resolver, type ResolvableEvent } from '../../src/index.js';
import { soleAnonymousId } from '../../src/extract.js';
const USERS = Number(process.env['BENCH_USERS'] ?? 10_000);
let seed = 42;
function random(): number { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }
const pick = (n: number) => Math.floor(random() * n);
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[pick(16)]).join('');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const users = Array.from({ length: USERS }, (_, i) => ({ userId: `user-${i}`, email: `someone.${i}@example.org`, anonymousId: i % 10 === 0 ? uuid().toUpperCase() : uuid() }));
const config = resolveIdentityConfig();
const store = new MemoryIdentityStore();
const resolver = new Resolver({ config, store });
let clock = 0;
for (const u of users) resolver.resolveEvent({ type: 'identify', messageId: `m${clock}`, timestamp: clock++, userId: u.userId, anonymousId: u.anonymousId, traits: { email: u.email, plan: 'pro', seen: clock }, context: { library: { name: 'analytics.js', version: '5.0.0' } } });
const EXTRA = Number(process.env['EXTRA'] ?? 25000);
for (let i = 0; i < EXTRA; i++) resolver.resolveEvent({ type: 'page', messageId: `m${clock}`, timestamp: clock++, anonymousId: uuid() });
const lookup = new Map(users.map((u) => [u.anonymousId, u.userId]));
const batches: string[] = [];
for (let b = 0; b < 800; b++) batches.push(JSON.stringify(Array.from({ length: 500 }, () => ({ type: 'track', anonymousId: users[pick(USERS)]!.anonymousId, context: { page: { path: '/' } }, messageId: `m${clock}`, timestamp: clock++ }))));
const results: Record<string, number[]> = {};
function time(name: string, f: (e: ResolvableEvent) => unknown) {
  let ns = 0n; let n = 0; let c = 0;
  for (const json of batches) { const batch = JSON.parse(json) as ResolvableEvent[]; const t = process.hrtime.bigint(); for (const e of batch) if (f(e) !== undefined) c++; ns += process.hrtime.bigint() - t; n += batch.length; }
  (results[name] ??= []).push(n / (Number(ns) / 1e9));
}
const normalized = (e: ResolvableEvent) => { const r = normalizeIdentifier('anonymous_id', e.anonymousId, config); return r.ok ? r.identifier : undefined; };
for (let r = 0; r < 5; r++) {
  time('baseline map (raw)', (e) => lookup.get(e.anonymousId as string));
  time('loop only', (e) => e.anonymousId);
  time('soleAnonymousId', (e) => soleAnonymousId(e));
  time('normalize', normalized);
  time('store.owner(normalized)', (e) => store.owner(normalized(e)!));
  time('resolveEvent', (e) => resolver.resolveEvent(e).profileId);
}
for (const [k, v] of Object.entries(results)) console.log(k.padEnd(28), Math.round(v.sort((a, b) => a - b)[2]!).toLocaleString('en-US').padStart(12), `${(1e9 / v[2]!).toFixed(0)} ns`);
