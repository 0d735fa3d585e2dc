import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { segmentName, syncDir } from './files.js';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface SpoolWriterEvents {
  /** New bytes are durable in segment `seq` up to `offset`. */
  onDurable: (seq: number, offset: number) => void;
  /** Segment `seq` will receive no more bytes; its final size is `size`. */
  onSealed: (seq: number, size: number) => void;
}

/**
 * Appends lines to the active segment with group commit: every append made
 * while a write+fdatasync is in flight goes out in the next single write and
 * fsync, so concurrent requests share the cost of durability. `append`
 * resolves only once its bytes are on disk.
 */
export class SpoolWriter {
  readonly #dir: string;
  readonly #maxSegmentBytes: number;
  readonly #events: SpoolWriterEvents;
  #fh: FileHandle;
  #seq: number;
  #offset = 0;
  #pending: string[] = [];
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | undefined;
  #closed = false;
  #broken: Error | undefined;

  private constructor(dir: string, fh: FileHandle, seq: number, maxSegmentBytes: number, events: SpoolWriterEvents) {
    this.#dir = dir;
    this.#fh = fh;
    this.#seq = seq;
    this.#maxSegmentBytes = maxSegmentBytes;
    this.#events = events;
  }

  /** Opens a NEW segment `seq`: after a restart the previous one may end in a torn, unacknowledged write. */
  static async open(options: { dir: string; seq: number; maxSegmentBytes: number; events: SpoolWriterEvents }): Promise<SpoolWriter> {
    const fh = await open(join(options.dir, segmentName(options.seq)), 'wx');
    await syncDir(options.dir);
    return new SpoolWriter(options.dir, fh, options.seq, options.maxSegmentBytes, options.events);
  }

  get seq(): number {
    return this.#seq;
  }

  get offset(): number {
    return this.#offset;
  }

  /** Appends complete lines (each ending in '\n'); resolves when they are durable. */
  append(lines: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('spool is closed'));
    if (this.#broken !== undefined) return Promise.reject(this.#broken);
    return new Promise<void>((resolve, reject) => {
      this.#pending.push(lines);
      this.#waiters.push({ resolve, reject });
      this.#flushing ??= this.#flushLoop();
    });
  }

  async #flushLoop(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const chunk = Buffer.from(this.#pending.join(''));
        const waiters = this.#waiters;
        this.#pending = [];
        this.#waiters = [];
        try {
          await this.#writeDurably(chunk);
        } catch (err) {
          for (const w of waiters) w.reject(err);
          continue;
        }
        for (const w of waiters) w.resolve();
        if (this.#offset >= this.#maxSegmentBytes && !this.#closed) await this.#rotate();
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  async #writeDurably(chunk: Buffer): Promise<void> {
    const start = this.#offset;
    try {
      let written = 0;
      while (written < chunk.length) {
        const r = await this.#fh.write(chunk, written, chunk.length - written, start + written);
        written += r.bytesWritten;
      }
      await this.#fh.datasync();
    } catch (err) {
      // Cut the torn tail so later appends start on a line boundary; if even that
      // fails the spool cannot promise durability any more.
      try {
        await this.#fh.truncate(start);
      } catch (truncateErr) {
        this.#broken = new Error('spool write failed and could not be repaired', { cause: truncateErr });
      }
      throw err;
    }
    this.#offset = start + chunk.length;
    this.#events.onDurable(this.#seq, this.#offset);
  }

  /**
   * Seals the active segment now (when it holds anything) so that, once the
   * flusher has consumed it, its file is deleted: an erasure must not leave the
   * person's raw events in a half-written live segment.
   */
  async rotate(): Promise<void> {
    for (let f = this.#flushing; f !== undefined; f = this.#flushing) await f;
    if (this.#offset === 0 || this.#closed) return;
    // Holds the flush slot while rotating; appends queue meanwhile and are written after.
    const rotating = this.#rotate().finally(() => {
      this.#flushing = this.#pending.length > 0 ? this.#flushLoop() : undefined;
    });
    this.#flushing = rotating;
    await rotating;
  }

  async #rotate(): Promise<void> {
    const old = this.#fh;
    const oldSeq = this.#seq;
    const size = this.#offset;
    const next = await open(join(this.#dir, segmentName(oldSeq + 1)), 'wx');
    await syncDir(this.#dir);
    // Sealed and switched in one synchronous step: a reader that sees the new segment must also see the
    // old one's final size, or it takes the old one for gone and skips its unread bytes.
    this.#events.onSealed(oldSeq, size);
    this.#fh = next;
    this.#seq = oldSeq + 1;
    this.#offset = 0;
    await old.close();
  }

  /** Waits for pending appends to be durable, then closes the segment. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#flushing !== undefined) await this.#flushing;
    await this.#fh.close();
    this.#events.onSealed(this.#seq, this.#offset);
  }
}
