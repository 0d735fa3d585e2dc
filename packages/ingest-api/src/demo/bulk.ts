import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LIMITS } from '@cdp/protocol';
import pino from 'pino';
import { IdentityService } from '../identity/service.js';
import { processBatch } from '../ingest/process.js';
import { planBatch, type Plan, type PlanDeps } from '../pipeline/plan.js';
import { decodeRecords } from '../pipeline/records.js';
import { SEGMENT_SETTINGS_KEY } from '../segments/definitions.js';
import { openStore } from '../storage/open.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import { TenantRegistry } from '../tenancy/registry.js';
import { demoBatches, worldOf, type DemoProgress } from './generate.js';
import type { DemoOptions } from './options.js';
import { DEMO_SEGMENT_SETTINGS } from './wallet.js';

export interface DemoWorkspace {
  workspaceId: string;
  writeKey: string;
  secretKey: string;
}

export interface BulkResult extends DemoWorkspace {
  events: number;
  people: number;
}

/** The store is held by another process (a running server): bulk loading needs it alone. */
export class StoreBusyError extends Error {
  override readonly name = 'StoreBusyError';
}

/** Opens the store the way the server does; a data directory locked by a running server is refused clearly. */
export async function openBulkStore(options: Pick<DemoOptions, 'dataDir' | 'engineDir' | 'clickhouseUrl' | 'database'>): Promise<ClickHouseTransport> {
  const engineDir = options.engineDir ?? join(options.dataDir, 'clickhouse');
  try {
    return await openStore({ dataDir: options.dataDir, engineDir, clickhouseUrl: options.clickhouseUrl, database: options.database });
  } catch (err) {
    const holder = options.clickhouseUrl === undefined ? lockHolder(engineDir) : undefined;
    if (holder === undefined) throw err;
    throw new StoreBusyError(
      `the embedded store at ${engineDir} is in use by another process (pid ${holder}; is the API server running on it?). ` +
        'The embedded engine allows one process per data directory: stop the server and run again, ' +
        'or keep it running and use --mode http to send the events through it.',
      { cause: err },
    );
  }
}

/** The live process holding an embedded engine directory: the engine writes its pid to `status` while it runs. */
function lockHolder(engineDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(engineDir, 'status'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(/^PID: (\d+)/m.exec(text)?.[1]);
  if (!Number.isInteger(pid) || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/**
 * Loads the demo into a NEW workspace of the store, producing exactly the rows
 * the ingestion pipeline would: each batch goes through the request path
 * (`processBatch`: validation, the stored row), then the flusher's planner
 * (`planBatch`: identity resolution with @cdp/identity-resolution, the
 * identity rows, the events rows with their profile), and the same inserts.
 * Two shortcuts, both safe for a new workspace written only by this process:
 * messageIds are unique by construction, so the dedup ledger is not asked;
 * identity state lives entirely in memory, so ClickHouse is not asked about
 * unknown identifiers.
 */
export async function bulkLoad(
  store: ClickHouseTransport,
  options: DemoOptions,
  onProgress: (p: DemoProgress) => void = () => undefined,
): Promise<BulkResult> {
  const registry = await TenantRegistry.load(store);
  const created = await registry.createWorkspace({ name: options.workspaceName });
  const workspaceId = created.workspace.id;
  await registry.putSetting(workspaceId, SEGMENT_SETTINGS_KEY, DEMO_SEGMENT_SETTINGS);
  const keyId = registry.lookup(created.writeKey)?.keyId ?? '';
  const identity = new IdentityService({ transport: store, registry, logger: pino({ level: 'silent' }) });
  identity.assumeComplete(workspaceId);
  const deps: PlanDeps = { dedup: { seen: async () => new Set<string>(), remember: () => undefined }, identity };
  let batchNo = 0;

  let inFlight: Promise<void> = Promise.resolve();
  const progress: DemoProgress = { people: 0, events: 0 };
  for (const batch of demoBatches(worldOf(options), options.batchEvents)) {
    let lines = '';
    for (let i = 0; i < batch.events.length; i += DEFAULT_LIMITS.maxBatchEvents) {
      const body = { batch: batch.events.slice(i, i + DEFAULT_LIMITS.maxBatchEvents) };
      const result = processBatch(body, { workspaceId, keyId, receivedAt: Date.now(), ip: undefined }, DEFAULT_LIMITS);
      if (result.error !== undefined) throw result.error;
      lines += result.lines;
    }
    const plan = await planBatch(`demo-${batchNo++}`, decodeRecords(lines).records, deps);
    // ClickHouse inserts the previous batch while this one is planned; one batch in flight at most.
    await inFlight;
    inFlight = insertPlan(store, plan);
    progress.people += batch.people;
    progress.events += plan.eventCount;
    onProgress({ ...progress });
  }
  await inFlight;
  return { workspaceId, writeKey: created.writeKey, secretKey: created.secretKey, ...progress };
}

async function insertPlan(store: ClickHouseTransport, plan: Plan): Promise<void> {
  for (const insert of plan.inserts) {
    if (insert.lines.length > 0) await store.insert({ table: insert.table, rows: insert.lines.join('\n') });
  }
}
