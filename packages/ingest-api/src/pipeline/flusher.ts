import type { Logger } from 'pino';
import type { IdentityService } from '../identity/service.js';
import type { Spool, SpoolBatch } from '../spool/spool.js';
import { isStatementError, type ClickHouseTransport } from '../storage/transport.js';
import { MessageIdDedup } from './dedup.js';
import { planBatch, type BatchPlan, type PlannedInsert } from './plan.js';
import { decodeRecords } from './records.js';

export interface FlusherOptions {
  spool: Spool;
  transport: ClickHouseTransport;
  identity: IdentityService;
  logger: Logger;
  /** Start an insert once this many bytes wait... */
  batchBytes: number;
  /** ...or once the oldest waiting byte is this old. */
  batchWaitMs: number;
  /** Largest batch read from the spool. */
  maxBatchBytes: number;
  /** Recent messageIds remembered in memory for dedup. */
  dedupCapacity: number;
  /** Backoff bounds while ClickHouse is failing. */
  retryMinMs: number;
  retryMaxMs: number;
}

interface Plan extends BatchPlan {
  token: string;
}

export interface FlusherStatus {
  /** Last insert attempt failed and the flusher is retrying. */
  failing: boolean;
  lastError: string | undefined;
  insertedEvents: number;
  duplicates: number;
  deadLetters: number;
}

/**
 * Moves acknowledged records from the spool into ClickHouse, one batch at a
 * time, in spool order. Identity writes are therefore serialized by
 * construction. A batch is retried (same bytes, same tokens) until it commits;
 * acknowledged data is never skipped.
 */
export class Flusher {
  readonly #o: FlusherOptions;
  readonly #dedup: MessageIdDedup;
  readonly #status: FlusherStatus = { failing: false, lastError: undefined, insertedEvents: 0, duplicates: 0, deadLetters: 0 };
  #running: Promise<void> | undefined;
  /**
   * The plan of the batch in flight. Planning resolves identities and so
   * changes the in-memory identity state; any retry of the same batch must
   * send exactly these rows, never a re-plan (which would find nothing new).
   */
  #plan: Plan | undefined;
  #stopping = false;
  #idleWaiters: Array<() => void> = [];
  #jobs: Array<() => Promise<void>> = [];
  #wakeJobs: (() => void) | undefined;

  constructor(options: FlusherOptions) {
    this.#o = options;
    this.#dedup = new MessageIdDedup({ transport: options.transport, capacity: options.dedupCapacity });
  }

  get status(): Readonly<FlusherStatus> {
    return this.#status;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Resolves when everything durable in the spool at call time is in ClickHouse. */
  async drain(): Promise<void> {
    if (this.#o.spool.backlogBytes === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops after the current batch; then flushes what is left unless `deadlineMs` passes. */
  async stop(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    this.#o.spool.stopWaiting();
    this.#wakeJobs?.();
    await this.#running;
    for (const job of this.#jobs.splice(0)) await job();
    const until = Date.now() + deadlineMs;
    while (this.#o.spool.backlogBytes > 0 && Date.now() < until) {
      const batch = await this.#o.spool.next(this.#o.maxBatchBytes);
      if (batch === undefined) break;
      const done = await this.#process(batch, until);
      if (!done) break;
    }
    this.#notifyIdle();
  }

  /**
   * Runs `fn` between two batches, never beside one: identity jobs (unmerge)
   * rewrite the state the flusher resolves against.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#stopping) return Promise.reject(new Error('the pipeline is shutting down'));
    return new Promise<T>((resolve, reject) => {
      this.#jobs.push(() => fn().then(resolve, reject));
      this.#wakeJobs?.();
    });
  }

  async #runJobs(): Promise<void> {
    while (this.#jobs.length > 0) await (this.#jobs.shift() as () => Promise<void>)();
  }

  async #loop(): Promise<void> {
    const { spool } = this.#o;
    while (!this.#stopping) {
      await this.#runJobs();
      await Promise.race([
        spool.waitForBatch(this.#o.batchBytes, this.#o.batchWaitMs),
        new Promise<void>((resolve) => (this.#wakeJobs = resolve)),
      ]);
      this.#wakeJobs = undefined;
      if (this.#stopping) break;
      if (this.#jobs.length > 0) continue;
      const batch = await spool.next(this.#o.maxBatchBytes);
      if (batch === undefined) {
        this.#notifyIdle();
        // Durable bytes without a complete line cannot happen; guard against a hot loop anyway.
        if (spool.backlogBytes > 0) await sleep(this.#o.batchWaitMs);
        continue;
      }
      await this.#process(batch, Number.POSITIVE_INFINITY);
      if (spool.backlogBytes === 0) this.#notifyIdle();
    }
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Returns false when it gave up at the deadline (the batch stays in the spool). */
  async #process(batch: SpoolBatch, deadline: number): Promise<boolean> {
    let delay = this.#o.retryMinMs;
    for (;;) {
      try {
        if (this.#plan?.token !== batch.token) {
          const { records, corrupt } = decodeRecords(batch.text);
          if (corrupt.length > 0) this.#o.logger.error({ lines: corrupt.length, token: batch.token }, 'spool lines could not be decoded; skipped');
          this.#plan = { token: batch.token, ...(await planBatch(records, { seen: (c) => this.#dedup.seen(c), identity: this.#o.identity })) };
        }
        const plan = this.#plan;
        this.#o.spool.begin(batch);
        for (const insert of plan.inserts) await this.#insert(batch.token, insert);
        this.#o.spool.commit(batch);
        this.#plan = undefined;
        this.#dedup.remember(plan.stored);
        this.#status.insertedEvents += plan.eventCount;
        this.#status.duplicates += plan.duplicates;
        this.#status.deadLetters += plan.deadLetterCount;
        if (this.#status.failing) this.#o.logger.info('ClickHouse inserts recovered');
        this.#status.failing = false;
        this.#status.lastError = undefined;
        return true;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (!this.#status.failing || this.#status.lastError !== message) {
          this.#o.logger.error({ err: message, token: batch.token }, 'flush to ClickHouse failed; retrying');
        }
        this.#status.failing = true;
        this.#status.lastError = message;
        if (Date.now() + delay > deadline || (this.#stopping && deadline === Number.POSITIVE_INFINITY)) return false;
        await sleep(delay);
        delay = Math.min(delay * 2, this.#o.retryMaxMs);
      }
    }
  }

  async #insert(token: string, insert: PlannedInsert): Promise<void> {
    if (insert.lines.length === 0) return;
    try {
      await this.#o.transport.insert({ table: insert.table, rows: insert.lines.join('\n'), dedupToken: `${token}:${insert.part}` });
    } catch (err) {
      // Rows ClickHouse rejects outright would wedge the pipeline forever: isolate them.
      if (!isStatementError(err) || insert.lines.length === 1) {
        if (isStatementError(err)) {
          this.#o.logger.error({ table: insert.table, err: (err as Error).message }, 'ClickHouse rejected a row; written to the rejected log');
          await this.#rejectRow(token, insert, err as Error);
          return;
        }
        throw err;
      }
      const mid = insert.lines.length >> 1;
      await this.#insert(token, { table: insert.table, part: `${insert.part}.0`, lines: insert.lines.slice(0, mid) });
      await this.#insert(token, { table: insert.table, part: `${insert.part}.1`, lines: insert.lines.slice(mid) });
    }
  }

  /** A row ClickHouse refuses goes to the dead-letter table with the reason, never dropped. */
  async #rejectRow(token: string, insert: PlannedInsert, err: Error): Promise<void> {
    const line = insert.lines[0] ?? '';
    if (insert.table === 'dead_letters') {
      this.#o.logger.error({ bytes: line.length }, 'a dead-letter row was refused by ClickHouse and is dropped');
      return;
    }
    let workspace = '';
    let messageId = '';
    try {
      const parsed = JSON.parse(line) as { workspace_id?: string; message_id?: string };
      workspace = parsed.workspace_id ?? '';
      messageId = parsed.message_id ?? '';
    } catch {
      // keep empty ids; the payload still holds the row
    }
    const row = JSON.stringify({
      workspace_id: workspace,
      received_at: new Date().toISOString(),
      message_id: messageId,
      code: 'storage_rejected',
      reason: err.message.slice(0, 2000),
      path: '',
      payload: line,
      key_id: '',
    });
    await this.#o.transport.insert({ table: 'dead_letters', rows: row, dedupToken: `${token}:${insert.part}:x` });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
