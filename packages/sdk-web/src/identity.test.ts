import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearBrowserState, cookieNames, persistedEvents, startCore } from './testing/core.js';

const DAY = 24 * 3600_000;
let stop: Array<() => void> = [];
const tab = (options: Parameters<typeof startCore>[0] = {}) => {
  const t = startCore({ flushInterval: DAY, ...options });
  stop.push(() => t.core.destroy());
  return t;
};

beforeEach(() => {
  clearBrowserState();
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  vi.setSystemTime(new Date('2026-03-01T10:00:00Z'));
});
afterEach(() => {
  for (const s of stop) s();
  stop = [];
  vi.useRealTimers();
});

describe('identity', () => {
  it('keeps a UUID v4 anonymous id in a cookie on the registrable domain, mirrored in localStorage', () => {
    const { core } = tab();
    const id = core.anonymousId();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(document.cookie).toContain(`cdp_aid=${id}`);
    expect(localStorage.getItem('cdp_aid')).toBe(id);
    // A second page load (another subdomain would read the same cookie) gets the same id.
    expect(tab().core.anonymousId()).toBe(id);
  });

  it('falls back to localStorage when the cookie is gone, and to memory when storage is blocked', () => {
    const { core } = tab();
    const id = core.anonymousId();
    document.cookie = 'cdp_aid=; path=/; max-age=0; domain=example.co.uk';
    expect(tab().core.anonymousId()).toBe(id);
    const blocked = vi.spyOn(window, 'localStorage', 'get').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError');
    });
    document.cookie = 'cdp_aid=; path=/; max-age=0; domain=example.co.uk';
    const memoryOnly = tab().core;
    memoryOnly.track('still works');
    expect(memoryOnly.anonymousId()).toBe(memoryOnly.anonymousId());
    blocked.mockRestore();
  });

  it('identify persists the user id and merges traits; a different user starts with fresh traits', () => {
    const { core } = tab();
    core.identify('u1', { plan: 'pro' });
    core.identify(null, { seats: 3 });
    expect(tab().core.userId()).toBe('u1');
    core.identify('u2', { name: 'B' });
    const events = persistedEvents().filter((e) => e.type === 'identify');
    expect(events.map((e) => [e.userId, e.traits])).toEqual([
      ['u1', { plan: 'pro' }],
      ['u1', { plan: 'pro', seats: 3 }],
      ['u2', { name: 'B' }],
    ]);
  });

  it('reset gives a new anonymous id and clears the user id and traits (shared devices)', () => {
    const { core } = tab();
    core.identify('u1', { email: 'a@example.com' });
    const before = core.anonymousId();
    core.reset();
    core.track('after logout');
    const after = persistedEvents().at(-1);
    expect(after?.anonymousId).not.toBe(before);
    expect(after?.userId).toBeUndefined();
    expect(localStorage.getItem('cdp_traits')).toBeNull();
    expect(cookieNames()).not.toContain('cdp_uid');
    core.identify(null, { plan: 'free' });
    expect(persistedEvents().at(-1)?.traits).toEqual({ plan: 'free' });
  });
});

describe('session', () => {
  it('keeps the session id while events come within 30 minutes and starts a new one after', () => {
    const { core } = tab();
    core.track('a');
    vi.advanceTimersByTime(29 * 60_000);
    core.track('b');
    vi.advanceTimersByTime(29 * 60_000);
    core.track('c');
    vi.advanceTimersByTime(30 * 60_000 + 1);
    core.track('d');
    const ids = persistedEvents().map((e) => e.context.sessionId);
    expect(ids[0]).toBe(Date.parse('2026-03-01T10:00:00Z'));
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).toBe(ids[0]);
    expect(ids[3]).toBe(Date.now());
  });

  it('honours a configured timeout and starts a new session on reset', () => {
    const { core } = tab({ sessionTimeout: 1000 });
    core.track('a');
    vi.advanceTimersByTime(1001);
    core.track('b');
    vi.advanceTimersByTime(10);
    core.reset();
    core.track('c');
    const [a, b, c] = persistedEvents().map((e) => e.context.sessionId);
    expect(b).not.toBe(a);
    expect(c).not.toBe(b);
  });
});
