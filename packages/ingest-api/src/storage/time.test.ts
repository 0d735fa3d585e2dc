import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from './time.js';

describe('isoTime', () => {
  it('writes what Date#toISOString writes, for any integral millisecond of years 0-9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it('is exact at the edges of days, months, leap years and its range', () => {
    const edges = [
      0, -1, 1, 86_399_999, 86_400_000, Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(1900, 1, 28), Date.UTC(1900, 2, 1) - 1,
      Date.UTC(2100, 1, 28, 12), Date.UTC(2299, 11, 31, 23, 59, 59, 999), -62_167_219_200_000, 253_402_300_799_999,
    ];
    for (const ms of edges) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('defers to Date outside its range and for fractional times', () => {
    for (const ms of [-62_167_219_200_001, 253_402_300_800_000, 1.5, 8.64e15]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
