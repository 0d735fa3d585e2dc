import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearBrowserState, cookieNames, persistedEvents, startCore } from './testing/core.js';

const DAY = 24 * 3600_000;
let stop: Array<() => void> = [];
const tab = (consent: NonNullable<Parameters<typeof startCore>[0]>['consent'] = {}) => {
  const t = startCore({ flushInterval: DAY, consent });
  stop.push(() => t.core.destroy());
  return t;
};
const sent = () => persistedEvents().map((e) => e.event ?? e.type);
const setNavigator = (key: string, value: unknown) => Object.defineProperty(navigator, key, { value, configurable: true });

beforeEach(() => clearBrowserState());
afterEach(() => {
  for (const s of stop) s();
  stop = [];
  setNavigator('globalPrivacyControl', undefined);
  setNavigator('doNotTrack', null);
});

describe('consent, opt-out model (default)', () => {
  it('sends by default and stamps the preferences of every configured category', () => {
    const { core } = tab();
    core.track('a');
    expect(persistedEvents()[0]?.context.consent).toEqual({ categoryPreferences: { analytics: true, marketing: true } });
  });

  it('drops events of a denied category and keeps sending the others', () => {
    const { core } = tab();
    core.consent.set({ marketing: false });
    core.track('ad click', {}, { category: 'marketing' });
    core.track('view');
    expect(sent()).toEqual(['view']);
    expect(persistedEvents()[0]?.context.consent.categoryPreferences).toEqual({ analytics: true, marketing: false });
  });

  it('honours Global Privacy Control: marketing denied unless explicitly granted', () => {
    setNavigator('globalPrivacyControl', true);
    const { core } = tab();
    expect(core.consent.get()).toMatchObject({ signal: true, categories: { analytics: true, marketing: false } });
    core.track('ad click', {}, { category: 'marketing' });
    core.track('view');
    core.consent.set({ marketing: true });
    core.track('ad click 2', {}, { category: 'marketing' });
    expect(sent()).toEqual(['view', 'ad click 2']);
  });

  it('honours Do-Not-Track, and can be told to ignore both signals', () => {
    setNavigator('doNotTrack', '1');
    tab().core.track('ad', {}, { category: 'marketing' });
    expect(sent()).toEqual([]);
    tab({ honorDnt: false }).core.track('ad', {}, { category: 'marketing' });
    expect(sent()).toEqual(['ad']);
  });
});

describe('consent, opt-in model', () => {
  it('holds events in memory only until the visitor decides, then sends them on grant', () => {
    const { core } = tab({ model: 'opt-in' });
    core.page();
    core.track('a');
    expect(core.consent.get()).toMatchObject({ decided: false, categories: { analytics: undefined } });
    expect(Object.keys(localStorage)).toEqual([]);
    expect(cookieNames()).toEqual([]);
    core.consent.set({ analytics: true });
    expect(sent()).toEqual(['page', 'a']);
    expect(persistedEvents()[0]?.context.consent.categoryPreferences).toEqual({ analytics: true, marketing: false });
    // The ids are stored from the grant on.
    expect(cookieNames()).toContain('cdp_aid');
  });

  it('discards held events on deny and remembers the decision across page loads', () => {
    const first = tab({ model: 'opt-in' }).core;
    first.track('a');
    first.consent.set({ analytics: false, marketing: false });
    first.track('b');
    expect(sent()).toEqual([]);
    expect(cookieNames()).toEqual(['cdp_consent']);
    const next = tab({ model: 'opt-in' }).core;
    expect(next.consent.get()).toMatchObject({ decided: true, categories: { analytics: false } });
    next.track('c');
    expect(sent()).toEqual([]);
  });

  it('holds at most maxQueueSize events while undecided, dropping the oldest', () => {
    const t = startCore({ flushInterval: DAY, maxQueueSize: 2, consent: { model: 'opt-in' } });
    stop.push(() => t.core.destroy());
    for (const n of [1, 2, 3]) t.core.track(`e${n}`);
    t.core.consent.set({ analytics: true });
    expect(sent()).toEqual(['e2', 'e3']);
  });

  it('treats categories the visitor did not mention as denied once they decided', () => {
    const { core } = tab({ model: 'opt-in' });
    core.track('ad', {}, { category: 'marketing' });
    core.consent.set({ analytics: true });
    core.track('ad 2', {}, { category: 'marketing' });
    expect(sent()).toEqual([]);
  });
});

describe('consent.optOut', () => {
  it('stops everything and removes the cookies and storage of the SDK, remembering only the opt-out', () => {
    const { core } = tab();
    core.identify('u1', { email: 'a@example.com' });
    core.track('queued');
    expect(persistedEvents().length).toBe(2);
    core.consent.optOut();
    core.track('after');
    expect(Object.keys(localStorage)).toEqual(['cdp_consent']);
    expect(cookieNames()).toEqual(['cdp_consent']);
    expect(tab().core.consent.get()).toMatchObject({ optedOut: true, categories: { analytics: false, marketing: false } });
    expect(persistedEvents()).toEqual([]);
  });

  it('is lifted by a later grant, with a new anonymous id', () => {
    const { core } = tab();
    const before = core.anonymousId();
    core.consent.optOut();
    core.consent.set({ analytics: true });
    core.track('back');
    expect(sent()).toEqual(['back']);
    expect(persistedEvents()[0]?.anonymousId).not.toBe(before);
  });
});

describe('invalid consent calls', () => {
  it('reports instead of throwing', () => {
    const { core, codes } = tab();
    expect(() => core.consent.set({ analytics: 'yes' } as unknown as Record<string, boolean>)).not.toThrow();
    expect(codes()).toEqual(['invalid_argument']);
  });
});

