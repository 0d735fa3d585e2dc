import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loaderSnippet, SNIPPET_METHODS } from './snippet.js';
import { clearBrowserState, DEAD_HOST, persistedEvents } from './testing/core.js';

type Stub = { q: Array<[string, unknown[]]>; consent: Record<string, unknown> } & Record<string, unknown>;
const run = (code: string) => new Function(code)() as void;
const global = window as unknown as { cdp?: Stub };

afterAll(() => clearBrowserState());

describe('loader snippet', () => {
  it('queues every call made before the script loads, then the IIFE entry replays them in order', async () => {
    clearBrowserState();
    run(loaderSnippet({ src: '/cdp.global.js' }));
    const script = document.head.querySelector('script');
    expect(script?.getAttribute('src')).toBe('/cdp.global.js');
    expect(script?.async).toBe(true);
    const cdp = global.cdp!;
    for (const name of SNIPPET_METHODS) {
      const [head, tail] = name.split('.');
      expect(typeof (tail ? cdp.consent[tail] : cdp[head!]), name).toBe('function');
    }
    const errors: unknown[] = [];
    (cdp['on'] as (t: string, f: (e: unknown) => void) => void)('error', (e) => errors.push(e));
    (cdp['init'] as (o: object) => void)({ writeKey: 'wk', host: DEAD_HOST, flushInterval: 60_000 });
    (cdp['page'] as () => void)();
    (cdp['track'] as (e: string) => void)('before load');
    const calledAt = Date.now();
    (cdp.consent['set'] as (c: object) => void)({ marketing: false });
    (cdp['track'] as (e: string, p: object, o: object) => void)('ad', {}, { category: 'marketing' });
    expect(cdp.q.map(([n]) => n)).toEqual(['on', 'init', 'page', 'track', 'consent.set', 'track']);
    expect(persistedEvents()).toEqual([]);

    await new Promise((r) => setTimeout(r, 20));
    await import('./browser.js'); // the script arrives, later
    const api = global.cdp as unknown as typeof import('./index.js');
    expect(typeof api.anonymousId()).toBe('string');
    expect(persistedEvents().map((e) => e.event ?? e.type)).toEqual(['page', 'before load']);
    // Replayed events keep the time of the call, not of the replay.
    expect(Date.parse(persistedEvents()[1]!.timestamp)).toBeLessThanOrEqual(calledAt);
    expect(api.consent.get()?.categories).toMatchObject({ marketing: false });
    expect(errors).toEqual([]);

    // Pasting the snippet again once loaded changes nothing.
    run(loaderSnippet({ src: '/other.js' }));
    expect(global.cdp).toBe(api);
    expect(document.head.querySelectorAll('script')).toHaveLength(1);
  });

  it('is the snippet the README tells people to paste', () => {
    const readme = readFileSync(fileURLToPath(new globalThis.URL('../README.md', import.meta.url).href), 'utf8');
    expect(readme).toContain(loaderSnippet({ src: 'https://YOUR-CDN/cdp.global.js' }));
  });
});
