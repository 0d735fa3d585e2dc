import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { chromium, type Browser } from 'playwright-core';
import { startTestApi, type TestApi } from '@cdp/ingest-api/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM } from './harness.js';

/**
 * The real posthog-js, unchanged, in Chromium, pointed at the ingestion API: what it sends to PostHog's capture
 * endpoints is stored, and its anonymous and identified events end on one profile.
 */
const POSTHOG_JS = readFileSync(createRequire(import.meta.url).resolve('posthog-js/dist/array.full.no-external.js'), 'utf8');

let api: TestApi;
let site: Server;
let siteUrl: string;
let browser: Browser;

beforeAll(async () => {
  api = await startTestApi({ options: { rateLimit: { max: 0 } } });
  site = createServer((req, res) => {
    if (req.url === '/posthog.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(POSTHOG_JS);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Wallet</title><script src="/posthog.js"></script><p>pay</p>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await api?.close();
});

interface Row {
  type: string;
  event: string;
  user_id: string;
  anonymous_id: string;
  context: string;
}

async function rowsOf(where: string, count: number): Promise<Row[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await api.flush();
    const rows = await api.query<Row>(`SELECT type, event, user_id, anonymous_id, context FROM events WHERE ${where} ORDER BY timestamp, event`);
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 250));
  }
}

it('stores what posthog-js sends, and links the visitor before and after identify', { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sent: string[] = [];
  const answers: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(api.url)) sent.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  page.on('response', (r) => {
    if (r.url().startsWith(api.url)) answers.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  page.on('requestfailed', (r) => answers.push(`failed ${r.url()}`));
  await page.goto(siteUrl);
  const deviceId = await page.evaluate(
    ([token, host]) => {
      const posthog = (window as unknown as { posthog: { init: (t: string, o: object) => void; get_distinct_id: () => string } }).posthog;
      // opt_out_useragent_filter: posthog-js drops events from headless browsers (bots) otherwise.
      posthog.init(token as string, { api_host: host, autocapture: false, capture_pageview: false, capture_pageleave: false, disable_session_recording: true, persistence: 'memory', opt_out_useragent_filter: true });
      return posthog.get_distinct_id();
    },
    [api.writeKey, api.url],
  );
  await page.evaluate((id) => {
    const posthog = (window as unknown as { posthog: { capture: (e: string, p?: object) => void; identify: (id: string, set?: object) => void } }).posthog;
    // The pageview explicitly, before identify: posthog-js's automatic one may wait for its remote config and
    // go out after identify, as the identified user's.
    posthog.capture('$pageview');
    posthog.capture('Viewed Balance', { screen: 'home' });
    posthog.identify(id, { plan: 'gold' });
    posthog.capture('Clicked Pay', { button: 'pay' });
  }, 'wallet-user-9');

  // Person updates (`:$set`, from a capture's $set or $set_once) are not among the page's own events.
  const rows = await rowsOf("(event IN ('Viewed Balance', 'Clicked Pay') OR type IN ('identify', 'page')) AND NOT endsWith(message_id, ':$set')", 4);
  // posthog-js's own questions (remote config, flags) are answered too: no request of the page fails.
  expect(sent).toEqual(expect.arrayContaining([`GET /array/${api.writeKey}/config`, 'POST /flags/']));
  expect(sent).toContain('POST /e/'); // batched: fewer requests than events
  expect(answers.filter((a) => !a.startsWith('200 '))).toEqual([]);
  const byKind = (type: string, event = '') => rows.find((r) => r.type === type && r.event === event);
  expect(byKind('page')).toMatchObject({ anonymous_id: deviceId, user_id: '' });
  const pageContext = JSON.parse(byKind('page')?.context ?? '{}') as { page: Record<string, string> };
  expect(pageContext).toMatchObject({ page: { url: `${siteUrl}/`, path: '/' }, library: { name: 'web' } });
  expect(pageContext.page['referrer']).toBeUndefined(); // PostHog's placeholder for none
  expect(byKind('track', 'Viewed Balance')).toMatchObject({ anonymous_id: deviceId, user_id: '' });
  expect(byKind('identify')).toMatchObject({ user_id: 'wallet-user-9', anonymous_id: deviceId });
  expect(byKind('track', 'Clicked Pay')).toMatchObject({ user_id: 'wallet-user-9', anonymous_id: deviceId });

  const res = await fetch(`${api.url}/v1/profiles?identifier=anonymous_id:${encodeURIComponent(deviceId)}`, { headers: { authorization: `Bearer ${api.secretKey}` } });
  const person = (await res.json()) as { identities: Array<{ type: string; value: string }>; traits: Record<string, unknown> };
  expect(person.identities).toEqual(expect.arrayContaining([{ type: 'user_id', value: 'wallet-user-9' }, { type: 'anonymous_id', value: deviceId }]));
  // $set beside the properties (where posthog-js puts it), and posthog-js's $set_once of first-touch properties.
  expect(person.traits).toMatchObject({ plan: 'gold', $initial_pathname: '/' });
  await context.close();
});
