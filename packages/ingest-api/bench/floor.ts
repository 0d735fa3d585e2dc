/**
 * pnpm bench:floor — what the work issue 2 mandates costs on this machine, step by step.
 *
 * Loads, in one session, the bare Fastify route (JSON.parse only) and then the floor server
 * (floor-server.ts) with its steps added one at a time: zod validation of each event, the
 * events-table row, the fsync'd spool append before the 2xx, the raw JSONEachRow insert into the
 * embedded engine. Each configuration runs in a fresh process on a fresh directory, under the same
 * load as `pnpm bench:ingest` (100-event batches and single events, autocannon in this process),
 * and last the real ingestion API (ID mapping off) under the same load, for its cost above the floor.
 * Besides throughput it reads, from /proc, the CPU the server process used (all its threads,
 * the engine's included) per event, and how busy the whole machine was. Last, with no load
 * running, the engine alone: the same rows inserted in-process, 10,000 per insert, into a `Null`
 * table (ClickHouse parses the JSONEachRow and discards it), into the floor's MergeTree table, and
 * into the API's own tables: `events` without and with profile ids (with one, the `profile_activity`
 * view adds its row), and `identities` and `profiles`, the rows ID mapping adds for a new device.
 *
 * Options (env): BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 50), BENCH_ENGINE_ONLY=1 (only
 * the engine-alone table).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashToUuid } from '@cdp/identity-resolution';
import { identityRow, profileRow } from '../src/identity/rows.js';
import { ChdbTransport } from '../src/storage/chdb-transport.js';
import { migrate } from '../src/storage/migrations.js';
import { startChildServer, type ChildServer } from '../src/testing/child-server.js';
import { floorEventsTable, floorRows } from './floor-rows.js';
import { bodyFactory, CONNECTIONS, fmt, load, SECONDS, warmUp, WRITE_KEY, type RunResult } from './load.js';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process, all threads, in seconds. */
function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Busy and total jiffies of the whole machine. */
function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  const idle = (n[3] ?? 0) + (n[4] ?? 0);
  return { busy: total - idle, total };
}

interface Measured extends RunResult {
  /** Server CPU per acknowledged event, µs. */
  cpuPerEvent: number;
  /** Share of the machine's CPU in use during the load. */
  machineBusy: number;
}

async function measure(server: ChildServer, kind: 'batch' | 'single', prefix: string): Promise<Measured> {
  const pid = server.process.pid as number;
  const cpu0 = processCpu(pid);
  const m0 = machineCpu();
  const r = await load(server.url, kind, prefix);
  const cpu = processCpu(pid) - cpu0;
  const m1 = machineCpu();
  const events = r.ok * (kind === 'batch' ? 100 : 1);
  return { ...r, cpuPerEvent: (cpu / Math.max(events, 1)) * 1e6, machineBusy: (m1.busy - m0.busy) / Math.max(m1.total - m0.total, 1) };
}

const FLOOR = fileURLToPath(new URL('./floor-server.ts', import.meta.url));
const floorConfig = (steps: string, label: string) => ({ label, script: FLOOR, env: (dir: string) => ({ DATA_DIR: dir, FLOOR_STEPS: steps }), counts: steps.endsWith('insert') });
const CONFIGS = [
  floorConfig('zod', '+ zod validation of each event'),
  floorConfig('zod,row', '+ the events-table row'),
  floorConfig('zod,row,spool', "+ fsync'd spool append before the 2xx"),
  floorConfig('zod,row,spool,insert', '+ raw insert into the embedded engine (the floor)'),
  {
    // For comparison, in the same run: what the real API spends per event above the floor.
    label: 'the ingestion API, ID mapping off',
    script: undefined,
    env: (dir: string) => ({ CDP_DATA_DIR: dir, CDP_WRITE_KEY: WRITE_KEY, CDP_RATE_LIMIT_MAX: '0', CDP_IDENTITY_RESOLUTION: 'false' }),
    counts: false,
  },
];

async function main(): Promise<void> {
  if (process.env['BENCH_ENGINE_ONLY'] === '1') {
    process.stdout.write(`${(await engineAlone()).join('\n')}\n`);
    return;
  }
  const loadBefore = loadavg();
  const rows = { batch: [] as string[], single: [] as string[] };
  const bare = await startChildServer({}, fileURLToPath(new URL('./bare-server.ts', import.meta.url)));
  const ceilings = new Map<string, number>();
  try {
    for (const kind of ['batch', 'single'] as const) {
      await warmUp(bare.url, kind);
      const m = await measure(bare, kind, `bare-${kind}`);
      ceilings.set(kind, kind === 'batch' ? m.eventsPerSec : m.reqPerSec);
      rows[kind].push(row(kind, 'bare Fastify (JSON.parse only)', m, m));
    }
  } finally {
    await bare.kill('SIGTERM');
  }
  for (const { label, script, env, counts } of CONFIGS) {
    const dir = mkdtempSync(join(tmpdir(), 'cdp-bench-floor-'));
    const server = await startChildServer(env(dir), script);
    try {
      for (const kind of ['batch', 'single'] as const) {
        const prefix = `floor-${kind}`;
        const m = await measure(server, kind, prefix);
        let stored = '';
        if (counts) {
          const res = await fetch(`${server.url}/count?prefix=${encodeURIComponent(`${prefix}-`)}`);
          const { count } = (await res.json()) as { count: number };
          const acked = m.ok * (kind === 'batch' ? 100 : 1);
          if (count < acked) throw new Error(`${label}: ${acked} acknowledged but ${count} stored`);
          stored = `; ${fmt(count)} stored`;
        }
        rows[kind].push(row(kind, label + stored, m, { eventsPerSec: ceilings.get('batch') ?? 0, reqPerSec: ceilings.get('single') ?? 0 }));
      }
    } finally {
      await server.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const engine = await engineAlone();
  const header = [
    `${SECONDS} s per run, ${CONNECTIONS} connections, autocannon in the benchmark process, each server in its own process; ${new Date().toISOString().slice(0, 10)}, ${process.version}, load average before the run ${loadBefore.map((l) => l.toFixed(2)).join(' ')}.`,
    '',
    '| load | server does | throughput | vs. bare | server CPU per event | machine busy |',
    '|---|---|---|---|---|---|',
  ];
  process.stdout.write(`${[...header, ...rows.batch, ...rows.single, '', ...engine].join('\n')}\n`);
}

const ENGINE_ROWS = 200_000;
const PER_INSERT = 10_000;

const lines = (rows: readonly string[]) => Buffer.from(`${rows.join('\n')}\n`);

/**
 * The embedded engine alone, in this process, with no load running: CPU per row of the floor's inserts,
 * and of the API's own tables (after its migrations): `events` as the API defines it, without a profile
 * (ID mapping off) and with a new profile per row (on, every device new), and the `identities` and
 * `profiles` rows ID mapping adds for a new device.
 */
async function engineAlone(): Promise<string[]> {
  const next = bodyFactory('batch', 'engine');
  const events: Buffer[] = [];
  const withProfiles: Buffer[] = [];
  const identities: Buffer[] = [];
  const profiles: Buffer[] = [];
  for (let n = 0; n < ENGINE_ROWS; n += PER_INSERT) {
    const rows: string[] = [];
    while (rows.length < PER_INSERT) rows.push(...floorRows((JSON.parse(next()) as { batch: unknown[] }).batch, { withRows: true }).rows);
    // UUIDs, as the API's profile ids are (the activity view keys them as such).
    const ids = rows.map((_, i) => hashToUuid(`p-${n + i}`));
    events.push(lines(rows));
    withProfiles.push(lines(rows.map((row, i) => `{"profile_id":"${ids[i]}",${row.slice(1)}`)));
    identities.push(lines(ids.map((profileId, i) => identityRow('ws', { type: 'anonymous_id', value: `a-${n + i}`, profileId, messageId: `engine-${n + i}`, at: Date.now() }))));
    profiles.push(lines(ids.map((profileId, i) => profileRow('ws', { profileId, createdAt: Date.now(), createdBy: `engine-${n + i}` }))));
  }
  const dir = mkdtempSync(join(tmpdir(), 'cdp-bench-engine-'));
  const store = await ChdbTransport.open({ path: dir, database: 'floor' });
  const bytes = (b: Buffer[]) => fmt((b[0]?.length ?? 0) / PER_INSERT);
  const out = [
    `The engine alone (in-process, no load running): ${fmt(ENGINE_ROWS)} rows per table, ${fmt(PER_INSERT)} per insert.`,
    '',
    '| insert into | bytes per row | rows/s | engine CPU per row |',
    '|---|---|---|---|',
  ];
  try {
    await migrate(store);
    await store.command(floorEventsTable('Null', 'parse_only'));
    await store.command(floorEventsTable(undefined, 'floor_events'));
    for (const [table, bodies, label] of [
      ['parse_only', events, "a `Null` table (the floor's rows parsed, then discarded)"],
      ['floor_events', events, "the floor's MergeTree table"],
      ['events', events, "the API's `events` table (the same rows)"],
      ['events', withProfiles, "the API's `events` table, each row with a new profile id (ID mapping on, new devices: the `profile_activity` view adds a row)"],
      ['identities', identities, "the API's `identities` table (one row per new identifier)"],
      ['profiles', profiles, "the API's `profiles` table (one row per new profile)"],
    ] as const) {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (const rows of bodies) await store.insert({ table, rows });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      out.push(`| ${label} | ${bytes(bodies)} | ${fmt(ENGINE_ROWS / seconds)} | ${fmt((cpu.user + cpu.system) / ENGINE_ROWS, 1)} µs |`);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

function row(kind: 'batch' | 'single', label: string, m: Measured, ceiling: Pick<RunResult, 'eventsPerSec' | 'reqPerSec'>): string {
  const rate = kind === 'batch' ? m.eventsPerSec : m.reqPerSec;
  const top = kind === 'batch' ? ceiling.eventsPerSec : ceiling.reqPerSec;
  const unit = kind === 'batch' ? 'events/s' : 'req/s';
  return `| ${kind === 'batch' ? 'batch (100 events)' : 'single events'} | ${label} | ${fmt(rate)} ${unit} | ${fmt((rate / top) * 100, 1)}% | ${fmt(m.cpuPerEvent, 1)} µs | ${fmt(m.machineBusy * 100)}% |`;
}

await main();
