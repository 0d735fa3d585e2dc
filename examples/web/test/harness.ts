import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { startTestApi, type TestApi } from '@cdp/ingest-api/testing';
import { startExampleServer, type ExampleServer } from '../server.mjs';

/** Debian's chromium (apt-get install chromium); playwright's own browser download is not used. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** A test site with subdomains (`a.shop.test`, `b.shop.test`), resolved to loopback by Chromium. */
export const SITE = 'shop.test';

export interface EventRow {
  message_id: string;
  type: string;
  event: string;
  anonymous_id: string;
  user_id: string;
  context: string;
}

export interface PageQuery {
  flushInterval?: number;
  flushAt?: number;
  retryBaseDelay?: number;
  retryMaxDelay?: number;
  model?: 'opt-in' | 'opt-out';
  nopage?: boolean;
  [utm: `utm_${string}`]: string;
}

/**
 * One ingestion API (real server, embedded ClickHouse), the example page's
 * server and one headless Chromium, shared by the tests of a file; each test
 * opens its own browser context (its own cookies and storage).
 */
export async function startE2E() {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  const api: TestApi = await startTestApi();
  const site: ExampleServer = await startExampleServer({ port: 0, apiUrl: api.url, writeKey: api.writeKey });
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      // Without these Chromium dials out at start, and this machine's closed network refuses it.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--host-resolver-rules=MAP *.${SITE} 127.0.0.1`,
    ],
  });
  const batchUrl = `${api.url}/v1/batch`;

  /** Opens the example page and waits until the SDK script has loaded. */
  async function open(context: BrowserContext, query: PageQuery = {}, host = '127.0.0.1'): Promise<Page> {
    const page = await context.newPage();
    await page.goto(pageUrl(query, host));
    await waitForSdk(page);
    return page;
  }
  function pageUrl(query: PageQuery, host = '127.0.0.1') {
    const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, v === true ? '1' : String(v)]));
    return `http://${host}:${site.port}/?${params.toString()}`;
  }

  /** Makes the API unreachable from this context (connection refused) until `restore()`. */
  async function cutApi(context: BrowserContext) {
    const handler = (route: { abort: (code: string) => Promise<void> }) => route.abort('connectionrefused');
    await context.route(`${api.url}/**`, handler);
    return () => context.unroute(`${api.url}/**`, handler);
  }

  /** Records the messageIds of every batch the API answered 200 (attempts that failed are not counted). */
  function recordDeliveries(context: BrowserContext) {
    const delivered: string[] = [];
    /** Which page delivered each messageId. */
    const by = new Map<string, Page[]>();
    const attempts: Request[] = [];
    context.on('request', (r) => {
      if (r.url() === batchUrl && r.method() === 'POST') attempts.push(r);
    });
    context.on('requestfinished', (r) => {
      if (r.url() !== batchUrl || r.method() !== 'POST') return;
      void r.response().then((res) => {
        if (res?.status() !== 200) return;
        const body = JSON.parse(r.postData() ?? '{}') as { batch?: Array<{ messageId: string }> };
        for (const e of body.batch ?? []) {
          delivered.push(e.messageId);
          by.set(e.messageId, [...(by.get(e.messageId) ?? []), r.frame().page()]);
        }
      });
    });
    return { delivered, by, attempts };
  }

  /** Rows stored for events whose name starts with `prefix`, once at least `count` are there (or the wait ran out). */
  async function rowsFor(prefix: string, count = 1, timeoutMs = 15_000): Promise<EventRow[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await api.flush();
      const rows = await api.query<EventRow>(
        'SELECT message_id, type, event, anonymous_id, user_id, context FROM events WHERE event LIKE {p:String} ORDER BY timestamp, event',
        { p: `${prefix}%` },
      );
      if (rows.length >= count || Date.now() > deadline) return rows;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Events the API received more than once (its dedup absorbed them): the SDK should send each event once. */
  async function duplicatesSeen(): Promise<number> {
    await api.flush();
    const text = await (await fetch(`${api.url}/metrics`)).text();
    return Number(/^cdp_events_duplicates_total (\d+)/m.exec(text)?.[1] ?? NaN);
  }

  async function rowsWhere(where: string, params: Record<string, unknown>): Promise<EventRow[]> {
    await api.flush();
    return api.query<EventRow>(`SELECT message_id, type, event, anonymous_id, user_id, context FROM events WHERE ${where} ORDER BY timestamp`, params);
  }

  return {
    api,
    site,
    browser,
    open,
    pageUrl,
    cutApi,
    recordDeliveries,
    rowsFor,
    rowsWhere,
    duplicatesSeen,
    async close() {
      await browser.close();
      await site.close();
      await api.close();
    },
  };
}

export type E2E = Awaited<ReturnType<typeof startE2E>>;

export async function waitForSdk(page: Page): Promise<void> {
  await page.waitForFunction(() => typeof (window as unknown as { cdp?: { anonymousId?: unknown } }).cdp?.anonymousId === 'function');
}

/** Calls `window.cdp.<method>(...args)` in the page. */
export async function cdp(page: Page, method: string, ...args: unknown[]): Promise<unknown> {
  return page.evaluate(
    ([m, a]) => {
      const api = (window as unknown as { cdp: Record<string, unknown> }).cdp;
      const [head, tail] = (m as string).split('.') as [string, string | undefined];
      const target = (tail ? api[head] : api) as Record<string, (...x: unknown[]) => unknown>;
      return target[tail ?? head]!(...(a as unknown[]));
    },
    [method, args] as const,
  );
}

/** A prefix unique to one test, so its rows are told apart from other tests' rows. */
export const unique = (name: string) => `${name}-${Math.random().toString(36).slice(2, 8)}-`;
