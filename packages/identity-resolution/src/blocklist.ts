/**
 * Blocked values (identity-rules.md, "Blocked values"): junk that SDKs and forms send in place of a real
 * id, which would glue everyone who sends it into one profile.
 */
import { blockablePart, type NormalizerName } from './normalizers.js';
import type { DropDetail } from './types.js';

/** Compared case-insensitively, also after stripping one pair of surrounding quotes. */
export const BLOCKED_VALUES: readonly string[] = Object.freeze([
  'null',
  'undefined',
  'none',
  'nil',
  'nan',
  'anonymous',
  'guest',
  'unknown',
  '[object object]',
  'true',
  'false',
  '-1',
  '0',
  'not_authenticated',
  'distinct_id',
  'id',
  '',
]);

export const BLOCKED_EMAILS: readonly string[] = Object.freeze(['test@test.com', 'test@example.com', 'example@example.com']);

const ZEROS_AND_DASHES = /^[0-]*$/;
/** `^no-?reply$` on the local part of a valid email (its only `@` ends it), without slicing it out. */
const NO_REPLY = /^no-?reply@/;

/** The compiled form of the built-in list plus a workspace blocklist. */
export interface CompiledBlocklist {
  /** Lowercased values blocked for every type (workspace entries given as plain strings). */
  readonly anyType: ReadonlySet<string>;
  /** `type \0 normalizedValue` of workspace entries given with a type. */
  readonly typed: ReadonlySet<string>;
  /** Values longer than this cannot be in `anyType` or BLOCKED_VALUES, even quoted: skips the lookups. */
  readonly maxLength: number;
}

const builtin = new Set(BLOCKED_VALUES);
const blockedEmails = new Set(BLOCKED_EMAILS);

export function typedKey(type: string, value: string): string {
  return `${type}\u0000${value}`;
}

export function compileBlocklist(anyType: Iterable<string>, typed: Iterable<string>): CompiledBlocklist {
  const values = new Set(anyType);
  let maxLength = 0;
  for (const value of [...builtin, ...values]) maxLength = Math.max(maxLength, value.length);
  return Object.freeze({ anyType: values, typed: new Set(typed), maxLength: maxLength + 2 });
}

function unquote(value: string): string | undefined {
  if (value.length < 2) return undefined;
  const first = value.charCodeAt(0);
  const isQuote = first === 34 /* " */ || first === 39 /* ' */ || first === 96; /* ` */
  return isQuote && value.charCodeAt(value.length - 1) === first ? value.slice(1, -1).trim() : undefined;
}

/** `^[0-]*$`; long values are checked on every event, and almost none starts with 0 or -. */
function zerosAndDashes(value: string): boolean {
  const first = value.charCodeAt(0);
  return value === '' || ((first === 48 /* 0 */ || first === 45) /* - */ && ZEROS_AND_DASHES.test(value));
}

function listed(value: string, list: CompiledBlocklist): DropDetail | undefined {
  if (builtin.has(value) || zerosAndDashes(value)) return 'blocked_value';
  if (list.anyType.has(value)) return 'workspace_blocklist';
  return undefined;
}

/**
 * Why `value` (already normalized for its type) is blocked, or undefined when it is not.
 * Scoped values (`appid/openid`) are checked on their id part.
 */
export function blockedDetail(
  type: string,
  normalizer: NormalizerName,
  value: string,
  list: CompiledBlocklist,
): DropDetail | undefined {
  const part = blockablePart(normalizer, value);
  if (part.length <= list.maxLength || zerosAndDashes(part)) {
    const lower = part.toLowerCase();
    const direct = listed(lower, list);
    if (direct !== undefined) return direct;
    const inner = unquote(lower);
    const quoted = inner === undefined ? undefined : listed(inner, list);
    if (quoted !== undefined) return quoted;
  }
  if (normalizer === 'email') {
    if (blockedEmails.has(value) || NO_REPLY.test(value)) return 'blocked_value';
  }
  if (list.typed.size > 0 && list.typed.has(typedKey(type, value))) return 'workspace_blocklist';
  return undefined;
}
