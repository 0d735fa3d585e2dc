/**
 * A FIFO ring buffer that grows by doubling (amortised O(1) push, no shifting of
 * an array). Each item gets a sequence number in push order, which `flush()` uses
 * to know when everything queued before it has settled.
 */
export class Ring<T> {
  #items: Array<T | undefined>;
  #head = 0;
  #size = 0;
  /** Sequence number of the item at the head (the next to shift). */
  #headSeq = 0;

  constructor(initialCapacity = 1024) {
    this.#items = new Array<T | undefined>(initialCapacity);
  }

  get length(): number {
    return this.#size;
  }

  /** Sequence number of the head item, or of the next push when empty. */
  get headSeq(): number {
    return this.#headSeq;
  }

  /** Sequence number the next push gets. */
  get tailSeq(): number {
    return this.#headSeq + this.#size;
  }

  push(item: T): void {
    const items = this.#items;
    if (this.#size === items.length) this.#grow();
    this.#items[(this.#head + this.#size) % this.#items.length] = item;
    this.#size++;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined; // let the event be collected once serialized
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size--;
    this.#headSeq++;
    return item;
  }

  #grow(): void {
    const old = this.#items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#size; i++) next[i] = old[(this.#head + i) % old.length];
    this.#items = next;
    this.#head = 0;
  }
}
