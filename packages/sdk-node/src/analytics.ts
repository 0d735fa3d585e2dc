import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { EventType } from '@cdp/protocol';
import { Batch } from './batch.js';
import {
  checkAlias,
  checkGroup,
  checkIdentify,
  checkPage,
  checkTrack,
  InputIssue,
  type CheckResult,
  type PendingEvent,
} from './check.js';
import { deliver, type DeliveryContext, type Outcome } from './delivery.js';
import { TypedEmitter } from './emitter.js';
import type { AnalyticsEvents, DropReason } from './events.js';
import { resolveOptions, type Options, type ResolvedOptions } from './options.js';
import type { AliasParams, GroupParams, IdentifyParams, PageParams, ScreenParams, TrackParams } from './params.js';
import { Reporter } from './report.js';
import { Ring } from './ring.js';
import { Sleeps } from './sleep.js';
import { Transport } from './transport.js';
import { Envelope, serializeEvent } from './wire.js';

export interface CloseOptions {
  /** How long to wait for delivery before giving up on what is left (reported as `drop` with `close_timeout`). */
  timeoutMs?: number;
}

interface FlushWaiter {
  target: number;
  resolve: () => void;
}

/**
 * The server-side client. Calls check their input, append to an in-memory ring and
 * return; batches are serialized, compressed and sent in the background by at most
 * `maxConcurrentRequests` requests. Nothing here throws into the host except the
 * constructor, for an invalid option.
 */
export class Analytics extends TypedEmitter<AnalyticsEvents> {
  /** The resolved, frozen options. */
  readonly options: ResolvedOptions;
  readonly #ring = new Ring<PendingEvent>();
  readonly #envelope: Envelope;
  /** Largest event that fits in a batch on its own, within maxEventBytes. */
  readonly #maxEventBytes: number;
  readonly #transport: Transport;
  readonly #sleeps = new Sleeps();
  readonly #abort = new AbortController();
  readonly #delivery: DeliveryContext;
  /** The batch being filled. */
  #open: Batch;
  /** A closed batch waiting for a free request slot. */
  #ready: Batch | undefined;
  readonly #inflight = new Set<Batch>();
  /** Halves of batches refused with 413, waiting for a request slot (oldest first). */
  #split: Batch[] = [];
  #splitEvents = 0;
  #inflightEvents = 0;
  #pumpScheduled = false;
  #intervalTimer: NodeJS.Timeout | undefined;
  /** The open batch is older than flushIntervalMs: send it even if not full. */
  #flushDue = false;
  /** Events with a lower sequence number are sent without waiting for a full batch (flush/close). */
  #forceSeq = 0;
  readonly #waiters: FlushWaiter[] = [];
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #report = new Reporter((name, payload) => this.emit(name, payload));

  /** @throws InvalidOptionsError when an option is invalid (the only throw of the SDK). */
  constructor(options: Options) {
    super();
    this.options = resolveOptions(options);
    this.#envelope = new Envelope(this.options.writeKey);
    this.#open = new Batch(this.#envelope.overheadBytes);
    this.#maxEventBytes = Math.min(this.options.maxEventBytes, this.options.maxBatchBytes - this.#envelope.overheadBytes);
    this.#transport = new Transport({ endpoint: this.options.endpoint, maxSockets: this.options.maxConcurrentRequests });
    // Each request and each backoff listens on the one abort signal of close().
    setMaxListeners(2 * this.options.maxConcurrentRequests + 10, this.#abort.signal);
    this.#delivery = {
      options: this.options,
      transport: this.#transport,
      envelope: this.#envelope,
      sleeps: this.#sleeps,
      signal: this.#abort.signal,
    };
  }

  track(params: TrackParams): void {
    this.#call('track', params, checkTrack);
  }
  identify(params: IdentifyParams): void {
    this.#call('identify', params, checkIdentify);
  }
  page(params: PageParams): void {
    this.#call('page', params, (p) => checkPage('page', p));
  }
  screen(params: ScreenParams): void {
    this.#call('screen', params, (p) => checkPage('screen', p));
  }
  group(params: GroupParams): void {
    this.#call('group', params, checkGroup);
  }
  alias(params: AliasParams): void {
    this.#call('alias', params, checkAlias);
  }

  /** Events held in memory: queued, being sent or waiting for a retry. */
  get pendingEvents(): number {
    return this.#ring.length + this.#open.count + (this.#ready?.count ?? 0) + this.#inflightEvents + this.#splitEvents;
  }

  /**
   * Sends what is queued now without waiting for full batches; resolves when each of
   * those events was delivered or reported (`error`/`drop`). Never rejects.
   */
  flush(): Promise<void> {
    const target = this.#ring.tailSeq;
    if (this.#settledBelow() >= target) return Promise.resolve();
    this.#forceSeq = Math.max(this.#forceSeq, target);
    this.#sleeps.keepAlive(true);
    const done = new Promise<void>((resolve) => this.#waiters.push({ target, resolve }));
    this.#pump();
    return done;
  }

  /**
   * Flushes, then stops: later calls are dropped (`closed`) and idle sockets are closed.
   * After `timeoutMs` what is left is abandoned and reported as `drop` (`close_timeout`).
   * Resolves once every event is accounted for; never rejects. Await it before exiting.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#shutdown(options.timeoutMs ?? this.options.closeTimeoutMs);
    return this.#closing;
  }

  async #shutdown(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.flush().then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) this.#abandon();
    clearTimeout(this.#intervalTimer);
    this.#transport.destroy();
    this.#report.emitDrops();
  }

  #call<P>(type: EventType, params: P, check: (params: P) => CheckResult): void {
    try {
      const result = check(params);
      if (result instanceof InputIssue) this.#reportInvalid(type, result, params);
      else this.#enqueue(result);
    } catch (cause) {
      // A throwing getter or proxy in the parameters: report it like any bad input.
      this.#reportInvalid(type, new InputIssue('', `could not read the parameters: ${String(cause)}`), params, cause);
    }
  }

  #enqueue(event: PendingEvent): void {
    if (this.#closed) return this.#drop('closed', event);
    if (this.pendingEvents >= this.options.maxQueueEvents) {
      // drop-oldest can only evict what is not serialized yet; batches on the wire stay.
      const oldest = this.options.overflow === 'drop-oldest' ? this.#ring.shift() : undefined;
      if (oldest === undefined) return this.#drop('queue_full', event);
      this.#drop('queue_full', oldest);
    }
    this.#ring.push(event);
    if (!this.#pumpScheduled) {
      this.#pumpScheduled = true;
      setImmediate(this.#scheduledPump);
    }
  }

  readonly #scheduledPump = (): void => {
    this.#pumpScheduled = false;
    this.#pump();
  };

  /** Moves events from the ring into batches and batches onto free request slots. */
  #pump(): void {
    const o = this.options;
    // Halves of a batch refused as too large hold older events than anything queued: they go first.
    while (this.#split.length > 0 && this.#inflight.size < o.maxConcurrentRequests) {
      const half = this.#split.shift() as Batch;
      this.#splitEvents -= half.count;
      this.#send(half);
    }
    for (;;) {
      if (this.#split.length > 0) break;
      if (this.#ready !== undefined) {
        if (this.#inflight.size >= o.maxConcurrentRequests) break;
        this.#send(this.#ready);
        this.#ready = undefined;
      }
      this.#fill();
      const open = this.#open;
      if (this.#ready === undefined && open.count > 0) {
        if (open.count >= o.maxBatchEvents || this.#flushDue || open.firstSeq < this.#forceSeq) this.#seal();
      }
      if (this.#ready === undefined) break;
    }
    if (this.#open.count > 0 && this.#intervalTimer === undefined && !this.#closed) {
      this.#intervalTimer = setTimeout(this.#onInterval, o.flushIntervalMs);
      this.#intervalTimer.unref();
    }
    if (this.#waiters.length > 0) this.#resolveWaiters();
  }

  readonly #onInterval = (): void => {
    this.#intervalTimer = undefined;
    this.#flushDue = true;
    this.#pump();
  };

  /** Serializes queued events into the open batch until it is full or the ring is empty. */
  #fill(): void {
    const o = this.options;
    const ring = this.#ring;
    while (ring.length > 0 && this.#ready === undefined && this.#open.count < o.maxBatchEvents) {
      const seq = ring.headSeq;
      const event = ring.shift() as PendingEvent;
      const messageId = event.messageId ?? randomUUID();
      let json: string;
      try {
        json = serializeEvent(event, messageId);
      } catch (cause) {
        const issue = new InputIssue('', `not serializable as JSON: ${String(cause)}`);
        this.#report.invalid({ type: event.type, issue, messageId, cause });
        continue;
      }
      const bytes = Buffer.byteLength(json);
      if (bytes > this.#maxEventBytes) {
        this.#report.tooLarge({ type: event.type, messageId, bytes, limit: this.#maxEventBytes });
        continue;
      }
      if (this.#open.count > 0 && !this.#open.fits(bytes, o.maxBatchBytes)) this.#seal();
      this.#open.add(seq, json, bytes, messageId);
    }
  }

  #seal(): void {
    this.#ready = this.#open;
    this.#open = new Batch(this.#envelope.overheadBytes);
    this.#flushDue = false;
    clearTimeout(this.#intervalTimer);
    this.#intervalTimer = undefined;
  }

  #send(batch: Batch): void {
    this.#inflight.add(batch);
    this.#inflightEvents += batch.count;
    deliver(batch, this.#delivery).then(
      (outcome) => this.#settle(batch, outcome),
      (cause: unknown) => this.#settle(batch, { kind: 'failed', status: undefined, attempts: 1, cause }),
    );
  }

  #settle(batch: Batch, outcome: Outcome): void {
    if (!this.#inflight.delete(batch)) return; // already reported by close()
    this.#inflightEvents -= batch.count;
    // A collector with a smaller body limit than maxBatchBytes answers 413: its halves are sent instead,
    // down to single events (one still refused is reported like any other refused request).
    if (outcome.kind === 'rejected' && outcome.status === 413 && batch.count > 1) {
      this.#split.unshift(...batch.split());
      this.#splitEvents += batch.count;
    } else this.#report.outcome(batch.messageIds, outcome);
    this.#pump();
  }

  /** Lowest sequence number not yet settled: everything below it was delivered or reported. */
  #settledBelow(): number {
    let low = this.#ring.headSeq;
    if (this.#open.count > 0) low = Math.min(low, this.#open.firstSeq);
    if (this.#ready !== undefined) low = Math.min(low, this.#ready.firstSeq);
    for (const batch of this.#inflight) low = Math.min(low, batch.firstSeq);
    for (const batch of this.#split) low = Math.min(low, batch.firstSeq);
    return low;
  }

  #resolveWaiters(): void {
    const settled = this.#settledBelow();
    while (this.#waiters.length > 0 && (this.#waiters[0] as FlushWaiter).target <= settled) {
      (this.#waiters.shift() as FlushWaiter).resolve();
    }
    if (this.#waiters.length === 0) this.#sleeps.keepAlive(false);
  }

  /** close() timed out: stop every request and report what was not confirmed. */
  #abandon(): void {
    this.#abort.abort();
    const ids: string[] = [];
    for (let e = this.#ring.shift(); e !== undefined; e = this.#ring.shift()) ids.push(e.messageId ?? randomUUID());
    for (const batch of [this.#open, this.#ready, ...this.#inflight, ...this.#split]) if (batch !== undefined) ids.push(...batch.messageIds);
    this.#open = new Batch(this.#envelope.overheadBytes);
    this.#ready = undefined;
    this.#split = [];
    this.#splitEvents = 0;
    this.#inflight.clear();
    this.#inflightEvents = 0;
    this.#report.drop('close_timeout', ids);
    for (const waiter of this.#waiters.splice(0)) waiter.resolve();
    this.#sleeps.keepAlive(false);
  }

  #drop(reason: DropReason, event: PendingEvent): void {
    this.#report.drop(reason, [event.messageId ?? randomUUID()]);
  }

  /** A refused call: named by the messageId it was given, or a generated one. */
  #reportInvalid(type: EventType, issue: InputIssue, params: unknown, cause?: unknown): void {
    let given: unknown;
    try {
      given = typeof params === 'object' && params !== null ? (params as { messageId?: unknown }).messageId : undefined;
    } catch {
      given = undefined; // the parameters' getters throw: that is what is being reported
    }
    const messageId = typeof given === 'string' && given !== '' ? given : randomUUID();
    this.#report.invalid({ type, issue, messageId, cause });
  }
}
