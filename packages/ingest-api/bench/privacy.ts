/**
 * pnpm bench:privacy — erasure of one person among many generated events, on the embedded engine.
 *
 * Loads BENCH_EVENTS events (default 10,000,000) of BENCH_PEOPLE people (default 100,000) straight into
 * the store with the API's own row builders (the request path's buildEventRow, the flusher's stored
 * row, the identity tables' row builders) and their dedup-ledger rows, in bounded chunks; then sends
 * one more person through the HTTP API (two devices merged by a login, traits, a dead letter) and
 * erases her through POST /v1/privacy/requests, timing it to "done". Baselines measured in the same
 * run: a full scan of the events table, and an access request for the same person.
 *
 * Options (env): BENCH_EVENTS, BENCH_PEOPLE, BENCH_CHUNK (rows per insert, default 200,000).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event } from '@cdp/protocol';
import { createApp } from '../src/app.js';
import { identityRow, profileRow, traitRow } from '../src/identity/rows.js';
import { buildEventRow } from '../src/ingest/event-row.js';
import { requestFacts } from '../src/ingest/process.js';
import { storedEventRow } from '../src/pipeline/plan.js';
import { postPrivacyRequest, waitForRequest } from '../src/privacy/test-helpers.js';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 10_000_000);
const PEOPLE = Number(process.env['BENCH_PEOPLE'] ?? 100_000);
const CHUNK = Number(process.env['BENCH_CHUNK'] ?? 200_000);
const WS = 'default';
const keys = { writeKey: 'wk_bench_privacy_0001', secretKey: 'sk_bench_privacy_0001', adminKey: 'admin_bench_privacy_0001' };
const DAY = 86_400_000;

const dataDir = mkdtempSync(join(tmpdir(), 'cdp-bench-privacy-'));
const app = await createApp({ dataDir, port: 0, logLevel: 'warn', rateLimit: { max: 0 }, ...keys });
const url = await app.listen();
const store = app.store;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const r = await fn();
  return [r, performance.now() - t0];
};

try {
  // 1. Bulk load: people with a profile, three identifiers and two traits; events spread over a year.
  const [, loadMs] = await time(async () => {
    const now = Date.now();
    const perPerson = Math.max(1, Math.floor(EVENTS / PEOPLE));
    const identity: Record<'profiles' | 'identities' | 'profile_traits', string[]> = { profiles: [], identities: [], profile_traits: [] };
    let events: string[] = [];
    let ledger: string[] = [];
    const flush = async () => {
      await store.insert({ table: 'events', rows: events.join('\n') });
      await store.insert({ table: 'message_ids', rows: ledger.join('\n') });
      events = [];
      ledger = [];
    };
    let written = 0;
    for (let p = 0; p < PEOPLE && written < EVENTS; p++) {
      const profileId = randomUUID();
      const at = now - 365 * DAY + Math.floor((p / PEOPLE) * 360 * DAY);
      const first = `bench-${p}-0`;
      identity.profiles.push(profileRow(WS, { profileId, createdAt: at, createdBy: first }));
      for (const [type, value] of [['user_id', `user-${p}`], ['anonymous_id', `anon-${p}`], ['email', `person${p}@mail.example`]] as const) {
        identity.identities.push(identityRow(WS, { type, value, profileId, messageId: first, at }));
      }
      identity.profile_traits.push(traitRow(WS, { profileId, key: 'email', value: `person${p}@mail.example`, at, messageId: first, once: false }));
      identity.profile_traits.push(traitRow(WS, { profileId, key: 'plan', value: p % 3 === 0 ? 'gold' : 'basic', at, messageId: first, once: false }));
      for (let i = 0; i < perPerson && written < EVENTS; i++, written++) {
        const messageId = `bench-${p}-${i}`;
        const receivedAt = at + i * 3_600_000;
        const facts = requestFacts({ workspaceId: WS, keyId: 'key_env_write', receivedAt, ip: undefined }, {});
        const event: Event = {
          type: 'track',
          event: i % 10 === 0 ? 'Transfer Sent' : 'Screen Viewed',
          userId: `user-${p}`,
          anonymousId: `anon-${p}`,
          messageId,
          properties: { amount: (i * 7) % 500, currency: 'EUR' },
          context: { library: { name: 'bench', version: '1' } },
          timestamp: receivedAt,
          originalTimestamp: undefined,
          sentAt: undefined,
          channel: undefined,
        };
        events.push(storedEventRow(buildEventRow(event, messageId, facts, event.context ?? {}, receivedAt), profileId, 0));
        ledger.push(JSON.stringify({ workspace_id: WS, message_id: messageId, received_at: facts.receivedIso }));
        if (events.length >= CHUNK) await flush();
      }
    }
    if (events.length > 0) await flush();
    for (const [table, rows] of Object.entries(identity)) {
      for (let i = 0; i < rows.length; i += CHUNK) await store.insert({ table, rows: rows.slice(i, i + CHUNK).join('\n') });
    }
  });
  // Let background merges settle so that they do not weigh on the timings (bounded).
  for (let i = 0; i < 120; i++) {
    const [m] = await store.query<{ n: number }>('SELECT count() AS n FROM system.merges WHERE database = currentDatabase()');
    if (Number(m?.n ?? 0) === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }

  // 2. The person, through the API: two devices merged by her login, traits, events under both, a dead letter.
  const send = async (batch: Array<Record<string, unknown>>) => {
    const res = await fetch(`${url}/v1/batch`, { method: 'POST', body: JSON.stringify({ writeKey: keys.writeKey, batch }) });
    if (res.status !== 200) throw new Error(`send failed: ${res.status}`);
    await app.flush();
  };
  await send([{ type: 'page', anonymousId: 'ana-web', name: 'Home', context: { device: { id: 'ana-phone-device' } } }]);
  await send([{ type: 'screen', anonymousId: 'ana-app', name: 'Wallet' }]);
  await send([
    { type: 'identify', userId: 'ana', anonymousId: 'ana-web', traits: { email: 'ana@bank.example', phone: '+44 7700 900123' } },
    { type: 'identify', userId: 'ana', anonymousId: 'ana-app', traits: { plan: 'gold' } },
    ...Array.from({ length: 200 }, (_, i) => ({ type: 'track', anonymousId: i % 2 === 0 ? 'ana-web' : 'ana-app', event: 'Transfer Sent', properties: { amount: i } })),
    { type: 'track', userId: 'ana', event: '' },
  ]);
  const [[total]] = await time(() => store.query<{ n: number }>('SELECT count() AS n FROM events'));

  // Baselines: a full scan of a string column of every event, and an access request for her.
  const [, scanMs] = await time(() => store.query("SELECT count() FROM events WHERE positionCaseInsensitive(context, 'ana@bank.example') > 0"));
  const target = { url, ...keys };
  const [accessView, accessMs] = await time(async () => waitForRequest(target, (await postPrivacyRequest(target, { type: 'access', identifier: 'user_id:ana' })).body.requestId, 600_000));

  // 3. The erasure, timed from the POST to "done".
  const [erased, eraseMs] = await time(async () => waitForRequest(target, (await postPrivacyRequest(target, { type: 'erasure', identifier: 'email:Ana@Bank.example' })).body.requestId, 600_000));
  // Physical removal runs in the background: time until ClickHouse has applied every deleted mask.
  const [, purgeMs] = await time(async () => {
    for (;;) {
      const [m] = await store.query<{ n: number }>("SELECT count() AS n FROM system.mutations WHERE database = currentDatabase() AND is_done = 0");
      if (Number(m?.n ?? 0) === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  const [[left]] = await time(() => store.query<{ n: number; hers: number }>("SELECT count() AS n, countIf(anonymous_id IN ('ana-web', 'ana-app') OR user_id = 'ana') AS hers FROM events"));
  if (erased.status !== 'done' || Number(left?.hers) !== 0) throw new Error(`erasure incomplete: ${JSON.stringify({ erased, left })}`);

  const load = loadavg()[0]?.toFixed(1);
  process.stdout.write(
    [
      '',
      `events: ${Number(total?.n).toLocaleString('en')} (${EVENTS.toLocaleString('en')} generated + hers), loaded in ${seconds(loadMs)}; load average ${load} on this machine`,
      '',
      '| operation | time | vs. full scan |',
      '|---|---|---|',
      `| full scan: one string column of every event (baseline) | ${seconds(scanMs)} | 1.0× |`,
      `| access request for her (POST → done) | ${seconds(accessMs)} | ${(accessMs / scanMs).toFixed(1)}× |`,
      `| **erasure** (POST → done: ${JSON.stringify(erased.result)}) | **${seconds(eraseMs)}** | ${(eraseMs / scanMs).toFixed(1)}× |`,
      `| background purge after it (deleted masks applied) | ${seconds(purgeMs)} | ${(purgeMs / scanMs).toFixed(1)}× |`,
      '',
      `access export: ${JSON.stringify(accessView.result)}; events left: ${Number(left?.n).toLocaleString('en')}, hers: ${Number(left?.hers)}`,
      '',
    ].join('\n'),
  );
} finally {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}
