import { describe, expect, it } from 'vitest';
import { compilePaths, hashing, REMOVE, removing, transformAt } from './paths.js';
import { fieldPath } from './settings.js';

const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);

describe('transformAt', () => {
  it('removes and replaces values at a path, copying only what changes', () => {
    const shared = { keep: { a: 1 } };
    const input = { user: { email: 'a@b.c', name: 'Ana' }, shared };
    const out = transformAt(input, ['user', 'email'], removing) as typeof input;
    expect(out).toEqual({ user: { name: 'Ana' }, shared });
    expect(out.shared).toBe(shared);
    expect(input.user.email).toBe('a@b.c');
    expect(transformAt(input, ['user', 'missing'], removing)).toBe(input);
  });

  it('matches any key with * and walks into arrays element by element', () => {
    const input = { items: [{ owner: 'x', sku: 1 }, { owner: 'y' }, 'text'], accounts: { main: { iban: 'de1' }, savings: { iban: 'de2' } } };
    expect(transformAt(input, ['items', 'owner'], upper)).toEqual({ items: [{ owner: 'X', sku: 1 }, { owner: 'Y' }, 'text'], accounts: input.accounts });
    expect(transformAt(input, ['accounts', '*', 'iban'], upper)).toEqual({ items: input.items, accounts: { main: { iban: 'DE1' }, savings: { iban: 'DE2' } } });
  });
});

describe('hashing', () => {
  it('hashes strings as they are, other values as JSON, arrays element-wise, and keeps null', () => {
    const h = hashing((t) => `h(${t})`);
    expect(h('x')).toBe('h(x)');
    expect(h(42)).toBe('h(42)');
    expect(h({ a: 1 })).toBe('h({"a":1})');
    expect(h(['a', 'b'])).toEqual(['h(a)', 'h(b)']);
    expect(h(null)).toBeNull();
    expect(removing('anything')).toBe(REMOVE);
  });
});

describe('paths', () => {
  it('accepts paths under properties, traits and context, and the id fields', () => {
    for (const p of ['properties.card', 'traits.address.street', 'context.traits.*', 'userId', 'anonymousId']) expect(fieldPath.safeParse(p).success, p).toBe(true);
    for (const p of ['properties', 'password', 'context..ip', 'traits.a*', 'userId.x']) expect(fieldPath.safeParse(p).success, p).toBe(false);
    expect(compilePaths(['context.traits.email', 'userId'])).toEqual([
      { root: 'context', segments: ['traits', 'email'] },
      { root: 'userId', segments: [] },
    ]);
  });
});
