import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { cdp, SITE, startE2E, unique, type E2E } from './harness.js';

let e2e: E2E;
const contexts: BrowserContext[] = [];
const newContext = async () => {
  const context = await e2e.browser.newContext();
  contexts.push(context);
  return context;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
};
/** The persisted queues of the page's origin (every tab's), by key. */
const queuesIn = (page: Page) =>
  page.evaluate(() =>
    Object.fromEntries(
      Object.keys(localStorage)
        .filter((k) => k.startsWith('cdp_q_'))
        .map((k) => [k, (JSON.parse(localStorage.getItem(k) ?? '[]') as unknown[]).length]),
    ),
  );
/** Events still queued in the origin's storage: none once everything was delivered. */
const queuedIn = async (page: Page) => Object.values(await queuesIn(page)).reduce((a, b) => a + b, 0);
/** Names of the Web Locks held in the page's origin (by any tab). */
const heldLocks = (page: Page) => page.evaluate(async () => ((await navigator.locks.query()).held ?? []).map((l) => l.name ?? ''));
/**
 * Proof that something did NOT happen (a repeat send) waits first until every queue is empty (every send was
 * answered: a tab that had taken a copy would still hold it), then this long more, a generous margin for what
 * the browser and the API report late (FAST retries wait at most 400 ms).
 */
const QUIET_MS = 2000;
const errorsOf = (page: Page) => page.evaluate(() => (window as unknown as { sdkErrors: Array<{ code: string }> }).sdkErrors.map((e) => e.code));
/** Retries quickly so that the tests do not wait on the default backoff. */
const FAST = { retryBaseDelay: 100, retryMaxDelay: 400 };
/**
 * After its first failure, a page that retries this slowly sends nothing more by itself, so nothing of it is in
 * flight when it unloads. A request in flight then outlives the page (the browser keeps keepalive requests
 * going, and the context's route no longer intercepts them): it can reach the API while the tab that adopts the
 * same events resends them. The API stores them once (messageId dedup) but counts a duplicate, which the
 * "sent once" checks below are about.
 */
const SLOW = { retryBaseDelay: 60_000, retryMaxDelay: 60_000 };

beforeAll(async () => {
  e2e = await startE2E();
}, 60_000);
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await e2e?.close();
});

describe('web SDK in Chromium against the ingestion API', () => {
  it('(harness) the API counts a repeated messageId, so "no duplicate" checks below mean something', async () => {
    const before = await e2e.duplicatesSeen();
    const body = JSON.stringify({ writeKey: e2e.api.writeKey, batch: [{ type: 'track', event: unique('dup'), anonymousId: 'a', messageId: unique('m') }] });
    for (let i = 0; i < 2; i++) await fetch(`${e2e.api.url}/v1/batch`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
    expect(await e2e.duplicatesSeen()).toBe(before + 1);
  });

  it('delivers events with their context', async () => {
    const context = await newContext();
    const p = unique('context');
    const page = await e2e.open(context, { flushInterval: 50, utm_campaign: 'spring', utm_source: 'e2e' });
    await cdp(page, 'identify', 'user-1', { plan: 'pro' });
    await cdp(page, 'track', `${p}clicked`, { n: 1 });
    const [row] = await e2e.rowsFor(p, 1);
    const anonymousId = await cdp(page, 'anonymousId');
    expect(row).toMatchObject({ type: 'track', event: `${p}clicked`, anonymous_id: anonymousId, user_id: 'user-1' });
    const context_ = JSON.parse(row!.context) as Record<string, unknown>;
    expect(context_).toMatchObject({
      library: { name: '@cdp/sdk-web', version: '0.1.0' },
      page: { path: '/', url: page.url(), title: 'CDP web SDK example' },
      campaign: { name: 'spring', source: 'e2e' },
      userAgent: expect.stringContaining('Chrome') as unknown,
      locale: expect.any(String) as unknown,
      timezone: expect.any(String) as unknown,
      screen: { width: expect.any(Number) as unknown },
      consent: { categoryPreferences: { analytics: true, marketing: true } },
    });
    expect(typeof context_['sessionId']).toBe('number');
    // The page view of the load and the identify arrived for the same visitor.
    const others = await e2e.rowsWhere('anonymous_id = {a:String} AND type != {t:String}', { a: anonymousId, t: 'track' });
    expect(others.map((r) => r.type).sort()).toEqual(['identify', 'page']);
    expect(await errorsOf(page)).toEqual([]);
  });

  it('events queued before a reload arrive exactly once after it (API up, and API down during the reload)', async () => {
    const context = await newContext();
    const duplicatesBefore = await e2e.duplicatesSeen();
    const p = unique('reload');
    // API up: events wait for the flush interval; the reload hands them to sendBeacon.
    const page = await e2e.open(context, { flushInterval: 60_000, nopage: true, ...SLOW });
    for (const n of [1, 2, 3]) await cdp(page, 'track', `${p}up-${n}`);
    await page.reload();
    expect((await e2e.rowsFor(`${p}up-`, 3)).map((r) => r.event)).toEqual([1, 2, 3].map((n) => `${p}up-${n}`));
    // API down: sending fails, the events stay persisted through the reload and go once it is back.
    const restore = await e2e.cutApi(context);
    for (const n of [1, 2, 3]) await cdp(page, 'track', `${p}down-${n}`);
    await cdp(page, 'flush');
    await until(async () => (await errorsOf(page)).includes('delivery_failed'));
    await page.reload();
    // The reloaded page adopted the events and tried to send them while the API was still down.
    await until(async () => (await errorsOf(page)).includes('delivery_failed'));
    await restore();
    await cdp(page, 'flush'); // rather than wait out the slow backoff
    const rows = await e2e.rowsFor(`${p}down-`, 3);
    expect(rows.map((r) => r.event)).toEqual([1, 2, 3].map((n) => `${p}down-${n}`));
    await until(async () => (await queuedIn(page)) === 0);
    await sleep(QUIET_MS); // a repeat, if any, would show up by now
    // Each event went over the wire once (the beacons of the first reload included): the API saw no duplicate.
    expect(await e2e.duplicatesSeen()).toBe(duplicatesBefore);
  });

  it('events tracked while the API is unreachable arrive once it is back', async () => {
    const context = await newContext();
    const sent = e2e.recordDeliveries(context);
    const restore = await e2e.cutApi(context);
    const p = unique('offline');
    const page = await e2e.open(context, { flushInterval: 50, nopage: true, ...FAST });
    await cdp(page, 'track', `${p}1`);
    await cdp(page, 'track', `${p}2`);
    await until(() => sent.attempts.length >= 3); // retried with backoff
    expect(await e2e.rowsFor(p, 1, 0)).toEqual([]);
    await restore();
    const rows = await e2e.rowsFor(p, 2);
    expect(rows.map((r) => r.event)).toEqual([`${p}1`, `${p}2`]);
    await until(() => sent.delivered.length >= 2);
    expect(sent.delivered).toEqual(rows.map((r) => r.message_id));
  });

  it('events tracked right before the tab closes arrive', async () => {
    const context = await newContext();
    const p = unique('close');
    const page = await e2e.open(context, { flushInterval: 60_000, nopage: true });
    await cdp(page, 'track', `${p}1`, { big: 'x'.repeat(1000) });
    await cdp(page, 'track', `${p}2`);
    await page.close({ runBeforeUnload: true });
    expect((await e2e.rowsFor(p, 2)).map((r) => r.event)).toEqual([`${p}1`, `${p}2`]);
  });

  it('opt-in: nothing is sent or stored before the decision; deny discards, grant sends what was held', async () => {
    const denied = await newContext();
    const deniedSends = e2e.recordDeliveries(denied);
    const p = unique('consent');
    const deny = await e2e.open(denied, { model: 'opt-in', flushInterval: 50 });
    await cdp(deny, 'track', `${p}denied-1`);
    await cdp(deny, 'consent.set', { analytics: false, marketing: false });
    await cdp(deny, 'track', `${p}denied-2`);

    const granted = await newContext();
    const grant = await e2e.open(granted, { model: 'opt-in', flushInterval: 50 });
    await cdp(grant, 'track', `${p}granted-1`);
    await cdp(grant, 'track', `${p}granted-2`);
    await sleep(1000); // 20 flush intervals: had anything been sent or stored, it would be by now
    // Held in memory only: no cookie, no localStorage, no request.
    expect(await grant.evaluate(() => [document.cookie, localStorage.length])).toEqual(['', 0]);
    expect(await e2e.rowsFor(`${p}granted`, 1, 0)).toEqual([]);
    await cdp(grant, 'consent.set', { analytics: true });
    const rows = await e2e.rowsFor(`${p}granted`, 2);
    expect(rows.map((r) => r.event)).toEqual([`${p}granted-1`, `${p}granted-2`]);
    expect(JSON.parse(rows[0]!.context)).toMatchObject({ consent: { categoryPreferences: { analytics: true, marketing: false } } });
    const anonymousId = await cdp(grant, 'anonymousId');
    expect((await e2e.rowsWhere('anonymous_id = {a:String} AND type = {t:String}', { a: anonymousId, t: 'page' })).length).toBe(1);

    // The granted visitor's events are stored by now: the denied visitor's never were, nor sent.
    expect(await e2e.rowsFor(`${p}denied`, 1, 0)).toEqual([]);
    expect(deniedSends.attempts).toEqual([]);
    expect(await deny.evaluate(() => document.cookie)).toBe(`cdp_consent=${encodeURIComponent(JSON.stringify({ d: { analytics: false, marketing: false } }))}`);
  });

  it('Global Privacy Control on: marketing-only events are not sent, analytics events are', async () => {
    const context = await newContext();
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }));
    const sent = e2e.recordDeliveries(context);
    const p = unique('gpc');
    const page = await e2e.open(context, { flushInterval: 50, nopage: true });
    await cdp(page, 'track', `${p}ad-click`, {}, { category: 'marketing' });
    await cdp(page, 'track', `${p}view`);
    await cdp(page, 'flush');
    const rows = await e2e.rowsFor(p, 1);
    expect(rows.map((r) => r.event)).toEqual([`${p}view`]);
    expect(JSON.parse(rows[0]!.context)).toMatchObject({ consent: { categoryPreferences: { analytics: true, marketing: false } } });
    // The browser reports the response after the API stored the row: wait for it rather than assume it.
    await until(() => sent.delivered.length >= 1);
    expect(sent.delivered).toEqual([rows[0]!.message_id]);
  });

  it('one anonymous id for two subdomains of a site', async () => {
    const context = await newContext();
    const p = unique('subdomains');
    const a = await e2e.open(context, { flushInterval: 50, nopage: true }, `a.${SITE}`);
    await cdp(a, 'track', `${p}on-a`);
    const b = await e2e.open(context, { flushInterval: 50, nopage: true }, `b.${SITE}`);
    await cdp(b, 'track', `${p}on-b`);
    const rows = await e2e.rowsFor(p, 2);
    expect(rows.map((r) => r.event)).toEqual([`${p}on-a`, `${p}on-b`]);
    expect(rows[1]!.anonymous_id).toBe(rows[0]!.anonymous_id);
    const cookie = (await context.cookies()).find((c) => c.name === 'cdp_aid');
    expect(cookie).toMatchObject({ domain: `.${SITE}`, value: rows[0]!.anonymous_id, sameSite: 'Lax', secure: false });
  });

  it('tabs sharing a persisted queue: a closed tab is adopted by exactly one other, and nothing is sent twice', async () => {
    const context = await newContext();
    const sent = e2e.recordDeliveries(context);
    const restore = await e2e.cutApi(context);
    const duplicatesBefore = await e2e.duplicatesSeen();
    const p = unique('tabs');
    const query = { flushInterval: 50, nopage: true, ...FAST };
    const [a, b, c] = [await e2e.open(context, { ...query, ...SLOW }), await e2e.open(context, query), await e2e.open(context, query)];
    // Chromium on 127.0.0.1 (a secure context) has Web Locks: each tab holds the lock of its own queue.
    await until(async () => (await heldLocks(b!)).filter((n) => n.startsWith('cdp_q_')).length === 3);
    for (let n = 0; n < 5; n++) {
      await cdp(a!, 'track', `${p}a-${n}`);
      await cdp(b!, 'track', `${p}b-${n}`);
    }
    // a tried once and failed: it has nothing in flight (see SLOW).
    await until(async () => (await errorsOf(a!)).includes('delivery_failed') && (await errorsOf(b!)).includes('delivery_failed'));
    const before = Object.keys(await queuesIn(b!)); // a's queue and b's (c has queued nothing)
    const locksBefore = (await heldLocks(b!)).filter((n) => n.startsWith('cdp_q_')).sort();
    await a!.close({ runBeforeUnload: true }); // releases its queue: b and c race for it
    // a's queue was adopted while the API was still down: it is gone, and its 5 events are queued in another tab.
    await until(async () => {
      const now = await queuesIn(b!);
      return before.filter((k) => now[k] === undefined).length === 1 && Object.values(now).reduce((x, y) => x + y, 0) === 10;
    });
    // The adopter keeps a's lock (its removal of a's queue may reach the other tab's storage later than the lock).
    expect((await heldLocks(b!)).filter((n) => n.startsWith('cdp_q_')).sort()).toEqual(locksBefore);
    await restore();
    const rows = await e2e.rowsFor(p, 10);
    expect(rows).toHaveLength(10);
    await until(() => rows.every((r) => sent.by.has(r.message_id)));
    await until(async () => (await queuedIn(b!)) === 0);
    await sleep(QUIET_MS); // a duplicate send, if any, would show up by now
    expect(sent.delivered.filter((id) => rows.some((r) => r.message_id === id))).toHaveLength(10);
    expect(await e2e.duplicatesSeen()).toBe(duplicatesBefore);
    // a's events were sent by one tab that adopted them.
    const senders = new Set(rows.filter((r) => r.event.startsWith(`${p}a-`)).flatMap((r) => sent.by.get(r.message_id) ?? []));
    expect(senders.size).toBe(1);
    expect([b, c]).toContain([...senders][0]);
  });
});
