/**
 * Per-kind value normalizers (identity-rules.md, "Normalization"). They know nothing about
 * configuration or blocked values; `normalize.ts` combines them with the blocklist.
 */
import type { DropDetail } from './types.js';

export const NORMALIZERS = ['exact', 'email', 'phone', 'uuid', 'scoped'] as const;
/**
 * - exact: NFKC + trim, case-sensitive (user_id, wechat_unionid, custom ids)
 * - email: lowercase, `local@domain.tld` without spaces
 * - phone: E.164 with the 00 and China-mobile rules
 * - uuid: lowercased when the value is a UUID, else kept as is (anonymous_id, device_id)
 * - scoped: `scope/id`, both parts required (wechat_openid: `appid/openid`)
 */
export type NormalizerName = (typeof NORMALIZERS)[number];

/** A normalized value, or why there is none (shared frozen objects: the hot path allocates nothing). */
export type ValueResult = string | { readonly detail: DropDetail };

// Plain ASCII is already NFKC, so the common case skips normalize() (it allocates and is slow).
const ASCII = /^[\x00-\x7f]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE_NOISE = /[\s\-().]/g;
const E164 = /^\+[1-9]\d{7,14}$/;
const CHINA_MOBILE = /^1\d{10}$/;
const SAME_DIGIT = /^(\d)\1*$/;

/** Unicode NFKC then trim; the first step of every type. */
export function normalizeText(raw: string): string {
  return (ASCII.test(raw) ? raw : raw.normalize('NFKC')).trim();
}

const BAD_EMAIL = Object.freeze({ detail: 'bad_email' as const });
const BAD_PHONE = Object.freeze({ detail: 'bad_phone' as const });
const NO_APPID = Object.freeze({ detail: 'no_appid' as const });

function email(text: string): ValueResult {
  const value = text.toLowerCase();
  return EMAIL.test(value) ? value : BAD_EMAIL;
}

function phone(text: string): ValueResult {
  let digits = text.replace(PHONE_NOISE, '');
  let value: string;
  if (digits.startsWith('+')) {
    digits = digits.slice(1);
    value = `+${digits}`;
  } else if (digits.startsWith('00')) {
    digits = digits.slice(2);
    value = `+${digits}`;
  } else if (CHINA_MOBILE.test(digits)) {
    value = `+86${digits}`;
  } else {
    return BAD_PHONE;
  }
  // Repeated digits (1111111111) are placeholders typed into forms, not phones.
  if (!E164.test(value) || SAME_DIGIT.test(digits)) return BAD_PHONE;
  return value;
}

function uuid(text: string): ValueResult {
  // Values without upper case (the common case) need no UUID test: lowercasing would change nothing.
  // V8 returns such a string itself from toLowerCase, without copying, so this is cheaper than /[A-Z]/.
  const lower = text.toLowerCase();
  return lower === text || !UUID.test(text) ? text : lower;
}

function scoped(text: string): ValueResult {
  const slash = text.indexOf('/');
  // Openids are per app: without the app they would collide across apps.
  if (slash <= 0 || slash === text.length - 1) return NO_APPID;
  const scope = text.slice(0, slash).trim();
  const id = text.slice(slash + 1).trim();
  if (scope === '' || id === '') return NO_APPID;
  return `${scope}/${id}`;
}

/** Apply one normalizer to text that already went through {@link normalizeText} and is not empty. */
export function normalizeValue(normalizer: NormalizerName, text: string): ValueResult {
  switch (normalizer) {
    case 'exact':
      return text;
    case 'email':
      return email(text);
    case 'phone':
      return phone(text);
    case 'uuid':
      return uuid(text);
    case 'scoped':
      return scoped(text);
  }
}

/** The part of a value the generic blocked-value list applies to (the id inside `scope/id`). */
export function blockablePart(normalizer: NormalizerName, value: string): string {
  return normalizer === 'scoped' ? value.slice(value.indexOf('/') + 1) : value;
}
