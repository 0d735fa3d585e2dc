import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bulkLoad, openBulkStore } from '../../src/demo/bulk.js';
import { resolveDemoOptions } from '../../src/demo/options.js';
import { ProgressBar } from '../../src/demo/progress.js';

/** What a generated dataset left behind, reused by later runs. */
export interface BenchDataset {
  workspaceId: string;
  secretKey: string;
  people: number;
  events: number;
  /** The time of the latest event: the benchmark's "now". */
  end: string;
  /** Seconds the bulk load took. */
  generatedInSeconds: number;
  /** Incremented when the generator changes what it writes. */
  generatorVersion: number;
}

const GENERATOR_VERSION = 1;

/**
 * The dataset in `dir`: generated with the demo bulk loader on first use
 * (the slow part, reported with its duration), reused afterwards.
 */
export async function benchDataset(options: { dir: string; profiles: number; events: number; maxSeconds: number }): Promise<BenchDataset> {
  const marker = join(options.dir, 'dataset.json');
  if (existsSync(marker)) {
    const known = JSON.parse(readFileSync(marker, 'utf8')) as BenchDataset;
    if (known.generatorVersion === GENERATOR_VERSION) return known;
  }
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  // The data ends when it is generated, so that windows relative to now find activity.
  const end = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
  const demo = resolveDemoOptions({ profiles: options.profiles, events: options.events, end, dataDir: options.dir, workspaceName: 'Bench wallet', progress: false });
  const store = await openBulkStore(demo);
  const bar = new ProgressBar({ total: options.profiles, unit: 'people' });
  const started = Date.now();
  try {
    const r = await bulkLoad(store, demo, (p) => {
      bar.update(p.people, `, ${p.events.toLocaleString('en')} events`);
      // Bounded: a machine too slow to build the dataset in time fails loudly rather than running for hours.
      if ((Date.now() - started) / 1000 > options.maxSeconds) {
        throw new Error(`generating the dataset took longer than ${options.maxSeconds} s (BENCH_MAX_GENERATE_SECONDS); use fewer BENCH_PROFILES/BENCH_EVENTS`);
      }
    });
    const dataset: BenchDataset = {
      workspaceId: r.workspaceId,
      secretKey: r.secretKey,
      people: r.people,
      events: r.events,
      end,
      generatedInSeconds: Math.round((Date.now() - started) / 100) / 10,
      generatorVersion: GENERATOR_VERSION,
    };
    bar.done(`generated ${r.people.toLocaleString('en')} people, ${r.events.toLocaleString('en')} events in ${dataset.generatedInSeconds} s`);
    writeFileSync(marker, JSON.stringify(dataset, null, 2));
    return dataset;
  } finally {
    await store.close();
  }
}
