import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { validateEvent } from '@cdp/protocol';
import { clearBrowserState, DEAD_HOST, persistedEvents, startCore } from './testing/core.js';
import { startSink, type Responder } from './testing/sink.js';
import { LEASE_PREFIX } from './queue.js';
import { createLockRegistry } from './testing/locks.js';

let cleanup: Array<() => unknown> = [];
const sinkWith = async (respond?: Responder) => {
  const sink = await startSink(respond);
  cleanup.push(sink.close);
  return sink;
};
const tab = (options: Parameters<typeof startCore>[0]) => {
  const t = startCore({ retryBaseDelay: 10, retryMaxDelay: 50, ...options });
  cleanup.push(() => t.core.destroy());
  return t;
};
const names = (events: Array<Record<string, unknown>>) => events.map((e) => e['event'] ?? e['type']);

beforeEach(() => clearBrowserState());
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
  Reflect.deleteProperty(navigator, 'sendBeacon');
  Reflect.deleteProperty(navigator, 'locks');
});

describe('delivery', () => {
  it('POSTs batches as text/plain JSON to /v1/batch with the write key in the body; events match the protocol', async () => {
    const sink = await sinkWith();
    const { core, errors } = tab({ host: sink.url, flushInterval: 20 });
    core.page('Home');
    core.identify('u1', { plan: 'pro' });
    core.track('Clicked', { n: 1 });
    core.group('g1', { name: 'Acme' });
    core.alias('u2');
    await vi.waitFor(() => expect(sink.events()).toHaveLength(5));
    expect(sink.requests).toHaveLength(1);
    const [request] = sink.requests;
    expect(request?.path).toBe('/v1/batch');
    expect(request?.headers['content-type']).toBe('text/plain');
    const body = JSON.parse(request?.body ?? '{}') as { writeKey: string; sentAt: string };
    expect(body.writeKey).toBe('wk_test');
    expect(Number.isNaN(Date.parse(body.sentAt))).toBe(false);
    for (const event of sink.events()) expect(validateEvent(event)).toMatchObject({ ok: true });
    const track = sink.events()[2] as Record<string, Record<string, unknown>>;
    expect(track['context']).toMatchObject({
      library: { name: '@cdp/sdk-web', version: '0.1.0' },
      page: { path: '/products', search: '?utm_source=news&utm_campaign=spring', url: location.href },
      campaign: { name: 'spring', source: 'news' },
      userAgent: navigator.userAgent,
      locale: navigator.language,
      consent: { categoryPreferences: { analytics: true, marketing: true } },
    });
    expect(typeof track['context']?.['sessionId']).toBe('number');
    expect(sink.events()[4]).toMatchObject({ type: 'alias', previousId: 'u1', userId: 'u2' });
    // The sink has the request before the SDK has the response: removal from the queue comes after.
    await vi.waitFor(() => expect(persistedEvents()).toEqual([]));
    expect(errors).toEqual([]);
  });

  it('wire format of a track event (normalised snapshot: a change to what goes over the wire shows in review)', async () => {
    const sink = await sinkWith();
    const { core } = tab({ host: sink.url, flushInterval: 0 });
    core.track('Order Completed', { revenue: 9.5 }, { category: 'analytics', timestamp: new Date('2026-01-02T03:04:05.678Z') });
    await vi.waitFor(() => expect(sink.events()).toHaveLength(1));
    const volatile = new Set(['messageId', 'anonymousId', 'sessionId', 'userAgent', 'locale', 'timezone']);
    const normalised = JSON.parse(JSON.stringify(sink.events()[0]), (key, value: unknown) =>
      volatile.has(key) ? `<${key}>` : value,
    ) as unknown;
    expect(normalised).toMatchInlineSnapshot(`
      {
        "anonymousId": "<anonymousId>",
        "context": {
          "campaign": {
            "name": "spring",
            "source": "news",
          },
          "consent": {
            "categoryPreferences": {
              "analytics": true,
              "marketing": true,
            },
          },
          "library": {
            "name": "@cdp/sdk-web",
            "version": "0.1.0",
          },
          "locale": "<locale>",
          "page": {
            "path": "/products",
            "referrer": "",
            "search": "?utm_source=news&utm_campaign=spring",
            "title": "",
            "url": "https://www.shop.example.co.uk/products?utm_source=news&utm_campaign=spring",
          },
          "screen": {
            "density": 1,
            "height": 0,
            "width": 0,
          },
          "sessionId": "<sessionId>",
          "timezone": "<timezone>",
          "userAgent": "<userAgent>",
        },
        "event": "Order Completed",
        "messageId": "<messageId>",
        "properties": {
          "revenue": 9.5,
        },
        "timestamp": "2026-01-02T03:04:05.678Z",
        "type": "track",
      }
    `);
  });

  it('sends at once when flushAt events are queued', async () => {
    const sink = await sinkWith();
    const { core } = tab({ host: sink.url, flushAt: 3, flushInterval: 60_000 });
    for (const n of [1, 2, 3]) core.track(`e${n}`);
    await vi.waitFor(() => expect(names(sink.events())).toEqual(['e1', 'e2', 'e3']));
  });

  it('retries 503 and 429 (honouring Retry-After) with the same messageIds, then delivers once', async () => {
    const statuses = [503, 429];
    const sink = await sinkWith((_, i) => {
      const status = statuses[i];
      return status ? { status, headers: status === 429 ? { 'retry-after': '0' } : {} } : { status: 200 };
    });
    const { core, errors } = tab({ host: sink.url, flushInterval: 0 });
    core.track('a');
    core.track('b');
    await vi.waitFor(() => expect(sink.requests).toHaveLength(3));
    const batches = sink.requests.map((r) => (JSON.parse(r.body) as { batch: Array<{ messageId: string }> }).batch.map((e) => e.messageId));
    expect(batches[1]).toEqual(batches[0]);
    expect(batches[2]).toEqual(batches[0]);
    expect(errors.map((e) => [e.code, e.details.status, e.details.attempt])).toEqual([
      ['delivery_failed', 503, 1],
      ['delivery_failed', 429, 2],
    ]);
    await vi.waitFor(() => expect(persistedEvents()).toEqual([]));
  });

  it('drops what the API refuses for good (4xx, rejected entries) and reports it', async () => {
    const sink = await sinkWith((r) =>
      r.body.includes('"bad"')
        ? { status: 400, body: { error: { code: 'invalid_body', message: 'no' } } }
        : { status: 200, body: { success: true, accepted: 1, rejected: [{ index: 1, code: 'invalid_event', message: 'x' }] } },
    );
    const { core, errors } = tab({ host: sink.url, flushInterval: 0 });
    core.track('bad');
    await vi.waitFor(() => expect(errors.map((e) => e.code)).toEqual(['event_rejected']));
    core.track('ok');
    core.track('refused');
    await vi.waitFor(() => expect(errors).toHaveLength(2));
    expect(errors[1]?.details.messageIds).toEqual([sink.events()[2]?.['messageId']]);
    expect(persistedEvents()).toEqual([]);
  });

  it('keeps events through an offline period and a reload, and the next page load sends them once', async () => {
    const offline = tab({ host: DEAD_HOST, flushInterval: 0, retryBaseDelay: 60_000, retryMaxDelay: 60_000 });
    offline.core.track('while offline 1');
    offline.core.track('while offline 2');
    await vi.waitFor(() => expect(offline.codes()).toContain('delivery_failed'));
    window.dispatchEvent(new Event('pagehide')); // reload: the failing page hands its queue over
    offline.core.destroy();
    expect(names(persistedEvents() as unknown as Array<Record<string, unknown>>)).toEqual(['while offline 1', 'while offline 2']);
    const sink = await sinkWith();
    tab({ host: sink.url, flushInterval: 0 });
    // Without Web Locks (jsdom has none) the next page confirms its claim first (CLAIM_WAIT_MS, jittered).
    await vi.waitFor(() => expect(names(sink.events())).toEqual(['while offline 1', 'while offline 2']), { timeout: 5000 });
    await vi.waitFor(() => expect(persistedEvents()).toEqual([]));
  });

  it('with Web Locks: what a closed tab left is sent once, by one of the tabs that raced for it', async () => {
    const registry = createLockRegistry();
    const withLocks = (options: Parameters<typeof startCore>[0]) => {
      const locks = registry.tab();
      Object.defineProperty(navigator, 'locks', { configurable: true, value: locks });
      cleanup.push(() => locks.close());
      return { ...tab(options), locks };
    };
    const closing = withLocks({ host: DEAD_HOST, flushInterval: 0, retryBaseDelay: 60_000, retryMaxDelay: 60_000 });
    closing.core.track('left 1');
    closing.core.track('left 2');
    await vi.waitFor(() => expect(closing.codes()).toContain('delivery_failed'));
    expect(closing.locks.held()).toHaveLength(1);
    window.dispatchEvent(new Event('pagehide')); // the tab closes (the only one listening so far)
    closing.core.destroy();
    await vi.waitFor(() => expect(closing.locks.held()).toEqual([])); // given up at once, not when the tab is gone
    const sink = await sinkWith();
    const others = [withLocks({ host: sink.url, flushInterval: 0 }), withLocks({ host: sink.url, flushInterval: 0 })];
    await vi.waitFor(() => expect(names(sink.events())).toEqual(['left 1', 'left 2']));
    await vi.waitFor(() => expect(persistedEvents()).toEqual([]));
    for (const other of others) other.core.track('ping'); // later sends carry only new events
    await vi.waitFor(() => expect(names(sink.events())).toEqual(['left 1', 'left 2', 'ping', 'ping']));
    expect(others.flatMap((o) => o.codes())).toEqual([]);
  });

  it('retries at once when the browser comes back online', async () => {
    let up = false;
    const sink = await sinkWith(() => ({ status: up ? 200 : 503 }));
    const { core } = tab({ host: sink.url, flushInterval: 0, retryBaseDelay: 60_000, retryMaxDelay: 60_000 });
    core.track('a');
    await vi.waitFor(() => expect(sink.requests).toHaveLength(1));
    up = true;
    window.dispatchEvent(new Event('online'));
    await vi.waitFor(() => expect(sink.requests).toHaveLength(2));
    await vi.waitFor(() => expect(persistedEvents()).toEqual([]));
  });

  it('on pagehide hands queued events to sendBeacon in chunks under 64 KB; what the browser refuses stays for the next page', async () => {
    const beacons: string[] = [];
    Object.defineProperty(navigator, 'sendBeacon', {
      configurable: true,
      value: (url: string, body: string) => {
        expect(url).toBe(`${DEAD_HOST}/v1/batch`);
        if (beacons.length === 2) return false; // the browser's keepalive quota is used up
        beacons.push(body);
        return true;
      },
    });
    const { core } = tab({ host: DEAD_HOST, flushInterval: 60_000 });
    for (let i = 0; i < 12; i++) core.track(`big ${i}`, { blob: 'x'.repeat(20_000) });
    window.dispatchEvent(new Event('pagehide'));
    expect(beacons).toHaveLength(2);
    for (const body of beacons) expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(64 * 1024);
    const beaconed = beacons.flatMap((b) => (JSON.parse(b) as { batch: Array<{ event: string }> }).batch.map((e) => e.event));
    const left = persistedEvents().map((e) => e.event);
    expect([...beaconed, ...left]).toEqual(Array.from({ length: 12 }, (_, i) => `big ${i}`));
    expect(left.length).toBeGreaterThan(0);
    // The lease is released so that the next page load adopts the rest at once.
    const lease = Object.keys(localStorage).find((k) => k.startsWith(LEASE_PREFIX));
    expect(localStorage.getItem(lease ?? '')?.startsWith('0:')).toBe(true);
  });
});

describe('plugins and errors', () => {
  it('runs beforeSend in order: enrich, redact, drop; a throwing plugin drops the event and reports', async () => {
    const sink = await sinkWith();
    const { core, codes } = tab({
      host: sink.url,
      flushInterval: 0,
      plugins: [{ name: 'enrich', beforeSend: (e) => ({ ...e, properties: { ...e.properties, app: 'shop' } }) }],
    });
    core.use({ name: 'redact', beforeSend: (e) => ({ ...e, properties: { ...e.properties, email: undefined } }) });
    core.use({ name: 'drop-internal', beforeSend: (e) => (e.event === 'internal' ? null : e) });
    core.use({ name: 'broken', beforeSend: (e) => (e.event === 'boom' ? JSON.parse('{') : e) });
    core.track('signup', { email: 'a@example.com' });
    core.track('internal');
    core.track('boom');
    await vi.waitFor(() => expect(names(sink.events())).toEqual(['signup']));
    expect(sink.events()[0]?.['properties']).toEqual({ app: 'shop' });
    expect(codes()).toEqual(['plugin_failed']);
  });

  it('never throws into the host page: bad calls become invalid_argument errors', () => {
    const { core, codes } = tab({ host: DEAD_HOST });
    const bad = core as unknown as Record<string, (...a: unknown[]) => void>;
    expect(() => {
      bad['track']?.('');
      bad['track']?.('x', [1]);
      bad['identify']?.(42);
      bad['group']?.(undefined);
      bad['alias']?.('');
      bad['page']?.('Home', 'props');
    }).not.toThrow();
    expect(codes()).toEqual(Array(6).fill('invalid_argument'));
    core.track('too big', { blob: 'x'.repeat(40_000) });
    expect(codes().at(-1)).toBe('event_too_large');
  });
});
