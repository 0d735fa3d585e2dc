import type { Logger } from 'pino';
import type { IdentityService } from '../identity/service.js';
import { comparePositions, type SpoolPosition } from '../spool/position.js';
import type { Spool, SpoolBatch } from '../spool/spool.js';
import type { ClickHouseTransport } from '../storage/transport.js';
import { MessageIdDedup, dedupKey } from './dedup.js';
import { insertPlan } from './insert.js';
import { decodePlan, encodePlan } from './plan-file.js';
import { PoisonRecordError, planBatch, type FlushPrivacy, type Plan } from './plan.js';
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
  /** Retention and erasure suppression applied to each batch (none: rows are stored as planned). */
  privacy?: FlushPrivacy;
}

/** Given to `exclusive` jobs: pipeline operations that are only safe while nothing else runs. */
export interface ExclusiveContext {
  /** Moves everything acknowledged before the call into ClickHouse; the spool segments that held it are deleted. */
  drainSpool(): Promise<void>;
  /** Forgets messageIds from the in-memory dedup (their events were erased). */
  forgetMessageIds(workspaceId: string, messageIds: Iterable<string>): void;
}

export interface FlusherStatus {
  /** The last attempt to plan or insert failed and the flusher is retrying. */
  failing: boolean;
  lastError: string | undefined;
  insertedEvents: number;
  duplicates: number;
  deadLetters: number;
  /** Events and dead letters not stored because they carry an erased identifier. */
  suppressed: number;
}

interface Planned {
  batch: SpoolBatch;
  plan: Plan;
  /** The plan's durable copy for a crash replay (see plan-file.ts), written while earlier batches insert. */
  recorded?: Promise<void> | undefined;
}

interface DrainWaiter {
  target: SpoolPosition;
  resolve: () => void;
}

/**
 * Moves acknowledged records from the spool into ClickHouse in spool order,
 * as a two-stage pipeline: while one batch is being inserted, the next one is
 * planned (dedup, identity resolution, rows). Planning is sequential, so
 * identity writes are serialized; inserts run one batch at a time and in
 * order, so ClickHouse always holds a prefix of the spool. A batch's plan is
 * computed once — planning changes the in-memory identity state, and a
 * re-plan would find nothing new — and its inserts are retried with the same
 * rows and tokens until they commit. The plan is recorded with the batch's
 * intent, so after a crash the same rows are inserted, not a new plan's (see
 * plan-file.ts). Acknowledged data is never skipped.
 */
export class Flusher {
  readonly #o: FlusherOptions;
  readonly #dedup: MessageIdDedup;
  readonly #status: FlusherStatus = { failing: false, lastError: undefined, insertedEvents: 0, duplicates: 0, deadLetters: 0, suppressed: 0 };
  #running: Promise<void> | undefined;
  #stopping = false;
  /** Planned batches not yet committed, oldest first. */
  readonly #unfinished: Planned[] = [];
  /** The chain of insert stages; each link commits one batch. */
  #inserting: Promise<void> = Promise.resolve();
  /** Set when an insert gave up at shutdown: later batches must not be inserted out of order. */
  #halted = false;
  /** A batch handed out by the spool whose planning gave up at shutdown: first in line for stop(). */
  #unplanned: SpoolBatch | undefined;
  #drainWaiters: DrainWaiter[] = [];
  #jobs: Array<{ run: () => Promise<void>; cancel: (err: Error) => void }> = [];
  #wake: (() => void) | undefined;
  /** Callers of drain() waiting: flush what is there now instead of waiting for a full batch. */
  #urgent = 0;

  constructor(options: FlusherOptions) {
    this.#o = options;
    this.#dedup = new MessageIdDedup({ transport: options.transport, capacity: options.dedupCapacity });
  }

  get status(): Readonly<FlusherStatus> {
    return this.#status;
  }

  /** The messageId dedup (erasure makes it forget ids). */
  get dedup(): MessageIdDedup {
    return this.#dedup;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Resolves when everything durable in the spool at call time is in ClickHouse. */
  async drain(): Promise<void> {
    const target = this.#o.spool.durableEnd;
    if (this.#reached(target)) return;
    this.#urgent++;
    this.#wake?.();
    try {
      await new Promise<void>((resolve) => this.#drainWaiters.push({ target, resolve }));
    } finally {
      this.#urgent--;
    }
  }

  /**
   * Runs `fn` with nothing planned or inserting beside it: jobs such as unmerge
   * and erasure rewrite the state the pipeline resolves against.
   */
  exclusive<T>(fn: (ctx: ExclusiveContext) => Promise<T>): Promise<T> {
    if (this.#stopping) return Promise.reject(new Error('the pipeline is shutting down'));
    const ctx: ExclusiveContext = {
      drainSpool: () => this.#drainSpool(),
      forgetMessageIds: (workspaceId, ids) => this.#dedup.forget([...ids].map((id) => dedupKey(workspaceId, id))),
    };
    return new Promise<T>((resolve, reject) => {
      this.#jobs.push({ run: () => fn(ctx).then(resolve, reject), cancel: reject });
      this.#wake?.();
    });
  }

  /**
   * From inside a job: plans and inserts every batch up to what was durable at
   * the call. The live segment is sealed first, so once the checkpoint passes
   * it its file is deleted; a batch read past that point is flushed too (it
   * cannot be put back).
   */
  async #drainSpool(): Promise<void> {
    const { spool } = this.#o;
    const target = await spool.rotate();
    while (comparePositions(spool.committed, target) < 0) {
      const batch = await spool.next(this.#o.maxBatchBytes);
      if (batch === undefined) break;
      const plan = await this.#planWithRetry(batch, Number.POSITIVE_INFINITY);
      if (plan === undefined) {
        this.#unplanned = batch;
        throw new Error('the pipeline is shutting down');
      }
      const entry = { batch, plan };
      this.#unfinished.push(entry);
      if (!(await this.#insertWithRetry(entry, Number.POSITIVE_INFINITY))) throw new Error('the pipeline is shutting down');
      this.#notifyDrained();
    }
  }

  /** Stops after the current batches; then flushes what is left unless `deadlineMs` passes. */
  async stop(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    this.#dedup.stop();
    this.#o.spool.stopWaiting();
    this.#wake?.();
    await this.#running;
    for (const job of this.#jobs.splice(0)) job.cancel(new Error('the pipeline is shutting down'));
    const until = Date.now() + deadlineMs;
    // First what was planned, in order; then whatever else the spool holds.
    while (this.#unfinished.length > 0) {
      if (!(await this.#insertWithRetry(this.#unfinished[0] as Planned, until))) return this.#notifyDrained(true);
    }
    while (Date.now() < until) {
      const batch = this.#unplanned ?? (await this.#o.spool.next(this.#o.maxBatchBytes));
      this.#unplanned = undefined;
      if (batch === undefined) break;
      const plan = await this.#planWithRetry(batch, until);
      if (plan === undefined) break;
      const entry = { batch, plan };
      this.#unfinished.push(entry);
      if (!(await this.#insertWithRetry(entry, until))) break;
    }
    this.#notifyDrained(true);
  }

  async #loop(): Promise<void> {
    const { spool } = this.#o;
    while (!this.#stopping) {
      // A batch a crash interrupted goes first: it was planned before any job now waiting (an erasure
      // registered after it must find its rows, which replay as recorded), and it may be half in ClickHouse.
      const replay = spool.replayPending;
      if (this.#jobs.length > 0 && !replay) {
        await this.#inserting;
        await this.#runJobs();
        continue;
      }
      if (this.#urgent === 0 && !replay) {
        await Promise.race([spool.waitForBatch(this.#o.batchBytes, this.#o.batchWaitMs), new Promise<void>((resolve) => (this.#wake = resolve))]);
        this.#wake = undefined;
      }
      if (this.#stopping) break;
      if (this.#jobs.length > 0 && !replay) continue;
      const batch = await spool.next(this.#o.maxBatchBytes);
      if (batch === undefined) {
        await this.#inserting;
        this.#notifyDrained();
        // Unread bytes without a complete line cannot happen; guard against a hot loop anyway.
        if (spool.unreadBytes > 0) await sleep(this.#o.batchWaitMs);
        continue;
      }
      const plan = await this.#planWithRetry(batch, Number.POSITIVE_INFINITY);
      if (plan === undefined) {
        this.#unplanned = batch;
        break;
      }
      const entry: Planned = { batch, plan };
      entry.recorded = this.#record(entry);
      this.#unfinished.push(entry);
      const previous = this.#inserting;
      this.#inserting = previous.then(async () => {
        if (!this.#halted && (await this.#insertWithRetry(entry, Number.POSITIVE_INFINITY))) this.#notifyDrained();
      });
      // Plan at most one batch ahead of the one being inserted. A replayed plan changed no
      // in-memory identity state: the next plan must read its rows from ClickHouse, once inserted.
      await (batch.replay ? this.#inserting : previous);
    }
    await this.#inserting;
  }

  async #runJobs(): Promise<void> {
    while (this.#jobs.length > 0) await (this.#jobs.shift() as { run: () => Promise<void> }).run();
  }

  #reached(target: SpoolPosition): boolean {
    return this.#o.spool.backlogBytes === 0 || comparePositions(this.#o.spool.committed, target) >= 0;
  }

  /** Resolves drain() callers whose data is committed (all of them when `all`: shutdown is done). */
  #notifyDrained(all = false): void {
    const waiting: DrainWaiter[] = [];
    for (const w of this.#drainWaiters) {
      if (all || this.#reached(w.target)) w.resolve();
      else waiting.push(w);
    }
    this.#drainWaiters = waiting;
  }

  /** Plans a batch; retries while ClickHouse (dedup and identity reads) fails. Undefined: gave up. */
  async #planWithRetry(batch: SpoolBatch, deadline: number): Promise<Plan | undefined> {
    if (batch.recorded !== undefined) {
      // A crash replay: the plan of the interrupted attempt, whose inserts may have partly committed.
      const recorded = decodePlan(batch.recorded, batch.token);
      if (recorded !== undefined) {
        this.#dedup.remember(recorded.stored);
        return recorded;
      }
      this.#o.logger.error({ token: batch.token }, 'the plan recorded with a replayed batch is unreadable; planning it again');
    }
    const unresolvable = new Set<string>();
    return this.#retrying(batch.token, deadline, async () => {
      const { records, corrupt } = decodeRecords(batch.text);
      if (corrupt.length > 0) this.#o.logger.error({ lines: corrupt.length, token: batch.token }, 'spool lines could not be decoded; skipped');
      for (;;) {
        try {
          return await planBatch(batch.token, records, { dedup: this.#dedup, identity: this.#o.identity, privacy: this.#o.privacy, unresolvable });
        } catch (err) {
          if (!(err instanceof PoisonRecordError) || unresolvable.has(err.key)) throw err;
          await this.#isolate(batch.token, err, unresolvable);
        }
      }
    });
  }

  /**
   * One event that identity resolution fails on must not stop the pipeline: it goes to dead_letters and the batch is
   * planned again without it. The failed attempt may have changed in-memory identity state that no row will ever
   * carry, so the workspaces' state is dropped and read again from ClickHouse, once the batches planned before are in.
   */
  async #isolate(token: string, err: PoisonRecordError, unresolvable: Set<string>): Promise<void> {
    const cause = err.cause instanceof Error ? err.cause : undefined;
    // The stack without its message line: the message of an unexpected error may quote an identifier.
    const stack = cause?.stack?.split('\n').slice(1, 6).join('\n');
    this.#o.logger.error({ token, error: cause?.name, stack }, 'identity resolution failed on one event; written to dead_letters (resolution_failed), the batch planned again without it');
    unresolvable.add(err.key);
    await this.#inserting;
    for (const workspaceId of err.workspaces) this.#o.identity.forget(workspaceId);
  }

  /** Inserts a planned batch and commits it; false when it gave up (the batch stays in the spool). */
  async #insertWithRetry(entry: Planned, deadline: number): Promise<boolean> {
    const { batch, plan } = entry;
    // The number of events ClickHouse refused (moved to dead_letters); undefined when it gave up.
    const refusedCount = await this.#retrying(batch.token, deadline, async () => {
      try {
        await this.#o.spool.begin(batch, (entry.recorded ??= this.#record(entry)));
      } catch (err) {
        entry.recorded = undefined;
        throw err;
      }
      const refused = await insertPlan({ transport: this.#o.transport, logger: this.#o.logger, privacy: this.#o.privacy }, batch.token, plan.inserts);
      // Refused events are in dead_letters, not stored: a retry of one must not be taken for a duplicate.
      if (refused.length > 0) this.#dedup.forget(refused);
      // Records of an erased person were dropped: seal the segment holding them, so that its file is deleted
      // once consumed rather than kept until the segment fills up.
      if (plan.suppressed > 0) await this.#o.spool.rotate();
      await this.#o.spool.commit(batch);
      return refused.length;
    });
    if (refusedCount === undefined) {
      this.#halted = true;
      return false;
    }
    this.#unfinished.shift();
    this.#status.insertedEvents += plan.eventCount - refusedCount;
    this.#status.duplicates += plan.duplicates;
    this.#status.deadLetters += plan.deadLetterCount + refusedCount;
    this.#status.suppressed += plan.suppressed;
    return true;
  }

  /** Starts writing the plan's copy for a crash replay; a replay's plan is the copy already there. */
  #record(entry: Planned): Promise<void> | undefined {
    if (entry.batch.replay) return undefined;
    const recorded = this.#o.spool.record(entry.batch, encodePlan(entry.plan));
    // Awaited (and its failure retried) when the batch's inserts begin.
    recorded.catch(() => undefined);
    return recorded;
  }

  async #retrying<T>(token: string, deadline: number, attempt: () => Promise<T>): Promise<T | undefined> {
    let delay = this.#o.retryMinMs;
    for (;;) {
      try {
        const result = await attempt();
        if (this.#status.failing) this.#o.logger.info('ClickHouse recovered');
        this.#status.failing = false;
        this.#status.lastError = undefined;
        return result;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (!this.#status.failing || this.#status.lastError !== message) {
          this.#o.logger.error({ err: message, token }, 'flush to ClickHouse failed; retrying');
        }
        this.#status.failing = true;
        this.#status.lastError = message;
        if (Date.now() + delay > deadline || (this.#stopping && deadline === Number.POSITIVE_INFINITY)) return undefined;
        await sleep(delay);
        delay = Math.min(delay * 2, this.#o.retryMaxMs);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
