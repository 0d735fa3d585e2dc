/**
 * pnpm bench:ingest — ingestion throughput on loopback.
 *
 * Runs, in one session and on the same machine: a bare Fastify route that
 * only parses the JSON (the ceiling), a floor server that does only the work
 * the issue mandates (parse, zod, fsync'd spool, raw insert: floor-server.ts),
 * then the real ingestion API on the embedded engine with ID mapping off and
 * on, each in its own process,
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
import { CONNECTIONS, fmt, load, SECONDS, warmUp, WRITE_KEY, type RunResult } from './load.js';
import { startChildServer, type ChildServer } from '../src/testing/child-server.js';

const ADMIN_KEY = 'admin_bench_admin_key_0001';

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

/** The floor server inserts what it holds, then counts the run's events. */
async function floorLanded(server: ChildServer, prefix: string): Promise<number> {
  const res = await fetch(`${server.url}/count?prefix=${encodeURIComponent(`${prefix}-`)}`);
  return ((await res.json()) as { count: number }).count;
}


async function main(): Promise<void> {
  const loadBefore = loadavg();
  const dirs = [mkdtempSync(join(tmpdir(), 'cdp-bench-off-')), mkdtempSync(join(tmpdir(), 'cdp-bench-on-'))];
  const floorDir = mkdtempSync(join(tmpdir(), 'cdp-bench-floor-'));
  const env = (dir: string, identity: boolean) => ({
    CDP_DATA_DIR: dir,
    CDP_WRITE_KEY: WRITE_KEY,
    CDP_ADMIN_KEY: ADMIN_KEY,
    CDP_RATE_LIMIT_MAX: '0',
    CDP_IDENTITY_RESOLUTION: String(identity),
    LOG_LEVEL: 'warn',
  });
  const bare = await startChildServer({}, fileURLToPath(new URL('./bare-server.ts', import.meta.url)));
  const floor = await startChildServer({ DATA_DIR: floorDir }, fileURLToPath(new URL('./floor-server.ts', import.meta.url)));
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
        await warmUp(bare.url, kind);
        ceiling = await load(bare.url, kind, `bare-${kind}`);
        rows.push(`| ${label} | bare Fastify (JSON.parse only) | ${fmt(rate(ceiling))} ${unit} | ${fmt(ceiling.p50)} / ${fmt(ceiling.p99)} ms | – | – |`);
        const prefix = `floor-${tag}`;
        const least = await load(floor.url, kind, prefix);
        const stored = await floorLanded(floor, prefix);
        rows.push(
          `|  | floor: the mandated work only (parse, zod, fsync'd spool, raw insert) | ${fmt(rate(least))} ${unit} | ${fmt(least.p50)} / ${fmt(least.p99)} ms | ${fmt(stored)} stored for ${fmt(least.ok * (kind === 'batch' ? 100 : 1))} acknowledged | **${fmt((rate(least) / rate(ceiling)) * 100, 1)}%** |`,
        );
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
    await floor.kill('SIGTERM');
    for (const d of [...dirs, floorDir]) rmSync(d, { recursive: true, force: true });
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
