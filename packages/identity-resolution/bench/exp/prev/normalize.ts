/**
 * `normalizeIdentifier`: text normalization + the type's normalizer + blocked values, as one tagged
 * result. Used for extraction and, by the API, for lookups and suppression-list hashing.
 */
import { blockedDetail } from './blocklist.js';
import type { IdentityConfig } from './config.js';
import { normalizeText, normalizeValue } from './normalizers.js';
import type { DropDetail, DroppedIdentifier, Identifier } from './types.js';

export type NormalizeResult =
  | { readonly ok: true; readonly identifier: Identifier }
  | { readonly ok: false; readonly dropped: DroppedIdentifier };

/** Longest raw value echoed back in a drop (warnings must stay small). */
const MAX_ECHO = 200;

function echo(raw: string): string {
  return raw.length > MAX_ECHO ? raw.slice(0, MAX_ECHO) : raw;
}

/** Strings as they are, finite numbers as decimal text, anything else undefined. */
export function asText(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw;
  return typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : undefined;
}

/**
 * Allocation-light core of {@link normalizeIdentifier} for the hot path: the identifier, or the drop
 * (tell them apart with `'reason' in result`).
 */
export function normalizeOrDrop(type: string, raw: unknown, config: IdentityConfig): Identifier | DroppedIdentifier {
  const input = asText(raw);
  if (input === undefined) return { type, value: '', reason: 'invalid', detail: 'not_a_string' };
  const spec = config.types.get(type);
  if (spec === undefined) return { type, value: echo(input), reason: 'invalid', detail: 'unknown_type' };
  const text = normalizeText(input);
  if (text === '') return { type, value: '', reason: 'invalid', detail: 'empty' };

  const normalized = normalizeValue(spec.normalizer, text);
  if (typeof normalized !== 'string') {
    // Junk such as "null" in an email field is reported as blocked, which is what it is.
    const junk = blockedDetail(type, 'exact', text, config.blocklist);
    return junk === undefined
      ? { type, value: echo(input), reason: 'invalid', detail: normalized.detail }
      : { type, value: echo(text), reason: 'blocked', detail: junk };
  }
  const blocked = blockedDetail(type, spec.normalizer, normalized, config.blocklist);
  if (blocked !== undefined) return { type, value: echo(normalized), reason: 'blocked', detail: blocked };
  return { type, value: normalized };
}

/**
 * Normalize one raw value as identifier `type`. Strings are accepted, and finite numbers (SDKs send
 * numeric user ids) as their decimal text; anything else (objects, booleans, null) is invalid and is
 * never stringified, so `[object Object]` cannot become an id.
 */
export function normalizeIdentifier(type: string, raw: unknown, config: IdentityConfig): NormalizeResult {
  const result = normalizeOrDrop(type, raw, config);
  return 'reason' in result ? { ok: false, dropped: result } : { ok: true, identifier: result };
}
