import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type KeyKind = 'write' | 'secret';

const PREFIX: Record<KeyKind, string> = { write: 'wk_', secret: 'sk_' };

/** A new random key: 32 bytes of entropy, base64url, with a prefix telling its kind. */
export function generateKey(kind: KeyKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

/**
 * Keys are stored as SHA-256 hashes. A fast hash is sound here because the
 * keys are long random strings, not passwords: there is nothing to guess.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function newId(prefix: string): string {
  return prefix + randomBytes(9).toString('base64url');
}

/** The first characters of a key, safe to show in listings and logs. */
export function keyPrefix(key: string): string {
  return key.slice(0, 7);
}

/** Constant-time comparison of a presented secret with an expected one. */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
