import { validateEvent } from '@cdp/protocol';
import { describe, expect, it } from 'vitest';
import { demoBatches } from './generate.js';
import { resolveDemoOptions } from './options.js';
import { personEvents } from './wallet.js';

const END = Date.UTC(2026, 10, 1);
const world = { seed: 7, end: END, days: 365, meanEvents: 10 };

describe('demo wallet world', () => {
  it('is deterministic per (seed, person), whatever else is generated', () => {
    expect(personEvents(world, 42)).toEqual(personEvents(world, 42));
    expect(personEvents({ ...world, seed: 8 }, 42)).not.toEqual(personEvents(world, 42));
    const batches = [...demoBatches({ profiles: 100, events: 1_000, seed: 7, days: 365, end: END }, 300)];
    expect(batches.flatMap((b) => b.events).filter((e) => e.messageId.startsWith('demo-7-42-'))).toEqual(personEvents(world, 42));
    expect(batches.reduce((n, b) => n + b.people, 0)).toBe(100);
  });

  it('writes valid Segment events, in time order, within the history, near the target volume', () => {
    const people = 2_000;
    let events = 0;
    const types = new Map<string, number>();
    for (let i = 0; i < people; i++) {
      const list = personEvents(world, i);
      events += list.length;
      for (const [j, e] of list.entries()) {
        expect(validateEvent(e).ok).toBe(true);
        const t = Date.parse(e.timestamp);
        expect(t).toBeLessThanOrEqual(END);
        expect(t).toBeGreaterThanOrEqual(END - 366 * 86_400_000);
        if (j > 0) expect(e.timestamp >= (list[j - 1]?.timestamp ?? '')).toBe(true);
        const key = e['type'] === 'track' ? String(e['event']) : String(e['type']);
        types.set(key, (types.get(key) ?? 0) + 1);
      }
    }
    expect(events / people).toBeGreaterThan(7);
    expect(events / people).toBeLessThan(11);
    for (const name of ['Signed Up', 'Logged In', 'Top Up Completed', 'Transfer Completed', 'Purchase Completed', 'Card Application Submitted', 'Message Sent', 'identify', 'page']) {
      expect(types.get(name) ?? 0, name).toBeGreaterThan(0);
    }
  });

  it('validates its options', () => {
    expect(() => resolveDemoOptions({ mode: 'http' })).toThrow('invalid option writeKey: is required in http mode');
    expect(() => resolveDemoOptions({ profiles: 0 })).toThrow(/^invalid option profiles: /);
    expect(resolveDemoOptions({ profiles: 5 })).toMatchObject({ profiles: 5, events: 100_000, mode: 'bulk' });
  });
});
