import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldTraits, mergeTraits, traitValues, wins, type TraitState, type TraitVersion } from './traits.js';

const v = (value: unknown, at: number, messageId: string, once = false): TraitVersion => ({ value, at, messageId, once });

describe('wins', () => {
  it('last write wins by timestamp', () => {
    expect(wins(v('new', 2, 'a'), v('old', 1, 'z'))).toBe(true);
    expect(wins(v('old', 1, 'z'), v('new', 2, 'a'))).toBe(false);
  });

  it('breaks timestamp ties by the larger messageId', () => {
    expect(wins(v('b', 1, 'm-b'), v('a', 1, 'm-a'))).toBe(true);
    expect(wins(v('a', 1, 'm-a'), v('b', 1, 'm-b'))).toBe(false);
  });

  it('keeps the earliest set-once write (ties: smaller messageId)', () => {
    expect(wins(v('early', 1, 'z', true), v('late', 2, 'a', true))).toBe(true);
    expect(wins(v('late', 2, 'a', true), v('early', 1, 'z', true))).toBe(false);
    expect(wins(v('a', 1, 'm-a', true), v('b', 1, 'm-b', true))).toBe(true);
  });

  it('never lets a set-once write override a set value, whatever the times', () => {
    expect(wins(v('once', 1, 'a', true), v('set', 5, 'b'))).toBe(false);
    expect(wins(v('set', 0, 'b'), v('once', 1, 'a', true))).toBe(true);
  });

  it('is idempotent for the same version', () => {
    expect(wins(v('x', 1, 'a'), v('x', 1, 'a'))).toBe(false);
  });
});

describe('foldTraits and mergeTraits', () => {
  it('returns the changed keys only', () => {
    const state: TraitState = new Map();
    const none = new Set<string>();
    expect(foldTraits(state, { a: 1, b: 2 }, { at: 10, messageId: 'm1', setOnceKeys: none })).toEqual(['a', 'b']);
    expect(foldTraits(state, { a: 0, $set_once: { b: 9 } }, { at: 5, messageId: 'm0', setOnceKeys: none })).toEqual([]);
    expect(foldTraits(state, 'not an object', { at: 20, messageId: 'm2', setOnceKeys: none })).toEqual([]);
    expect(traitValues(state)).toEqual({ a: 1, b: 2 });
  });

  it('writes $set_once entries and configured keys set-once', () => {
    const state: TraitState = new Map();
    const options = { at: 10, messageId: 'm1', setOnceKeys: new Set(['first_seen']) };
    expect(foldTraits(state, { plan: 'pro', first_seen: 1, $set_once: { source: 'ad' } }, options).sort()).toEqual(['first_seen', 'plan', 'source']);
    expect([...state].map(([k, v]) => [k, v.once]).sort()).toEqual([['first_seen', true], ['plan', false], ['source', true]]);
  });

  it('merges profiles with the same rule', () => {
    const into: TraitState = new Map([['plan', v('free', 1, 'a')], ['source', v('late', 9, 'c', true)]]);
    const from = new Map([['plan', v('pro', 2, 'b')], ['source', v('early', 3, 'd', true)], ['name', v('Jo', 1, 'e')]]);
    expect(mergeTraits(into, from).sort()).toEqual(['name', 'plan', 'source']);
    expect(traitValues(into)).toEqual({ name: 'Jo', plan: 'pro', source: 'early' });
  });

  it('ends in the same traits for every arrival order and after replays', () => {
    const write = fc.record({
      key: fc.constantFrom('a', 'b', 'c'),
      at: fc.integer({ min: 0, max: 4 }),
      messageId: fc.constantFrom('m1', 'm2', 'm3'),
      once: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(write, { maxLength: 12 }), fc.infiniteStream(fc.nat()), (writes, rand) => {
        const apply = (list: typeof writes) => {
          const state: TraitState = new Map();
          for (const w of list) {
            // One event writes one value per key and kind, so the value follows from the version.
            const value = `${w.messageId}@${w.at}/${w.once}`;
            const t = { at: w.at, messageId: w.messageId, setOnceKeys: new Set<string>() };
            foldTraits(state, w.once ? { $set_once: { [w.key]: value } } : { [w.key]: value }, t);
          }
          return state;
        };
        const shuffled = [...writes].sort(() => (rand.next().value % 3) - 1);
        const a = apply(writes);
        const b = apply([...shuffled, ...writes]);
        // Split in two profiles and merge: same result as one profile.
        const half = apply(writes.slice(0, writes.length >> 1));
        mergeTraits(half, apply(writes.slice(writes.length >> 1)));
        expect(traitValues(b)).toEqual(traitValues(a));
        expect(traitValues(half)).toEqual(traitValues(a));
      }),
      { numRuns: 300 },
    );
  });
});
