/**
 * A scalable Bloom filter over strings: a new layer twice as large is added
 * when the current one is full, so the false-positive rate stays near its
 * target (1%) however many keys arrive. False positives only cost a lookup;
 * there are no false negatives.
 */
const BITS_PER_KEY = 9.6; // 1% false positives
const HASHES = 7;

class Layer {
  readonly bits: Uint32Array;
  readonly size: number;
  count = 0;
  constructor(readonly capacity: number) {
    this.size = Math.max(64, Math.ceil(capacity * BITS_PER_KEY));
    this.bits = new Uint32Array(Math.ceil(this.size / 32));
  }
}

/** Two independent 32-bit FNV-1a hashes of a string (different offset bases). */
function hashes(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193 + 0x2f);
  }
  // Final avalanche so similar keys spread over the whole range.
  b ^= b >>> 15;
  b = Math.imul(b, 0x2c1b3c6d);
  b ^= b >>> 12;
  return [a >>> 0, (b | 1) >>> 0];
}

export class BloomFilter {
  readonly #layers: Layer[];

  constructor(initialCapacity: number) {
    this.#layers = [new Layer(Math.max(1024, initialCapacity))];
  }

  add(key: string): void {
    let layer = this.#layers[this.#layers.length - 1] as Layer;
    if (layer.count >= layer.capacity) {
      layer = new Layer(layer.capacity * 2);
      this.#layers.push(layer);
    }
    const [h1, h2] = hashes(key);
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const pos = bit % layer.size;
      layer.bits[pos >>> 5] = (layer.bits[pos >>> 5] as number) | (1 << (pos & 31));
    }
    layer.count++;
  }

  mightContain(key: string): boolean {
    const [h1, h2] = hashes(key);
    outer: for (const layer of this.#layers) {
      for (let i = 0; i < HASHES; i++) {
        const pos = ((h1 + Math.imul(i, h2)) >>> 0) % layer.size;
        if (((layer.bits[pos >>> 5] as number) & (1 << (pos & 31))) === 0) continue outer;
      }
      return true;
    }
    return false;
  }

  /** Bytes held by the bit arrays. */
  get bytes(): number {
    return this.#layers.reduce((n, l) => n + l.bits.byteLength, 0);
  }
}
