import { describe, expect, it } from 'vitest';
import { DEFAULT_SEGMENT_SETTINGS, resolveSegmentSettings, SegmentSettingsError } from './settings.js';

describe('segment settings', () => {
  it('defaults, merged partial settings, frozen', () => {
    expect(resolveSegmentSettings()).toEqual(DEFAULT_SEGMENT_SETTINGS);
    const s = resolveSegmentSettings({ lifecycle: { activeDays: 14 }, rfm: { thresholds: { monetary: 250 } } });
    expect(s.lifecycle).toEqual({ activeDays: 14, churnedDays: 30 });
    expect(s.rfm.thresholds).toEqual({ recencyDays: null, frequency: null, monetary: 250 });
    expect(s.rfm.paidEvents).toEqual(['Order Completed']);
    expect(Object.isFrozen(s.rfm.thresholds)).toBe(true);
    // The defaults are never shared with a result.
    expect(DEFAULT_SEGMENT_SETTINGS.lifecycle.activeDays).toBe(7);
  });

  it.each([
    [{ lifecycle: { activeDays: 0 } }, ['lifecycle', 'activeDays'], 'Too small: expected number to be >=1'],
    [{ lifecycle: { activeDays: 30, churnedDays: 30 } }, ['lifecycle', 'churnedDays'], 'must be greater than activeDays'],
    [{ churn: { mediumAt: 3, highAt: 2 } }, ['churn', 'highAt'], 'must be greater than mediumAt'],
    [{ rfm: { paidEvents: [] } }, ['rfm', 'paidEvents'], 'Too small: expected array to have >=1 items'],
    [{ activity: { eventTypes: ['click'] } }, ['activity', 'eventTypes', 0], 'Invalid option: expected one of "track"|"page"|"screen"|"identify"|"group"|"alias"'],
    [{ lifecycle: { active: 3 } }, ['lifecycle'], 'Unrecognized key: "active"'],
  ])('rejects %j with a message naming the setting', (input, path, message) => {
    let error: unknown;
    try {
      resolveSegmentSettings(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SegmentSettingsError);
    expect((error as SegmentSettingsError).path).toEqual(path);
    expect((error as SegmentSettingsError).message).toBe(`invalid segment setting ${path.join('.')}: ${message}`);
  });

  it('rejects a non-object', () => {
    expect(() => resolveSegmentSettings([])).toThrow(SegmentSettingsError);
  });
});
