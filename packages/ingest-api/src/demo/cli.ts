#!/usr/bin/env node
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bulkLoad, openBulkStore } from './bulk.js';
import type { DemoProgress } from './generate.js';
import { sendOverHttp } from './http.js';
import { DEFAULT_DEMO_OPTIONS, resolveDemoOptions, type DemoOptionsInput } from './options.js';
import { ProgressBar, clock } from './progress.js';

/**
 * `pnpm seed:demo [-- --mode bulk|http --profiles N --events N ...]`: a
 * deterministic wallet-app workspace. See the README section "Demo data".
 */
const USAGE = `usage: pnpm seed:demo -- [options]
  --mode bulk|http        bulk: write the store directly (server stopped); http: send to a running API (default ${DEFAULT_DEMO_OPTIONS.mode})
  --profiles N            people to generate (default ${DEFAULT_DEMO_OPTIONS.profiles})
  --events N              target number of events (default ${DEFAULT_DEMO_OPTIONS.events})
  --seed N                random seed (default ${DEFAULT_DEMO_OPTIONS.seed})
  --days N                days of history (default ${DEFAULT_DEMO_OPTIONS.days})
  --end ISO               time of the latest event (default: now, to the minute)
  bulk:  --data-dir DIR (default $CDP_DATA_DIR or ${DEFAULT_DEMO_OPTIONS.dataDir})  --engine-dir DIR  --clickhouse-url URL  --database NAME
         --workspace-name NAME  --batch-events N
  http:  --url URL (default ${DEFAULT_DEMO_OPTIONS.url})  --write-key KEY (or $CDP_WRITE_KEY)  --secret-key KEY (or $CDP_SECRET_KEY)
         --concurrency N  --request-events N
  --no-progress           no progress bar`;

function options(): DemoOptionsInput {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string' },
      profiles: { type: 'string' },
      events: { type: 'string' },
      seed: { type: 'string' },
      days: { type: 'string' },
      end: { type: 'string' },
      'data-dir': { type: 'string' },
      'engine-dir': { type: 'string' },
      'clickhouse-url': { type: 'string' },
      database: { type: 'string' },
      'workspace-name': { type: 'string' },
      'batch-events': { type: 'string' },
      url: { type: 'string' },
      'write-key': { type: 'string' },
      'secret-key': { type: 'string' },
      concurrency: { type: 'string' },
      'request-events': { type: 'string' },
      'no-progress': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v.replace(/_/g, '')));
  const env = process.env;
  const dataDir = values['data-dir'] ?? env['CDP_DATA_DIR'];
  return {
    mode: values.mode as DemoOptionsInput['mode'],
    profiles: num(values.profiles),
    events: num(values.events),
    seed: num(values.seed),
    days: num(values.days),
    end: values.end,
    dataDir: dataDir === undefined ? undefined : isAbsolute(dataDir) ? dataDir : resolve(env['INIT_CWD'] ?? process.cwd(), dataDir),
    engineDir: values['engine-dir'] ?? env['CDP_ENGINE_DIR'],
    clickhouseUrl: values['clickhouse-url'] ?? env['CLICKHOUSE_URL'],
    database: values.database ?? env['CDP_DATABASE'],
    workspaceName: values['workspace-name'],
    batchEvents: num(values['batch-events']),
    url: values.url,
    writeKey: values['write-key'] ?? env['CDP_WRITE_KEY'],
    secretKey: values['secret-key'] ?? env['CDP_SECRET_KEY'],
    concurrency: num(values.concurrency),
    requestEvents: num(values['request-events']),
    progress: values['no-progress'] === true ? false : undefined,
  };
}

async function main(): Promise<void> {
  const o = resolveDemoOptions(options());
  const bar = new ProgressBar({ total: o.profiles, unit: 'people' });
  const started = Date.now();
  const report = (p: DemoProgress) => {
    if (o.progress) bar.update(p.people, `, ${p.events.toLocaleString('en')} events`);
  };
  const rate = (p: DemoProgress) => {
    const s = (Date.now() - started) / 1000;
    return `${p.people.toLocaleString('en')} people, ${p.events.toLocaleString('en')} events in ${clock(s)} (${Math.round(p.events / s).toLocaleString('en')} events/s)`;
  };
  if (o.mode === 'http') {
    const p = await sendOverHttp(o, report);
    bar.done(`sent ${rate(p)} to ${o.url}; the API stores them within a second or so.`);
    return;
  }
  const store = await openBulkStore(o);
  try {
    const r = await bulkLoad(store, o, report);
    bar.done(
      [
        `loaded ${rate(r)} into workspace ${r.workspaceId} (database ${o.database}${o.clickhouseUrl === undefined ? `, ${o.dataDir}` : ''})`,
        `  write key:  ${r.writeKey}`,
        `  secret key: ${r.secretKey}`,
        `  start the API on it: CDP_DATA_DIR=${o.dataDir} pnpm start, then e.g.`,
        `  curl -H 'authorization: Bearer ${r.secretKey}' http://127.0.0.1:8080/v1/segments/settings`,
      ].join('\n'),
    );
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`seed:demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
