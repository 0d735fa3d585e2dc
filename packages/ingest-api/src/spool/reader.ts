import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { segmentName } from './files.js';
import type { SpoolPosition } from './position.js';

export interface SpoolChunk {
  start: SpoolPosition;
  end: SpoolPosition;
  /** Complete lines, each ending in '\n'. */
  text: string;
}

/**
 * Reads complete lines from the spool, one segment at a time. A chunk never
 * crosses a segment boundary, so its (start, end) pair names it exactly and a
 * replay after a crash can rebuild the same chunk.
 */
export class SpoolReader {
  readonly #dir: string;
  #fh: FileHandle | undefined;
  #fhSeq = -1;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /**
   * Reads from `from` up to `limit` bytes of the segment (its durable end, or
   * its final size when sealed), at most `maxBytes`, cut at the last newline.
   * Returns undefined when no complete line is available.
   */
  async read(from: SpoolPosition, limit: number, maxBytes: number): Promise<SpoolChunk | undefined> {
    const available = limit - from.offset;
    if (available <= 0) return undefined;
    const fh = await this.#handle(from.seq);
    let want = Math.min(available, maxBytes);
    for (;;) {
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, from.offset);
      const last = buf.lastIndexOf(10, bytesRead - 1);
      if (last !== -1) {
        const end = { seq: from.seq, offset: from.offset + last + 1 };
        return { start: from, end, text: buf.toString('utf8', 0, last + 1) };
      }
      // One line longer than maxBytes: widen the read rather than stall.
      if (want >= available) return undefined;
      want = Math.min(available, want * 2);
    }
  }

  async size(seq: number): Promise<number> {
    try {
      return (await stat(join(this.#dir, segmentName(seq)))).size;
    } catch {
      return 0;
    }
  }

  async #handle(seq: number): Promise<FileHandle> {
    if (this.#fh !== undefined && this.#fhSeq === seq) return this.#fh;
    await this.#fh?.close();
    this.#fh = await open(join(this.#dir, segmentName(seq)), 'r');
    this.#fhSeq = seq;
    return this.#fh;
  }

  async close(): Promise<void> {
    await this.#fh?.close();
    this.#fh = undefined;
  }
}
