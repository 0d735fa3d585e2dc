import { describe, expect, it } from 'vitest';
import { DEFAULT_IDENTITY_OPTIONS, isIdentityConfigError, resolveIdentityConfig, type IdentityOptions } from './config.js';

function errorOf(options: unknown): string {
  try {
    resolveIdentityConfig(options as IdentityOptions);
  } catch (error) {
    if (isIdentityConfigError(error)) return error.message;
    throw error;
  }
  throw new Error('expected the options to be rejected');
}

describe('resolveIdentityConfig', () => {
  it('resolves the documented defaults (identity-rules.md)', () => {
    const config = resolveIdentityConfig();
    const table = [...config.types.values()].map((t) => [t.name, t.priority, t.limit]).sort((a, b) => Number(a[1]) - Number(b[1]));
    expect(table).toEqual([
      ['user_id', 1, 1],
      ['wechat_unionid', 2, 1],
      ['email', 3, 5],
      ['phone', 4, 5],
      ['wechat_openid', 5, 5],
      ['device_id', 6, 5],
      ['anonymous_id', 7, 5],
    ]);
    expect(config.maxMergesPerProfile).toBe(100);
    expect(config.maxIdentifiersPerProfile).toBe(1000);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(DEFAULT_IDENTITY_OPTIONS.types.email)).toBe(true);
  });

  it('overrides part of a built-in type and keeps the rest', () => {
    const config = resolveIdentityConfig({ types: { email: { limit: 1 } } });
    expect(config.types.get('email')).toEqual({ name: 'email', priority: 3, limit: 1, normalizer: 'email' });
  });

  it('adds custom types and disables optional built-ins', () => {
    const config = resolveIdentityConfig({ types: { loyalty_id: { priority: 8, limit: 1 }, wechat_openid: false } });
    expect(config.types.get('loyalty_id')).toEqual({ name: 'loyalty_id', priority: 8, limit: 1, normalizer: 'exact' });
    expect(config.types.has('wechat_openid')).toBe(false);
  });

  it('fails fast naming the option', () => {
    expect(errorOf({ maxMergesPerProfile: -1 })).toMatch(/maxMergesPerProfile/);
    expect(errorOf({ maxIdentifiersPerProfile: 1.5 })).toMatch(/maxIdentifiersPerProfile/);
    expect(errorOf({ types: { email: { limit: 0 } } })).toMatch(/types\.email\.limit/);
    expect(errorOf({ types: { loyalty_id: { limit: 1 } } })).toMatch(/types\.loyalty_id\.priority: required/);
    expect(errorOf({ types: { loyalty_id: { priority: 9 } } })).toMatch(/types\.loyalty_id\.limit: required/);
    expect(errorOf({ types: { 'Bad-Name': { priority: 9, limit: 1 } } })).toMatch(/types/);
    expect(errorOf({ types: { email: { normalizer: 'soundex' } } })).toMatch(/types\.email\.normalizer/);
    expect(errorOf({ types: { user_id: false } })).toMatch(/types\.user_id: this type cannot be disabled/);
    expect(errorOf({ blocklist: [{ type: 'loyalty_id', value: 'x' }] })).toMatch(/blocklist\[0\]\.type/);
    expect(errorOf({ blocklist: ['ok', { type: 'email', value: 'not-an-email' }] })).toMatch(/blocklist\[1\]\.value/);
    expect(errorOf({ unknownOption: true })).toMatch(/unknownOption|Unrecognized/);
  });
});
