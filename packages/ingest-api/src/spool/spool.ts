import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listSegments, readJsonFile, segmentName, spoolId, writeFileDurably } from './files.js';
import { comparePositions, type SpoolPosition } from './position.js';
import { SpoolReader, type SpoolChunk } from './reader.js';
import { SpoolWriter } from './writer.js';

export interface SpoolOptions {
  dir: string;
  /** A segment is sealed and a new one started past this size. */
  maxSegmentBytes: number;
  /** Appends fail with SpoolFullError while the unflushed backlog exceeds this. */
  maxBacklogBytes: number;
}

export interface SpoolBatch extends SpoolChunk {
  /** insert_deduplication_token prefix for everything this batch inserts. */
  token: string;
  /** True when this batch is the replay of one that was in flight at a crash. */
  replay: boolean;
  /** On a replay: the text recorded for the batch (the flusher's plan, see `record`), if any. */
  recorded?: string;
}

interface Intent {
  start: SpoolPosition;
  end: SpoolPosition;
  token: string;
  /** The file holding the batch's recorded text (durable before the intent is written). */
  recorded?: string;
}

export class SpoolFullError extends Error {
  override readonly name = 'SpoolFullError';
}

const CHECKPOINT = 'checkpoint.json';
const INTENT = 'intent.json';
/** Text recorded for a batch (see `record`), named by where the batch starts. */
const RECORD = /^record-\d+-\d+\.txt$/;
const recordName = (start: SpoolPosition) => `record-${start.seq}-${start.offset}.txt`;

/**
 * The local write-ahead spool. Requests append events and are acknowledged
 * once the bytes are fsync'd; the flusher reads them back in batches, inserts
 * them into ClickHouse and commits a checkpoint. Before each insert it records
 * the batch's exact range and token (the intent) and the text the flusher
 * gives (its plan: the rows), so after a crash the same rows are inserted
 * again with the same token and ClickHouse absorbs the repeat.
 */
export class Spool {
  readonly #dir: string;
  readonly #id: string;
  readonly #reader: SpoolReader;
  readonly #sealed = new Map<number, number>();
  #writer!: SpoolWriter;
  /** The checkpoint: everything before it is in ClickHouse. */
  #pos: SpoolPosition;
  /** Where the next batch is read from: ahead of the checkpoint while a batch is being inserted. */
  #readPos: SpoolPosition;
  /** The batch recorded by begin() and not yet committed: retries must rebuild exactly it. */
  #inflight: Intent | undefined;
  /** At start: the text recorded with the in-flight batch of the previous run, handed out with its replay. */
  #recorded: string | undefined;
  #durableBytes = 0;
  #consumedBytes = 0;
  /** Bytes handed out in batches (or skipped as torn tails). */
  #readBytes = 0;
  #maxBacklogBytes: number;
  #waiters: Array<() => void> = [];
  #oldestUnflushedAt: number | undefined;
  #stoppedWaiting = false;
  /** Intent and checkpoint writes, in order: a later one never lands before an earlier one. */
  #metaWrites: Promise<void> = Promise.resolve();

  private constructor(dir: string, id: string, pos: SpoolPosition, maxBacklogBytes: number) {
    this.#dir = dir;
    this.#id = id;
    this.#reader = new SpoolReader(dir);
    this.#pos = pos;
    this.#readPos = pos;
    this.#maxBacklogBytes = maxBacklogBytes;
  }

  static async open(options: SpoolOptions): Promise<Spool> {
    mkdirSync(options.dir, { recursive: true });
    const segments = listSegments(options.dir);
    const checkpoint = readJsonFile<SpoolPosition>(options.dir, CHECKPOINT) ?? { seq: segments[0] ?? 1, offset: 0 };
    const spool = new Spool(options.dir, await spoolId(options.dir), checkpoint, options.maxBacklogBytes);
    for (const seq of segments) {
      // Consumed segments whose deletion a crash interrupted.
      if (seq < checkpoint.seq) rmSync(join(options.dir, segmentName(seq)), { force: true });
      else spool.#sealed.set(seq, await spool.#reader.size(seq));
    }
    for (const [seq, size] of spool.#sealed) spool.#durableBytes += seq === checkpoint.seq ? size - checkpoint.offset : size;
    const intent = readJsonFile<Intent>(options.dir, INTENT);
    if (intent !== undefined && comparePositions(intent.start, checkpoint) === 0) {
      spool.#inflight = intent;
      const record = intent.recorded !== undefined && RECORD.test(intent.recorded) ? join(options.dir, intent.recorded) : undefined;
      if (record !== undefined && existsSync(record)) spool.#recorded = readFileSync(record, 'utf8');
    }
    // Records of batches that were committed, or never begun, before a crash: they hold personal data.
    for (const name of readdirSync(options.dir)) {
      if (RECORD.test(name) && name !== spool.#inflight?.recorded) rmSync(join(options.dir, name), { force: true });
    }
    const lastSeq = Math.max(checkpoint.seq, ...segments);
    spool.#writer = await SpoolWriter.open({
      dir: options.dir,
      seq: segments.length === 0 && checkpoint.offset === 0 ? checkpoint.seq : lastSeq + 1,
      maxSegmentBytes: options.maxSegmentBytes,
      events: {
        onDurable: (seq, offset) => spool.#onDurable(seq, offset),
        onSealed: (seq, size) => spool.#sealed.set(seq, size),
      },
    });
    if (spool.backlogBytes > 0) spool.#oldestUnflushedAt = Date.now();
    return spool;
  }

  #lastDurable: SpoolPosition = { seq: -1, offset: 0 };

  #onDurable(seq: number, offset: number): void {
    const previous = this.#lastDurable.seq === seq ? this.#lastDurable.offset : 0;
    this.#lastDurable = { seq, offset };
    this.#durableBytes += offset - previous;
    this.#oldestUnflushedAt ??= Date.now();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Bytes acknowledged but not yet committed to ClickHouse. */
  get backlogBytes(): number {
    return this.#durableBytes - this.#consumedBytes;
  }

  /** Bytes acknowledged and not yet handed out in a batch. */
  get unreadBytes(): number {
    return this.#durableBytes - this.#readBytes;
  }

  /** Upper bound of the age in ms of the oldest acknowledged, uncommitted byte (0 when none). */
  get lagMs(): number {
    return this.#oldestUnflushedAt === undefined ? 0 : Date.now() - this.#oldestUnflushedAt;
  }

  /** End of the durable bytes: everything acknowledged so far lies before it. */
  get durableEnd(): SpoolPosition {
    return { seq: this.#writer.seq, offset: this.#writer.offset };
  }

  /** The checkpoint: everything before it is committed to ClickHouse. */
  get committed(): SpoolPosition {
    return this.#pos;
  }

  /** Whether the next batch is the replay of one a crash interrupted (see `next`). */
  get replayPending(): boolean {
    const inflight = this.#inflight;
    return inflight !== undefined && comparePositions(inflight.start, this.#readPos) === 0;
  }

  /**
   * Seals the live segment and returns where the new one starts: everything
   * acknowledged before the call lies before that position, and each sealed
   * segment's file is deleted once the flusher has moved past it.
   */
  async rotate(): Promise<SpoolPosition> {
    await this.#writer.rotate();
    return { seq: this.#writer.seq, offset: 0 };
  }

  /** Appends complete lines; resolves once they are durable on disk. */
  append(lines: string): Promise<void> {
    if (this.backlogBytes > this.#maxBacklogBytes) {
      return Promise.reject(new SpoolFullError(`spool backlog above ${this.#maxBacklogBytes} bytes`));
    }
    return this.#writer.append(lines);
  }

  /**
   * Resolves when at least `minBytes` are waiting, or the oldest waiting byte
   * is `maxWaitMs` old, or `stopWaiting()` was called.
   */
  async waitForBatch(minBytes: number, maxWaitMs: number): Promise<void> {
    for (;;) {
      if (this.#stoppedWaiting) return;
      const backlog = this.unreadBytes;
      if (backlog >= minBytes) return;
      const age = this.lagMs;
      if (backlog > 0 && age >= maxWaitMs) return;
      const timeout = backlog > 0 ? maxWaitMs - age : undefined;
      await new Promise<void>((resolve) => {
        const timer = timeout === undefined ? undefined : setTimeout(resolve, timeout);
        this.#waiters.push(() => {
          if (timer !== undefined) clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Wakes any waitForBatch (used at shutdown). */
  stopWaiting(): void {
    this.#stoppedWaiting = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /**
   * The next batch after the last one handed out (at start: after the
   * checkpoint, beginning with the batch a crash left in flight, rebuilt
   * exactly), or undefined when nothing complete is waiting.
   */
  async next(maxBytes: number): Promise<SpoolBatch | undefined> {
    const inflight = this.#inflight;
    if (inflight !== undefined && this.replayPending) {
      const { start, end, token } = inflight;
      const chunk = await this.#reader.read(start, end.offset, end.offset - start.offset);
      if (chunk === undefined || comparePositions(chunk.end, end) !== 0) {
        throw new Error(`spool batch ${token} cannot be re-read; the spool directory was modified`);
      }
      this.#handOut(chunk);
      const recorded = this.#recorded;
      this.#recorded = undefined;
      return recorded === undefined ? { ...chunk, token, replay: true } : { ...chunk, token, replay: true, recorded };
    }
    for (;;) {
      const pos = this.#readPos;
      const sealedSize = this.#sealed.get(pos.seq);
      const limit = sealedSize ?? (pos.seq === this.#writer.seq ? this.#writer.offset : 0);
      const chunk = await this.#reader.read(pos, limit, maxBytes);
      if (chunk !== undefined) {
        this.#handOut(chunk);
        return { ...chunk, token: `${this.#id}:${pos.seq}:${pos.offset}`, replay: false };
      }
      if (sealedSize === undefined && pos.seq >= this.#writer.seq) return undefined;
      // A sealed, exhausted segment (a torn, never-acknowledged tail is skipped), or one the
      // checkpoint names but that is gone: move on. It is deleted once the checkpoint passes it.
      const skipped = (sealedSize ?? pos.offset) - pos.offset;
      this.#readBytes += skipped;
      this.#consumedBytes += skipped;
      this.#readPos = { seq: pos.seq + 1, offset: 0 };
      if (comparePositions(this.#pos, pos) === 0) await this.#advance(this.#readPos);
    }
  }

  #handOut(chunk: SpoolChunk): void {
    this.#readPos = chunk.end;
    this.#readBytes += chunk.end.offset - chunk.start.offset;
  }

  /**
   * Durably writes text to hand to this batch's replay after a crash (the
   * flusher's plan). It may run ahead, while an earlier batch is inserted; it
   * counts once `begin` is given its promise.
   */
  record(batch: SpoolBatch, text: string): Promise<void> {
    return writeFileDurably(this.#dir, recordName(batch.start), text);
  }

  /**
   * Records the batch about to be inserted, so a crash replays exactly it (and
   * hands its replay the text of `recorded`, a `record` call, which must have
   * succeeded). Resolves once durable.
   */
  async begin(batch: SpoolBatch, recorded?: Promise<void>): Promise<void> {
    const inflight = this.#inflight;
    if (inflight !== undefined && inflight.token === batch.token) return;
    const intent: Intent = { start: batch.start, end: batch.end, token: batch.token };
    if (recorded !== undefined) {
      await recorded;
      intent.recorded = recordName(batch.start);
    }
    await this.#persist(INTENT, JSON.stringify(intent));
    this.#inflight = intent;
  }

  /**
   * The batch is in ClickHouse: move the checkpoint past it. Batches commit in
   * order. A sealed segment consumed to its end is deleted at once.
   */
  async commit(batch: SpoolBatch): Promise<void> {
    const recorded = this.#inflight?.recorded;
    this.#inflight = undefined;
    this.#consumedBytes += batch.end.offset - batch.start.offset;
    const sealedSize = this.#sealed.get(batch.end.seq);
    const advanced = this.#advance(sealedSize === batch.end.offset ? { seq: batch.end.seq + 1, offset: 0 } : batch.end);
    // With bytes left, keep the clock: they are no newer than the batch just flushed, and
    // resetting it would make them wait a whole interval again (lag is reported as an upper bound).
    if (this.backlogBytes === 0) this.#oldestUnflushedAt = undefined;
    await advanced;
    // The recorded rows hold personal data: kept on disk only while their batch is in flight.
    if (recorded !== undefined) await this.#persist(recorded, undefined);
  }

  /** Moves the checkpoint (in memory at once); consumed segments are deleted once it is durable. */
  async #advance(to: SpoolPosition): Promise<void> {
    const from = this.#pos;
    this.#pos = to;
    await this.#persist(CHECKPOINT, JSON.stringify(to));
    for (let seq = from.seq; seq < to.seq; seq++) {
      this.#sealed.delete(seq);
      rmSync(join(this.#dir, segmentName(seq)), { force: true });
    }
  }

  /** Durably replaces (or, with no content, deletes) a metadata file, after the earlier ones. */
  #persist(name: string, content: string | undefined): Promise<void> {
    const path = join(this.#dir, name);
    const write = this.#metaWrites.then(() => (content === undefined ? rm(path, { force: true }) : writeFileDurably(this.#dir, name, content)));
    this.#metaWrites = write.catch(() => undefined);
    return write;
  }

  async closeWriter(): Promise<void> {
    await this.#writer.close();
  }

  async close(): Promise<void> {
    this.stopWaiting();
    await this.#writer.close();
    await this.#metaWrites;
    await this.#reader.close();
  }
}
