/**
 * pnpm bench:crash — kill -9 loop against the ingestion API, then an audit.
 *
 * Not a timing benchmark: a soak check of the "a 2xx is never lost, retries
 * never duplicate" promise on paths one test cannot aim at. The server
 * (`crash-server.ts`: small spool segments and flush batches, ID mapping on)
 * is loaded by 12 clients with batches of 1–120 events and single events, some
 * gzip'd, mixing anonymous and identified users (so batches attach identifiers
 * and merge profiles). It is killed with SIGKILL at a random moment,
 * `CRASH_CYCLES` times (default 10), and restarted. Like an SDK, clients resend
 * what was not acknowledged, and now and then resend what was. At the end
 * everything is delivered, the server stops gracefully and starts again, the
 * spool drains, and the audit checks: every acknowledged messageId stored
 * exactly once, the ledger agrees, every merge and alias names stored
 * profiles, and the flusher never wedged. Exits 1 on any failure. The load
 * loop is bounded: the seeded PRNG fixes the shapes, the kills fix its length.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { adminSql } from '../src/privacy/test-helpers.js';
import { startChildServer, type ChildServer } from '../src/testing/child-server.js';

const CYCLES = Number(process.env['CRASH_CYCLES'] ?? 10);
const WORKERS = 12;
const SCRIPT = fileURLToPath(new URL('./crash-server.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cdp-crash-'));
const env = { CDP_DATA_DIR: dir, CDP_WRITE_KEY: 'wk_crash_key_000001', CDP_ADMIN_KEY: 'admin_crash_key_000001', CDP_RATE_LIMIT_MAX: '0' };
const AUTH = `Basic ${Buffer.from(`${env.CDP_WRITE_KEY}:`).toString('base64')}`;

type Event = { messageId: string } & Record<string, unknown>;
let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
let sent = 0;
const acked = new Set<string>();
/** Requests not acknowledged yet, resent like an SDK would (oldest first). */
const unacked: Event[][] = [];
let serverErrors = 0;

function events(n: number): Event[] {
  return Array.from({ length: n }, () => {
    const i = sent++;
    const user = `u-${Math.floor(rand() * 3000)}`;
    const base = { messageId: `c-${i}`, anonymousId: `a-${Math.floor(rand() * 9000)}`, timestamp: new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString() };
    const kind = rand();
    if (kind < 0.1) return { ...base, type: 'identify', userId: user, traits: { email: `${user}@example.org`, plan: rand() < 0.5 ? 'plus' : 'free' } };
    if (kind < 0.15) return { ...base, type: 'page', name: 'Home', properties: { path: '/' } };
    return { ...base, type: 'track', event: 'Transfer', ...(rand() < 0.5 ? { userId: user } : {}), properties: { amount: i % 500, note: 'x'.repeat(150) } };
  });
}

async function send(server: ChildServer, batch: Event[]): Promise<boolean> {
  const single = batch.length === 1 && rand() < 0.7;
  const body = JSON.stringify(single ? batch[0] : { batch });
  const gzip = rand() < 0.2;
  try {
    const res = await fetch(`${server.url}/v1/${single ? String(batch[0]?.['type']) : 'batch'}`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
      body: gzip ? gzipSync(body) : body,
    });
    if (res.status >= 500 && res.status !== 503) serverErrors++;
    return res.status === 200;
  } catch {
    return false; // refused or reset by the kill: not acknowledged
  }
}

async function load(server: ChildServer, stopped: () => boolean): Promise<void> {
  const worker = async () => {
    while (!stopped()) {
      const batch = unacked.length > 0 && rand() < 0.5 ? (unacked.shift() as Event[]) : events(rand() < 0.3 ? 1 : 1 + Math.floor(rand() * 120));
      if (!(await send(server, batch))) {
        unacked.push(batch);
        continue;
      }
      for (const e of batch) acked.add(e.messageId);
      if (rand() < 0.05) await send(server, batch); // a duplicate delivery of acknowledged events
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
}

const sql = <T>(server: ChildServer, query: string, params: Record<string, unknown> = {}) =>
  adminSql<T>({ url: server.url, secretKey: '', adminKey: env.CDP_ADMIN_KEY }, query, params);

/** Waits until the spool holds no unflushed bytes; false if the flusher kept failing for 20 s (wedged) or 10 min passed. */
async function drained(server: ChildServer): Promise<boolean> {
  let failing = 0;
  for (let second = 0; second < 600; second++) {
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { flushing: string; spool: { backlogBytes: number } };
    if (ready.spool.backlogBytes === 0) return true;
    failing = ready.flushing === 'failing' ? failing + 1 : 0;
    if (failing > 20) return false;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  let server = await startChildServer(env, SCRIPT);
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    let stop = false;
    const running = load(server, () => stop);
    await new Promise((r) => setTimeout(r, 300 + rand() * 3000));
    await server.kill('SIGKILL');
    stop = true;
    await running;
    server = await startChildServer(env, SCRIPT);
    process.stdout.write(`kill ${cycle + 1}/${CYCLES}: ${acked.size.toLocaleString('en-US')} acknowledged, ${unacked.length} requests to resend\n`);
  }
  while (unacked.length > 0) {
    const batch = unacked.shift() as Event[];
    if (await send(server, batch)) for (const e of batch) acked.add(e.messageId);
    else unacked.push(batch);
  }
  const stopped = await server.kill('SIGTERM');
  server = await startChildServer({ ...env, CRASH_DRAIN: '1' }, SCRIPT);
  const wedged = !(await drained(server));
  const errors = server
    .output()
    .split('\n')
    .filter((l) => l.includes('"level":50'))
    .slice(-3);

  const [totals] = await sql<{ n: number; u: number; l: number }>(server, 'SELECT count() AS n, uniqExact(message_id) AS u, (SELECT count() FROM message_ids) AS l FROM events');
  const ids = [...acked];
  let missing = 0;
  for (let i = 0; i < ids.length; i += 5000) {
    const chunk = ids.slice(i, i + 5000);
    const found = await sql<{ m: string }>(server, 'SELECT DISTINCT message_id AS m FROM events WHERE message_id IN {ids:Array(String)}', { ids: chunk });
    missing += chunk.length - found.length;
  }
  const [orphans] = await sql<{ merges: number; aliases: number }>(
    server,
    `SELECT (SELECT count() FROM profile_merges WHERE from_profile NOT IN (SELECT profile_id FROM profiles) OR into_profile NOT IN (SELECT profile_id FROM profiles)) AS merges,
            (SELECT count() FROM profile_merges WHERE from_profile NOT IN (SELECT profile_id FROM profile_aliases)) AS aliases`,
  );
  await server.kill('SIGTERM');
  const result = {
    kills: CYCLES,
    sent,
    acknowledged: acked.size,
    stored: Number(totals?.n),
    duplicates: Number(totals?.n) - Number(totals?.u),
    missing,
    ledger: Number(totals?.l),
    mergesNamingUnknownProfiles: Number(orphans?.merges),
    mergesWithoutAlias: Number(orphans?.aliases),
    wedged,
    serverErrors,
    gracefulExit: stopped,
    seconds: Math.round((Date.now() - t0) / 1000),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (wedged) process.stdout.write(`flusher wedged; last errors:\n${errors.join('\n')}\n`);
  const ok =
    result.missing === 0 && result.duplicates === 0 && result.ledger === result.stored && result.mergesNamingUnknownProfiles === 0 && result.mergesWithoutAlias === 0 && !wedged && serverErrors === 0;
  if (ok) rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`FAILED; data kept in ${dir}\n`);
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
