/**
 * A batch being filled with serialized events. Events are serialized once, on the
 * way in; their byte size is known then, so the batch closes before crossing the
 * byte limit and the queue is never re-serialized.
 */
export class Batch {
  readonly #parts: string[] = [];
  readonly messageIds: string[] = [];
  /** Sequence number of the first event (see Ring); -1 while empty. */
  firstSeq = -1;
  /** Body size so far, envelope included. */
  bytes: number;

  constructor(readonly overheadBytes: number) {
    this.bytes = overheadBytes;
  }

  get count(): number {
    return this.#parts.length;
  }

  /** Whether an event of `bytes` still fits within `maxBytes` (a comma separates events). */
  fits(bytes: number, maxBytes: number): boolean {
    return this.bytes + bytes + (this.#parts.length > 0 ? 1 : 0) <= maxBytes;
  }

  add(seq: number, json: string, bytes: number, messageId: string): void {
    if (this.#parts.length > 0) this.bytes += 1;
    else this.firstSeq = seq;
    this.#parts.push(json);
    this.messageIds.push(messageId);
    this.bytes += bytes;
  }

  /**
   * The first and second halves, for a server that refused the whole body as too large (413). Both keep
   * `firstSeq`, so a flush() waiting on this batch waits for both halves.
   */
  split(): [Batch, Batch] {
    const halves: [Batch, Batch] = [new Batch(this.overheadBytes), new Batch(this.overheadBytes)];
    const half = Math.ceil(this.#parts.length / 2);
    this.#parts.forEach((json, i) => halves[i < half ? 0 : 1].add(this.firstSeq, json, Buffer.byteLength(json), this.messageIds[i] as string));
    return halves;
  }

  /** The events as the inside of a JSON array. */
  join(): string {
    return this.#parts.join(',');
  }
}
