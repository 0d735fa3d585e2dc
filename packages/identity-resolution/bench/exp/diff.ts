// Differential check: old (main) vs new implementation on random event streams; shared store across config changes.
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import * as NEW from '../../src/index.js';
import * as OLD from './old/index.js';
import { soleAnonymousId } from '../../src/extract.js';
let sole = 0; let fastHits = 0;

const uuidL = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const anonPool: unknown[] = ['a1', 'a2', 'A1', ' a1 ', uuidL, uuidL.toUpperCase(), ` ${uuidL.toUpperCase()}`, 'ａ１', 'null', '', '0', '---', '"undefined"', 'kiosk', 'KIOSK', 7, 0, {}, null, undefined, true, 'x'.repeat(30), '6BA7B810-9DAD-41D1-80B4-00C04FD430C8', '6ba7b810-9dad-41d1-80b4-00c04fd430c8'];
const userPool: unknown[] = [undefined, undefined, undefined, null, 'u1', 'u2', ' u1', 'null', 12, {}];
const emailPool: unknown[] = [undefined, null, 'e1@x.io', 'E1@X.io', 'noreply@x.io', 'bad', 'test@test.com'];
const typePool = ['track', 'track', 'page', 'identify', 'group', 'alias', 'screen'];
const contextArb = fc.oneof(
  fc.constant(undefined), fc.constant(null), fc.constant({}), fc.constant([]), fc.constant('ctx'),
  fc.record({ page: fc.constant({ path: '/' }) }),
  fc.record({ traits: fc.oneof(fc.constant(null), fc.constant([]), fc.record({ email: fc.constantFrom(...emailPool), phone: fc.constantFrom(undefined, null, '+442079460958', '123') }, { requiredKeys: [] })) }, { requiredKeys: [] }),
  fc.record({ device: fc.oneof(fc.constant(null), fc.constant('d'), fc.record({ id: fc.constantFrom(undefined, null, 'd1', 'D1', uuidL.toUpperCase()) }, { requiredKeys: [] })) }),
  fc.record({ externalIds: fc.oneof(fc.constant(null), fc.constant('x'), fc.array(fc.record({ type: fc.constantFrom('anonymous_id', 'user_id', 'loyalty', 'email'), id: fc.constantFrom(...anonPool.slice(0, 8), 'e1@x.io') }), { maxLength: 2 })) }),
);
const eventArb = fc.record({
  type: fc.constantFrom(...typePool),
  userId: fc.constantFrom(...userPool),
  anonymousId: fc.constantFrom(...anonPool),
  previousId: fc.constantFrom(undefined, undefined, null, 'a1', 'u1', 'null', 5),
  traits: fc.oneof(fc.constant(undefined), fc.constant(null), fc.record({ plan: fc.constantFrom('free', 'pro'), email: fc.constantFrom(...emailPool), $set_once: fc.constantFrom(undefined, { src: 'ad' }) }, { requiredKeys: ['plan'] })),
  context: contextArb,
  msg: fc.nat({ max: 60 }),
  at: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 50 }), weight: 30 }, { arbitrary: fc.constant(Number.NaN), weight: 1 }),
  config: fc.nat({ max: 5 }),
}, { requiredKeys: ['type', 'msg', 'at', 'config'] });

const optionSets = [
  {},
  { blocklist: ['kiosk', { type: 'anonymous_id', value: 'a2' }] },
  { types: { anonymous_id: { normalizer: 'exact' as const } } },
  { traitEventTypes: ['identify', 'track'] },
  { types: { email: false as const, loyalty: { priority: 8, limit: 1 } }, setOnceTraits: ['plan'] },
  { maxMergesPerProfile: 1, maxIdentifiersPerProfile: 3, types: { anonymous_id: { limit: 1 } } },
];
const oldConfigs = optionSets.map((o) => OLD.resolveIdentityConfig(o as never));
const newConfigs = optionSets.map((o) => NEW.resolveIdentityConfig(o as never));

function run<T>(f: () => T): T | { threw: string } {
  try { return f(); } catch (e) { return { threw: String(e) }; }
}

let events = 0;
fc.assert(
  fc.property(fc.array(eventArb, { minLength: 1, maxLength: 60 }), (specs) => {
    const oldStore = new OLD.MemoryIdentityStore();
    const newStore = new NEW.MemoryIdentityStore();
    const apiStore = new NEW.MemoryIdentityStore();
    for (const s of specs) {
      const { msg, at, config, ...rest } = s;
      const e = { ...rest, messageId: `m${msg}`, timestamp: at } as NEW.ResolvableEvent;
      const a = run(() => new OLD.Resolver({ config: oldConfigs[config]!, store: oldStore }).resolveEvent(e as never));
      const b = run(() => new NEW.Resolver({ config: newConfigs[config]!, store: newStore }).resolveEvent(e));
      const c = run(() => new NEW.Resolver({ config: newConfigs[config]!, store: apiStore }).resolve(NEW.toResolveInput(e, newConfigs[config]!)));
      events++;
      if (soleAnonymousId(e) !== undefined) { sole++; if (b && 'kept' in b && b.attached.length === 0 && b.merges.length === 0 && b.dropped.length === 0 && b.traits.length === 0 && b.createdProfile === undefined) fastHits++; }
      if (!isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b))) || !isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(c)))) {
        throw new Error(`mismatch on ${JSON.stringify(e)}\nold ${JSON.stringify(a)}\nnew ${JSON.stringify(b)}\napi ${JSON.stringify(c)}`);
      }
      // Exact object shapes too (undefined fields, frozen empties are fine).
      if (!isDeepStrictEqual(Object.keys(a), Object.keys(b))) throw new Error(`keys differ ${Object.keys(a)} vs ${Object.keys(b)}`);
    }
    const so = oldStore.snapshot(), sn = newStore.snapshot(), sa = apiStore.snapshot();
    if (!isDeepStrictEqual(so, sn) || !isDeepStrictEqual(so, sa)) throw new Error('snapshots differ');
  }),
  { numRuns: Number(process.env['RUNS'] ?? 3000), seed: Number(process.env['SEED'] ?? Date.now() % 100000) },
);
console.log('ok, events compared:', events, 'sole anonymous:', sole, 'of which no-change:', fastHits);
