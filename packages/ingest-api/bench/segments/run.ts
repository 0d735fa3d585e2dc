/**
 * pnpm bench:segments — segment count and first page of members on the demo
 * wallet data (default 1,000,000 people / 10,000,000 events), embedded engine.
 *
 * 1. Generates the dataset with the demo bulk loader on first use (reported
 *    with its duration), then reuses it (`dataset.json` in the data directory).
 * 2. Starts the real API on it (in this process) and creates the
 *    representative segments through it.
 * 3. Measures, in the same run: a baseline (one GROUP BY of all events by the
 *    stored profile id: the least any per-profile answer costs), the ways of
 *    mapping stored profile ids to survivors, and each segment's count and
 *    first page of 50 members through HTTP.
 *
 * Env: BENCH_PROFILES (1000000), BENCH_EVENTS (10000000), BENCH_REPEAT (5),
 * BENCH_DATA_DIR (<repository root>/.cdp-data/bench-segments-<profiles>-<events>),
 * BENCH_MAX_GENERATE_SECONDS (3600), BENCH_PROPERTY_COLUMNS (typed property
 * columns the API keeps, as CDP_PROPERTY_COLUMNS; default the two properties
 * the segments read, `amount:number,merchant_category:string`; `none` for none).
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createApp } from '../../src/app.js';
import { optionsFromEnv } from '../../src/config/env.js';
import { benchDataset } from './data.js';
import { BENCH_SEGMENTS } from './segments.js';

const PROFILES = Number(process.env['BENCH_PROFILES'] ?? 1_000_000);
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 10_000_000);
const REPEAT = Number(process.env['BENCH_REPEAT'] ?? 5);
// The repository root, wherever pnpm was started: one dataset per machine, not one per working directory.
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DIR = process.env['BENCH_DATA_DIR'] ?? join(ROOT, '.cdp-data', `bench-segments-${PROFILES}-${EVENTS}`);
const MAX_GENERATE = Number(process.env['BENCH_MAX_GENERATE_SECONDS'] ?? 3_600);
const COLUMNS = process.env['BENCH_PROPERTY_COLUMNS'] ?? 'amount:number,merchant_category:string';
const PROPERTY_COLUMNS = COLUMNS === 'none' ? [] : (optionsFromEnv({ CDP_PROPERTY_COLUMNS: COLUMNS }).propertyColumns ?? []);

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/** Median and best of REPEAT runs (after one warm-up). */
async function measure<T>(fn: () => Promise<T>): Promise<{ median: number; best: number; value: T }> {
  let { value } = await timed(fn);
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const r = await timed(fn);
    times.push(r.ms);
    value = r.value;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)] as number, best: times[0] as number, value };
}

const ms = (x: number) => `${Math.round(x).toLocaleString('en')} ms`;

async function main(): Promise<void> {
  const dataset = await benchDataset({ dir: DIR, profiles: PROFILES, events: EVENTS, maxSeconds: MAX_GENERATE });
  const app = await createApp({ dataDir: DIR, port: 0, logger: pino({ level: 'silent' }), rateLimit: { max: 0 }, propertyColumns: PROPERTY_COLUMNS });
  const url = await app.listen();
  const auth = { authorization: `Bearer ${dataset.secretKey}` };
  const w = { w: dataset.workspaceId };
  try {
    const baseline = await measure(() =>
      app.store.query('SELECT count() AS n FROM (SELECT profile_id FROM events WHERE workspace_id = {w:String} GROUP BY profile_id)', w),
    );
    // The same grouping by the UUID column the compiler groups by (kept as the string baseline for comparison with earlier runs).
    const baselineKey = await measure(() =>
      app.store.query('SELECT count() AS n FROM (SELECT profile_key FROM events WHERE workspace_id = {w:String} GROUP BY profile_key)', w),
    );
    const aliases = `SELECT profile_id AS merged_id, argMax(canonical_id, version) AS survivor FROM profile_aliases WHERE workspace_id = {w:String} GROUP BY profile_id HAVING argMax(deleted, version) = 0`;
    // Two arrays in the same order: merged id i maps to survivor i.
    const arrays = `(SELECT groupArray(merged_id) FROM (${aliases} ORDER BY merged_id)) AS m_from, (SELECT groupArray(survivor) FROM (${aliases} ORDER BY merged_id)) AS m_to`;
    const perStored = `SELECT profile_id AS sid, count() AS c FROM events WHERE workspace_id = {w:String} GROUP BY sid`;
    const mappings: Array<[string, string]> = [
      ['join per event row (the events_resolved view)', `SELECT count() AS n FROM (SELECT resolved_profile_id FROM events_resolved WHERE workspace_id = {w:String} GROUP BY resolved_profile_id)`],
      ['transform() per event row', `WITH ${arrays} SELECT count() AS n FROM (SELECT transform(profile_id, m_from, m_to, profile_id) AS pid FROM events WHERE workspace_id = {w:String} GROUP BY pid)`],
      ['group by stored id, then transform()', `WITH ${arrays} SELECT count() AS n FROM (SELECT transform(sid, m_from, m_to, sid) AS pid, sum(c) FROM (${perStored}) GROUP BY pid)`],
      ['group by stored id, IN-set guard, then transform()', `WITH ${arrays} SELECT count() AS n FROM (SELECT if(sid IN (SELECT merged_id FROM (${aliases})), transform(sid, m_from, m_to, sid), sid) AS pid, sum(c) FROM (${perStored}) GROUP BY pid)`],
      ['group by stored id, then hash join', `SELECT count() AS n FROM (SELECT if(a.survivor = '', s.sid, a.survivor) AS pid, sum(c) FROM (${perStored}) AS s LEFT JOIN (${aliases}) AS a ON a.merged_id = s.sid GROUP BY pid)`],
      [
        'the same on UUID keys: profile_key, aliases converted (compiler)',
        `SELECT count() AS n FROM (SELECT if(empty(a.survivor), s.sid, a.survivor) AS pid, sum(c) FROM (SELECT profile_key AS sid, count() AS c FROM events WHERE workspace_id = {w:String} AND NOT empty(profile_key) GROUP BY sid) AS s
         LEFT JOIN (SELECT toUUIDOrZero(profile_id) AS merged_id, toUUIDOrZero(argMax(canonical_id, version)) AS survivor FROM profile_aliases WHERE workspace_id = {w:String} GROUP BY profile_id HAVING argMax(deleted, version) = 0) AS a
         ON a.merged_id = s.sid GROUP BY pid)`,
      ],
    ];
    const mapped: Array<{ name: string; median: number; best: number; n: number }> = [];
    for (const [name, sql] of mappings) {
      const r = await measure(() => app.store.query<{ n: number }>(sql, w));
      mapped.push({ name, median: r.median, best: r.best, n: Number(r.value[0]?.n) });
    }

    const rows: string[] = [];
    for (const s of BENCH_SEGMENTS) {
      const created = await fetch(`${url}/v1/segments`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: s.name, definition: s.definition, memberTraits: ['email'] }) });
      if (created.status !== 201) throw new Error(`creating "${s.name}": ${created.status} ${await created.text()}`);
      const { id } = (await created.json()) as { id: string };
      const count = await measure(async () => ((await (await fetch(`${url}/v1/segments/${id}/count`, { headers: auth })).json()) as { count: number }).count);
      const page = await measure(async () => ((await (await fetch(`${url}/v1/segments/${id}/members?limit=50`, { headers: auth })).json()) as { members: unknown[] }).members.length);
      rows.push(`| ${s.name} | ${count.value.toLocaleString('en')} | ${ms(count.median)} (${ms(count.best)}) | ${page.value} | ${ms(page.median)} (${ms(page.best)}) | ${(count.median / baseline.median).toFixed(1)}× |`);
    }

    const [profiles] = await app.store.query<{ n: number; merged: number }>(
      `SELECT (SELECT count() FROM (SELECT profile_id FROM profiles WHERE workspace_id = {w:String} GROUP BY profile_id)) AS n,
              (SELECT count() FROM (SELECT profile_id FROM profile_aliases WHERE workspace_id = {w:String} GROUP BY profile_id)) AS merged`,
      w,
    );
    const out = [
      `node ${process.version}, ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}, ${new Date().toISOString().slice(0, 10)}`,
      `dataset: ${dataset.people.toLocaleString('en')} people → ${Number(profiles?.n).toLocaleString('en')} profiles created, ${Number(profiles?.merged).toLocaleString('en')} merged away; ${dataset.events.toLocaleString('en')} events; generated in ${dataset.generatedInSeconds} s (bulk loader); data ends ${dataset.end}`,
      `typed property columns: ${PROPERTY_COLUMNS.length === 0 ? 'none' : PROPERTY_COLUMNS.map((c) => `${c.property} (${c.type})`).join(', ')} (BENCH_PROPERTY_COLUMNS)`,
      `timings: median of ${REPEAT} after a warm-up (best in parentheses)`,
      '',
      `baseline — GROUP BY all events by stored profile id: ${ms(baseline.median)} (${ms(baseline.best)})`,
      `(the same by profile_key, its UUID, which segments group by: ${ms(baselineKey.median)} (${ms(baselineKey.best)}))`,
      '',
      '| mapping stored ids to survivors (per-profile event counts) | median (best) | profiles | vs. baseline |',
      '|---|---|---|---|',
      ...mapped.map((m) => `| ${m.name} | ${ms(m.median)} (${ms(m.best)}) | ${m.n.toLocaleString('en')} | ${(m.median / baseline.median).toFixed(1)}× |`),
      '',
      '| segment (through the API) | members | count: median (best) | page | first page of 50: median (best) | count vs. baseline |',
      '|---|---|---|---|---|---|',
      ...rows,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:segments: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
