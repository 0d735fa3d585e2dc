import { describe, expect, it } from 'vitest';
import { resolveSegmentSettings } from '../settings.js';
import { churnRisk } from './churn.js';
import { lifecycleStage } from './lifecycle.js';
import { RFM_TIER_BY_BITS, lowerMedian, rfmThresholds, rfmTier } from './rfm.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 1);
const settings = resolveSegmentSettings();
const ago = (days: number) => NOW - days * DAY;

describe('lifecycle stage (P = 7, C = 30 by default)', () => {
  it.each([
    ['no activity', null, null, null],
    ['first activity 3 days ago', 3, 1, 'new'],
    ['first activity exactly 7 days ago', 7, 1, 'new'],
    ['active within 7 days, older customer', 90, 6.9, 'active'],
    ['last activity 7 to 30 days ago', 90, 8, 'dormant'],
    ['last activity exactly 30 days ago', 90, 30, 'dormant'],
    ['last activity over 30 days ago', 90, 30.01, 'churned'],
  ] as const)('%s', (_name, first, last, stage) => {
    expect(lifecycleStage({ firstActive: first === null ? null : ago(first), lastActive: last === null ? null : ago(last), now: NOW, settings })).toBe(stage);
  });

  it('uses the configured periods', () => {
    const s = resolveSegmentSettings({ lifecycle: { activeDays: 1, churnedDays: 3 } });
    expect(lifecycleStage({ firstActive: ago(10), lastActive: ago(2), now: NOW, settings: s })).toBe('dormant');
    expect(lifecycleStage({ firstActive: ago(10), lastActive: ago(4), now: NOW, settings: s })).toBe('churned');
  });
});

describe('RFM tiers', () => {
  it('names the eight tiers as segments.md does (bits: recent, frequent, high value)', () => {
    const byBits = Object.fromEntries(RFM_TIER_BY_BITS.map((t, i) => [i.toString(2).padStart(3, '0'), t]));
    expect(byBits).toEqual({
      '111': 'important-value',
      '101': 'important-develop',
      '011': 'important-retain',
      '001': 'important-win-back',
      '110': 'general-value',
      '100': 'general-develop',
      '010': 'general-retain',
      '000': 'general-win-back',
    });
  });

  it('is high only when strictly better than the threshold', () => {
    const t = { recencyDays: 10, frequency: 3, monetary: 100 };
    expect(rfmTier({ recencyDays: 9, frequency: 4, monetary: 101 }, t)).toBe('important-value');
    expect(rfmTier({ recencyDays: 10, frequency: 3, monetary: 100 }, t)).toBe('general-win-back');
    expect(rfmTier({ recencyDays: 30, frequency: 1, monetary: 500 }, t)).toBe('important-win-back');
    expect(rfmTier({ recencyDays: 1, frequency: 9, monetary: 5 }, t)).toBe('general-value');
    expect(rfmTier({ recencyDays: 1, frequency: 0, monetary: 0 }, t)).toBeNull();
    expect(rfmTier(null, t)).toBeNull();
  });

  it('defaults thresholds to the lower medians of the profiles with a paid event', () => {
    expect(lowerMedian([4, 1, 3, 2])).toBe(2);
    expect(lowerMedian([5, 1, 3])).toBe(3);
    const population = [
      { recencyDays: 1, frequency: 2, monetary: 200 },
      { recencyDays: 15, frequency: 3, monetary: 1250 },
      { recencyDays: 60, frequency: 1, monetary: 20 },
      { recencyDays: 0, frequency: 0, monetary: 0 },
    ];
    expect(rfmThresholds(population, settings.rfm.thresholds)).toEqual({ recencyDays: 15, frequency: 2, monetary: 200 });
    expect(rfmThresholds(population, { recencyDays: 30, frequency: null, monetary: 1000 })).toEqual({ recencyDays: 30, frequency: 2, monetary: 1000 });
  });
});

describe('churn risk', () => {
  const day = (daysAgo: number) => Math.floor(ago(daysAgo) / DAY);
  it('compares recency with the usual gap between active days (documented example)', () => {
    // Active every 2 days, last seen 5 days ago: 5 / 2 = 2.5 usual gaps → medium.
    const risk = churnRisk({ activeDays: [day(11), day(9), day(7), day(5)], lastActive: ago(5), now: NOW, settings });
    expect(risk).toEqual({ level: 'medium', recencyDays: 5, usualGapDays: 2, ratio: 2.5 });
  });

  it.each([
    ['daily user seen yesterday', [4, 3, 2, 1], 1, 'low'],
    ['daily user gone 4 days', [8, 7, 6, 5, 4], 4, 'high'],
    ['weekly user seen 6 days ago', [27, 20, 13, 6], 6, 'low'],
    ['a single active day: default gap of 7', [20], 20, 'medium'],
    ['lower median of uneven gaps (1, 1, 10 → 1)', [13, 12, 11, 1], 1, 'low'],
  ] as const)('%s', (_name, days, last, level) => {
    expect(churnRisk({ activeDays: days.map(day), lastActive: ago(last), now: NOW, settings })?.level).toBe(level);
  });

  it('has no level without activity', () => {
    expect(churnRisk({ activeDays: [], lastActive: null, now: NOW, settings })).toBeNull();
  });

  it('looks back over whole UTC dates: the first date of the lookback counts, the one before does not', () => {
    const first = Math.floor((NOW - settings.churn.lookbackDays * DAY) / DAY);
    // Dates first and first + 10 are 10 days apart; first - 1 would make a gap of 1 the usual one.
    const risk = churnRisk({ activeDays: [first - 1, first, first + 10, first + 10], lastActive: (first + 10) * DAY, now: NOW, settings });
    expect(risk?.usualGapDays).toBe(10);
    expect(churnRisk({ activeDays: [first - 1], lastActive: (first - 1) * DAY, now: NOW, settings })?.usualGapDays).toBe(settings.churn.defaultGapDays);
  });
});
