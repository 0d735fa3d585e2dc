import { describe, expect, it } from 'vitest';
import { resolveIdentityConfig } from './config.js';
import { normalizeIdentifier } from './normalize.js';

const config = resolveIdentityConfig();

function value(type: string, raw: unknown, cfg = config): string {
  const result = normalizeIdentifier(type, raw, cfg);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be valid, got ${result.dropped.detail}`);
  return result.identifier.value;
}

function drop(type: string, raw: unknown, cfg = config) {
  const result = normalizeIdentifier(type, raw, cfg);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be dropped, got ${result.identifier.value}`);
  return { reason: result.dropped.reason, detail: result.dropped.detail };
}

describe('all types', () => {
  it('applies NFKC and trims', () => {
    expect(value('user_id', '  ｕｓｅｒ１２３\u3000')).toBe('user123');
    expect(value('user_id', '\tabc\n')).toBe('abc');
  });

  it('treats empty after normalization as invalid', () => {
    expect(drop('user_id', '   ')).toEqual({ reason: 'invalid', detail: 'empty' });
    expect(drop('anonymous_id', '\u3000')).toEqual({ reason: 'invalid', detail: 'empty' });
  });

  it('drops values of the wrong JS type instead of stringifying them', () => {
    for (const raw of [{}, { id: 1 }, [], ['a'], true, false, null, Number.NaN, Infinity, Symbol('x'), () => 1]) {
      expect(drop('user_id', raw)).toEqual({ reason: 'invalid', detail: 'not_a_string' });
    }
    expect(normalizeIdentifier('user_id', {}, config)).toMatchObject({ ok: false, dropped: { value: '' } });
  });

  it('accepts finite numbers as their decimal text (numeric user ids)', () => {
    expect(value('user_id', 12345)).toBe('12345');
  });

  it('rejects unknown types', () => {
    expect(drop('loyalty_id', 'abc')).toEqual({ reason: 'invalid', detail: 'unknown_type' });
  });
});

describe('email', () => {
  it('lowercases and trims', () => {
    expect(value('email', '  Jane.Doe@Example.COM ')).toBe('jane.doe@example.com');
  });

  it('applies NFKC (full-width characters)', () => {
    expect(value('email', 'ｊａｎｅ＠ｅｘａｍｐｌｅ．ｏｒｇ')).toBe('jane@example.org');
  });

  it('requires local@domain.tld without spaces', () => {
    for (const raw of ['jane', 'jane@', '@example.org', 'jane@example', 'ja ne@example.org', 'a@b@c.org']) {
      expect(drop('email', raw)).toEqual({ reason: 'invalid', detail: 'bad_email' });
    }
  });
});

describe('phone', () => {
  it('removes spaces, dashes, parentheses and dots', () => {
    expect(value('phone', '+1 (415) 555-01.23')).toBe('+14155550123');
  });

  it('turns a leading 00 into +', () => {
    expect(value('phone', '0044 20 7946 0958')).toBe('+442079460958');
  });

  it('prefixes an 11-digit number starting with 1 with +86 (mainland China mobile)', () => {
    expect(value('phone', '138 1234 5678')).toBe('+8613812345678');
  });

  it('keeps a +1 number as it is (the China rule is for numbers without a country code)', () => {
    expect(value('phone', '+1 415 555 0123')).toBe('+14155550123');
  });

  it('requires E.164: + then 8 to 15 digits, the first not 0', () => {
    expect(drop('phone', '5550123')).toEqual({ reason: 'invalid', detail: 'bad_phone' });
    expect(drop('phone', '+1234567')).toEqual({ reason: 'invalid', detail: 'bad_phone' });
    expect(drop('phone', '+1234567890123456')).toEqual({ reason: 'invalid', detail: 'bad_phone' });
    expect(drop('phone', '+0123456789')).toEqual({ reason: 'invalid', detail: 'bad_phone' });
    expect(drop('phone', '+1 415 CALL NOW')).toEqual({ reason: 'invalid', detail: 'bad_phone' });
    expect(value('phone', '+12345678')).toBe('+12345678');
  });

  it('treats all-identical digits as invalid', () => {
    expect(drop('phone', '+1111111111')).toEqual({ reason: 'invalid', detail: 'bad_phone' });
    expect(drop('phone', '11111111111')).toEqual({ reason: 'invalid', detail: 'bad_phone' });
  });

  it('applies NFKC to full-width digits', () => {
    expect(value('phone', '＋４４２０７９４６０９５８')).toBe('+442079460958');
  });
});

describe('user_id and wechat_unionid', () => {
  it('are case-sensitive (trim only)', () => {
    expect(value('user_id', ' AbC ')).toBe('AbC');
    expect(value('wechat_unionid', 'oU_AbC')).toBe('oU_AbC');
  });

  it('keep UUIDs as sent', () => {
    expect(value('user_id', 'F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6')).toBe('F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6');
  });
});

describe('device_id and anonymous_id', () => {
  it('lowercase UUIDs', () => {
    expect(value('anonymous_id', 'F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6')).toBe('f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
    expect(value('device_id', ' F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6 ')).toBe('f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
  });

  it('keep other values case-sensitive', () => {
    expect(value('anonymous_id', 'AbC-123')).toBe('AbC-123');
    expect(value('device_id', 'IDFA:XYZ')).toBe('IDFA:XYZ');
  });
});

describe('wechat_openid', () => {
  it('is appid/openid', () => {
    expect(value('wechat_openid', ' wx123 / oABC ')).toBe('wx123/oABC');
  });

  it('is invalid without an appid (openids are per app)', () => {
    for (const raw of ['oABC', '/oABC', 'wx123/', ' / ']) {
      expect(drop('wechat_openid', raw)).toEqual({ reason: 'invalid', detail: 'no_appid' });
    }
  });

  it('checks the openid part against the blocked values', () => {
    expect(drop('wechat_openid', 'wx123/null')).toEqual({ reason: 'blocked', detail: 'blocked_value' });
  });
});

describe('custom types', () => {
  const custom = resolveIdentityConfig({
    types: {
      loyalty_id: { priority: 8, limit: 1 },
      shop_email: { priority: 9, limit: 3, normalizer: 'email' },
    },
  });

  it('use the exact normalizer unless they name one', () => {
    expect(value('loyalty_id', ' L-0042 ', custom)).toBe('L-0042');
    expect(value('shop_email', 'Jane@Shop.Example', custom)).toBe('jane@shop.example');
  });

  it('go through the blocked values too', () => {
    expect(drop('loyalty_id', 'undefined', custom)).toEqual({ reason: 'blocked', detail: 'blocked_value' });
  });
});

describe('blocked values', () => {
  const listed = [
    'null',
    'undefined',
    'none',
    'nil',
    'nan',
    'anonymous',
    'guest',
    'unknown',
    '[object Object]',
    'true',
    'false',
    '-1',
    '0',
    'not_authenticated',
    'distinct_id',
    'id',
  ];

  it.each(listed)('blocks %j in any case and quoting', (raw) => {
    for (const variant of [raw, raw.toUpperCase(), `"${raw}"`, `'${raw}'`, ` "${raw.toUpperCase()}" `]) {
      expect(drop('user_id', variant)).toEqual({ reason: 'blocked', detail: 'blocked_value' });
      expect(drop('anonymous_id', variant)).toEqual({ reason: 'blocked', detail: 'blocked_value' });
    }
  });

  it('blocks quoted empties', () => {
    expect(drop('user_id', '""')).toEqual({ reason: 'blocked', detail: 'blocked_value' });
    expect(drop('user_id', "''")).toEqual({ reason: 'blocked', detail: 'blocked_value' });
  });

  it('blocks values made only of zeros and dashes', () => {
    for (const raw of ['000', '---', '0-0-0', '00000000-0000-0000-0000-000000000000', '"---"']) {
      expect(drop('device_id', raw)).toEqual({ reason: 'blocked', detail: 'blocked_value' });
    }
  });

  it('strips only one pair of quotes', () => {
    expect(value('user_id', `""null""`)).toBe('""null""');
  });

  it('does not block values that merely contain a blocked word', () => {
    expect(value('user_id', 'nullable')).toBe('nullable');
    expect(value('user_id', 'id-42')).toBe('id-42');
    expect(value('user_id', '-10')).toBe('-10');
  });

  it('blocks test emails and no-reply local parts', () => {
    for (const raw of ['test@test.com', 'TEST@example.com', 'example@example.com', 'noreply@shop.io', 'No-Reply@shop.io']) {
      expect(drop('email', raw)).toEqual({ reason: 'blocked', detail: 'blocked_value' });
    }
    expect(value('email', 'noreply.team@shop.io')).toBe('noreply.team@shop.io');
  });

  it('reports junk in a field that also fails normalization as blocked', () => {
    expect(drop('email', 'null')).toEqual({ reason: 'blocked', detail: 'blocked_value' });
    expect(drop('phone', '"undefined"')).toEqual({ reason: 'blocked', detail: 'blocked_value' });
  });

  it('applies the workspace blocklist, untyped entries to every type and case-insensitively', () => {
    const cfg = resolveIdentityConfig({ blocklist: ['Kiosk-Device', { type: 'email', value: 'Front.Desk@Hotel.Example' }] });
    expect(drop('device_id', 'kiosk-device', cfg)).toEqual({ reason: 'blocked', detail: 'workspace_blocklist' });
    expect(drop('user_id', '"KIOSK-DEVICE"', cfg)).toEqual({ reason: 'blocked', detail: 'workspace_blocklist' });
    expect(drop('email', 'front.desk@hotel.example', cfg)).toEqual({ reason: 'blocked', detail: 'workspace_blocklist' });
    expect(value('user_id', 'front.desk@hotel.example', cfg)).toBe('front.desk@hotel.example');
  });

  it('blocks long workspace entries as well (the length shortcut covers them)', () => {
    const long = 'shared-terminal-0001-of-the-lobby-kiosk';
    const cfg = resolveIdentityConfig({ blocklist: [long] });
    expect(drop('device_id', long.toUpperCase(), cfg)).toEqual({ reason: 'blocked', detail: 'workspace_blocklist' });
  });
});
