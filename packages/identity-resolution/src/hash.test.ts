import { describe, expect, it } from 'vitest';
import { hashToUuid, murmur3x86_128 } from './hash.js';

// Reference vectors: MurmurHash3_x86_128 (seed 0) of the UTF-8 bytes, computed with the reference C
// implementation (Python mmh3 5.3.0, x64arch=False), words h1..h4 in hex.
const VECTORS: Array<[string, string]> = [
  ['', '00000000000000000000000000000000'],
  ['a', 'a794933c5556b01b5556b01b5556b01b'],
  ['hello', '2b2444a0db91def79adb31b69adb31b6'],
  ['0123456789abcdef', 'fb7d440936aed30a48ad1d9b572b3bfd'],
  ['0123456789abcdef0', '1f8a385560920c06b5182f1c718c0b9c'],
  ['The quick brown fox jumps over the lazy dog', '2f1583c3ecee2c675d7bf66ce5e91d2c'],
  ['msg-1\u0000anonymous_id\u0000abc', '9e2de190627bb274e622a85cb5e1a956'],
  ['héllo wörld ✓ 𝄞', 'e9c71bfbfd5f9c99db9b814e72f76cdb'],
];

describe('murmur3x86_128', () => {
  it.each(VECTORS)('matches the reference implementation for %j', (text, expected) => {
    expect(murmur3x86_128(text).map((w) => w.toString(16).padStart(8, '0')).join('')).toBe(expected);
  });
});

describe('hashToUuid', () => {
  it('renders a version-8 UUID that keeps the hash bits outside version and variant', () => {
    const id = hashToUuid('hello');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id.replaceAll('-', '').slice(0, 12)).toBe('2b2444a0db91');
    expect(hashToUuid('hello')).toBe(id);
    expect(hashToUuid('hellp')).not.toBe(id);
  });
});
