import { describe, expect, it } from 'vitest';
import { uuid } from './uuid.js';

describe('uuid', () => {
  it('makes RFC 9562 version 4 UUIDs: random hex digits, version 4, variant 8 to b, all different', () => {
    const ids = Array.from({ length: 2000 }, uuid);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Every random position takes every value it may (a template digit left fixed would show here).
    const seen = (at: number) => new Set(ids.map((id) => id[at])).size;
    for (let at = 0; at < 36; at++) {
      if ([8, 13, 18, 23].includes(at)) continue;
      expect(seen(at), `position ${at}`).toBe(at === 14 ? 1 : at === 19 ? 4 : 16);
    }
  });
});
