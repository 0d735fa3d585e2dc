/**
 * pnpm bench:ingest — ingestion throughput on loopback.
 *
 * Runs, in one session and on the same machine: a bare Fastify route that
 * only parses the JSON (the ceiling), then the real ingestion API on the
 * embedded engine with ID mapping off and on, each in its own process,
 * loaded by autocannon from this process with 100-event batches (~500 B per
 * event) and with single events. Events carry 50,000 user ids, each seen on
 * three devices (150,000 anonymous ids). Batches run twice: first while
 * every device is new to the server (each event attaches an identifier), then
 * again with the same ids (known devices, the steady state of an app).
 * Every request carries fresh messageIds, so dedup cannot hide work; after
 * each run the benchmark waits until ClickHouse holds every acknowledged
 * event and counts them there.
 *
 * Options (env): BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 50).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startChildServer, type ChildServer } from '../src/testing/child-server.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const WRITE_KEY = 'wk_bench_write_key_0001';
const ADMIN_KEY = 'admin_bench_admin_key_0001';
const AUTH = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`;

/** One ~500-byte event with placeholders for its ids. */
function eventTemplate(): string {
  return JSON.stringify({
    type: 'track',
    event: 'Transfer Completed',
    userId: '@@U@@',
    anonymousId: '@@A@@',
    messageId: '@@ID@@',
    timestamp: '2026-11-20T10:00:00.000Z',
    properties: { amount: 125.5, currency: 'EUR', method: 'sepa', recipient: 'r-17', fee: 0.25, note: 'rent share' },
    context: { library: { name: 'bench', version: '1.0.0' }, locale: 'de-DE', ip: '203.0.113.7', userAgent: 'bench/1.0 (Linux x86_64)' },
  });
}

/**
 * A body builder: fresh messageIds for every request (one string join), and
 * user/device ids drawn so that each device belongs to one user.
 */
function bodyFactory(kind: 'batch' | 'single', prefix: string): () => string {
  const n = kind === 'batch' ? 100 : 1;
  const parts = eventTemplate().split(/@@(?:U|A|ID)@@/);
  let seq = 0;
  return () => {
    let out = kind === 'batch' ? '{"batch":[' : '';
    for (let i = 0; i < n; i++) {
      const g = seq++;
      if (i > 0) out += ',';
      out += `${parts[0]}u-${g % 50_000}${parts[1]}a-${g % 150_000}${parts[2]}${prefix}-${g}${parts[3]}`;
    }
    return kind === 'batch' ? `${out}]}` : out;
  };
}

interface RunResult {
  reqPerSec: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
  ok: number;
  failed: number;
}

async function load(url: string, kind: 'batch' | 'single', prefix: string): Promise<RunResult> {
  const next = bodyFactory(kind, prefix);
  const path = kind === 'batch' ? '/v1/batch' : '/v1/track';
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        path,
        headers: { authorization: AUTH, 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: next() }),
      },
    ],
  });
  const ok = result['2xx'];
  const perReq = kind === 'batch' ? 100 : 1;
  return {
    reqPerSec: ok / SECONDS,
    eventsPerSec: (ok * perReq) / SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

async function sql<T>(server: ChildServer, query: string, params: Record<string, unknown>): Promise<T[]> {
  const res = await fetch(`${server.url}/v1/admin/sql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, params }),
  });
  const body = (await res.json()) as { rows: T[] };
  if (!Array.isArray(body.rows)) throw new Error(`admin SQL failed: ${JSON.stringify(body)}`);
  return body.rows;
}

/** Waits until the spool is empty, then counts the run's events in ClickHouse. */
async function landed(server: ChildServer, prefix: string): Promise<{ count: number; drainSeconds: number }> {
  const t0 = Date.now();
  for (;;) {
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { spool: { backlogBytes: number } };
    if (ready.spool.backlogBytes === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const drainSeconds = (Date.now() - t0) / 1000;
  const [row] = await sql<{ n: number }>(server, 'SELECT count() AS n FROM events WHERE startsWith(message_id, {p:String})', { p: `${prefix}-` });
  return { count: Number(row?.n ?? 0), drainSeconds };
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const loadBefore = loadavg();
  const dirs = [mkdtempSync(join(tmpdir(), 'cdp-bench-off-')), mkdtempSync(join(tmpdir(), 'cdp-bench-on-'))];
  const env = (dir: string, identity: boolean) => ({
    CDP_DATA_DIR: dir,
    CDP_WRITE_KEY: WRITE_KEY,
    CDP_ADMIN_KEY: ADMIN_KEY,
    CDP_RATE_LIMIT_MAX: '0',
    CDP_IDENTITY_RESOLUTION: String(identity),
    LOG_LEVEL: 'warn',
  });
  const bare = await startChildServer({}, fileURLToPath(new URL('./bare-server.ts', import.meta.url)));
  const apis = [
    { label: 'ingestion API, ID mapping off', server: await startChildServer(env(dirs[0] as string, false)) },
    { label: 'ingestion API, ID mapping on', server: await startChildServer(env(dirs[1] as string, true)) },
  ];
  const rows: string[] = [];
  try {
    const phases = [
      { kind: 'batch', label: '100-event batches', detail: 'new devices', tag: 'batch' },
      { kind: 'batch', label: '100-event batches', detail: 'known devices (the same ids again)', tag: 'batch-known' },
      { kind: 'single', label: 'single events', detail: '', tag: 'single' },
    ] as const;
    let ceiling: RunResult | undefined;
    for (const { kind, label, detail, tag } of phases) {
      const unit = kind === 'batch' ? 'events/s' : 'req/s';
      const rate = (r: RunResult) => (kind === 'batch' ? r.eventsPerSec : r.reqPerSec);
      if (tag !== 'batch-known') {
        // Warm-up so JIT and the engine's first parts do not count.
        await autocannon({ url: bare.url, connections: 10, duration: 2, requests: [{ method: 'POST', path: '/v1/batch', body: bodyFactory(kind, 'warm')() }] });
        ceiling = await load(bare.url, kind, `bare-${kind}`);
        rows.push(`| ${label} | bare Fastify (JSON.parse only) | ${fmt(rate(ceiling))} ${unit} | ${fmt(ceiling.p50)} / ${fmt(ceiling.p99)} ms | – | – |`);
      }
      if (ceiling === undefined) throw new Error('no ceiling measured');
      let off: number | undefined;
      let first = true;
      for (const api of apis) {
        const prefix = `${tag}-${api.label.endsWith('on') ? 'on' : 'off'}`;
        const ours = await load(api.server.url, kind, prefix);
        const stored = await landed(api.server, prefix);
        const acked = ours.ok * (kind === 'batch' ? 100 : 1);
        // autocannon stops counting at the deadline while up to one request per connection is still in flight.
        const inFlight = CONNECTIONS * (kind === 'batch' ? 100 : 1);
        if (stored.count < acked || stored.count > acked + inFlight) {
          throw new Error(`${label}: ${acked} acknowledged (+ up to ${inFlight} in flight) but ${stored.count} in ClickHouse`);
        }
        const vsOff = off === undefined ? '' : `; ${fmt((rate(ours) / off) * 100, 1)}% of ID mapping off`;
        off ??= rate(ours);
        rows.push(
          `| ${first ? detail : ''} | ${api.label} | ${fmt(rate(ours))} ${unit} | ${fmt(ours.p50)} / ${fmt(ours.p99)} ms | ${fmt(stored.count)} stored for ${fmt(acked)} acknowledged in time; ${ours.failed} failed; drained ${fmt(stored.drainSeconds, 1)} s after the run | **${fmt((rate(ours) / rate(ceiling)) * 100, 1)}%**${vsOff} |`,
        );
        first = false;
      }
    }
  } finally {
    for (const api of apis) await api.server.kill('SIGTERM');
    await bare.kill('SIGTERM');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  const header = [
    `${SECONDS} s per run, ${CONNECTIONS} connections, autocannon in the benchmark process, each server in its own process; ${new Date().toISOString().slice(0, 10)}, ${process.version}, load average before the run ${loadBefore.map((l) => l.toFixed(2)).join(' ')}.`,
    '',
    '| load | server | throughput | p50 / p99 latency | stored | vs. bare |',
    '|---|---|---|---|---|---|',
  ];
  process.stdout.write(`${[...header, ...rows].join('\n')}\n`);
}

await main();
