/**
 * `pnpm bench:sdk-node`: 200,000 `track` calls per SDK and mode, each SDK in its
 * own process against a loopback sink in another process, peers in the same run.
 * A run is bounded: after RUN_LIMIT_MS the driver is killed and what arrived is
 * reported. The `baseline` row makes the same calls' arguments with no SDK, to
 * read the others against on a noisy machine. Env: BENCH_EVENTS, BENCH_SDKS (comma list), BENCH_MODES, BENCH_LIMIT_MS.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type SdkName = 'baseline' | 'cdp' | 'segment' | 'posthog';
type Mode = 'burst' | 'paced';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 200_000);
const RUN_LIMIT_MS = Number(process.env['BENCH_LIMIT_MS'] ?? 90_000);
const SDKS = (process.env['BENCH_SDKS'] ?? 'baseline,cdp,segment,posthog').split(',') as SdkName[];
const MODES = (process.env['BENCH_MODES'] ?? 'burst,paced').split(',') as Mode[];
/** After the driver finished, the sink gets this long to see stragglers. */
const SETTLE_MS = 300;
const LABELS: Record<SdkName, string> = {
  baseline: 'no SDK (arguments kept in an array)',
  cdp: '@cdp/sdk-node',
  segment: '@segment/analytics-node',
  posthog: 'posthog-node',
};

interface SinkStats {
  unique: number;
  received: number;
  duplicates: number;
  lastNewAt: number;
  requests: number;
}

interface Row {
  sdk: string;
  mode: Mode;
  enqueueUs: number | undefined;
  lastArrivalS: number | undefined;
  unique: number;
  lost: number;
  duplicates: number;
  peakRssMb: number;
  requests: number;
  note: string;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function once<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      if (typeof m === 'object' && m !== null && (m as { type?: string }).type === type) {
        child.off('message', onMessage);
        resolve(m as T);
      }
    };
    child.on('message', onMessage);
  });
}

/** Peak resident set of a live process (VmHWM), in kB; 0 once it has exited. */
function peakRssKb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runOne(sdk: SdkName, mode: Mode): Promise<Row> {
  const sink = fork(here('./sink.mjs'), [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await once<{ port: number }>(sink, 'listening');
  const host = `http://127.0.0.1:${port}`;
  const driver = fork(here('./driver.mjs'), [sdk, mode, host, String(EVENTS), String(RUN_LIMIT_MS)], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let peakKb = 0;
  const poll = setInterval(() => (peakKb = Math.max(peakKb, peakRssKb(driver.pid))), 100);
  const enqueued = once<{ startedAt: number; enqueueUs: number }>(driver, 'enqueued');
  const closed = once<{ maxRssKb: number }>(driver, 'closed');
  const exited = new Promise<void>((resolve) => driver.once('exit', () => resolve()));
  const started = Date.now();
  const limit = sleep(RUN_LIMIT_MS).then(() => 'limit' as const);
  let note = '';
  const first = await Promise.race([enqueued.then(() => 'enqueued' as const), limit]);
  let enq: { startedAt: number; enqueueUs: number } | undefined;
  if (first === 'enqueued') {
    enq = await enqueued;
    const end = await Promise.race([closed.then(() => 'closed' as const), exited.then(() => 'exited' as const), limit]);
    if (end === 'closed') peakKb = Math.max(peakKb, (await closed).maxRssKb);
    if (end === 'exited') note = 'driver exited without closing';
    if (end === 'limit') note = `stopped waiting after ${RUN_LIMIT_MS / 1000} s`;
  } else {
    note = `calls not done after ${RUN_LIMIT_MS / 1000} s`;
  }
  peakKb = Math.max(peakKb, peakRssKb(driver.pid));
  clearInterval(poll);
  driver.kill('SIGKILL');
  await sleep(SETTLE_MS);
  sink.send('stats');
  const stats = await once<SinkStats>(sink, 'stats');
  sink.kill();
  const startedAt = enq?.startedAt ?? started;
  return {
    sdk: LABELS[sdk],
    mode,
    enqueueUs: enq?.enqueueUs,
    lastArrivalS: stats.unique > 0 ? (stats.lastNewAt - startedAt) / 1000 : undefined,
    unique: stats.unique,
    lost: EVENTS - stats.unique,
    duplicates: stats.duplicates,
    peakRssMb: peakKb / 1024,
    requests: stats.requests,
    note,
  };
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined ? '–' : n.toFixed(digits));
const int = (n: number) => n.toLocaleString('en-US');

async function main(): Promise<void> {
  console.log(`${int(EVENTS)} track calls per run; Node ${process.versions.node}; limit ${RUN_LIMIT_MS / 1000} s per run\n`);
  console.log('| SDK | mode | enqueue µs/call | last event arrived (s) | unique received | lost | duplicates | peak RSS MB | requests | note |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const mode of MODES) {
    for (const sdk of SDKS) {
      const r = await runOne(sdk, mode);
      if (sdk === 'baseline') {
        console.log(`| ${r.sdk} | ${r.mode} | ${fmt(r.enqueueUs, 2)} | – | – | – | – | ${fmt(r.peakRssMb, 0)} | – | |`);
        continue;
      }
      console.log(
        `| ${r.sdk} | ${r.mode} | ${fmt(r.enqueueUs, 2)} | ${fmt(r.lastArrivalS, 2)} | ${int(r.unique)} | ${int(r.lost)} | ${int(r.duplicates)} | ${fmt(r.peakRssMb, 0)} | ${int(r.requests)} | ${r.note} |`,
      );
    }
  }
}

void main();
