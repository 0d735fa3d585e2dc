/**
 * MurmurHash3 x86_128 over UTF-8, in plain JS: profile ids must be the same on every platform and
 * in every replay, and the package must not need node:crypto. Not a cryptographic hash.
 */

function utf8(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 63);
        out[n++] = 0x80 | ((c >> 6) & 63);
        out[n++] = 0x80 | (c & 63);
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate, as TextEncoder does
    out[n++] = 0xe0 | (c >> 12);
    out[n++] = 0x80 | ((c >> 6) & 63);
    out[n++] = 0x80 | (c & 63);
  }
  return out.subarray(0, n);
}

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function mix(k: number, ca: number, r: number, cb: number): number {
  return Math.imul(rotl(Math.imul(k, ca), r), cb);
}

function word(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) | 0;
}

/** The four 32-bit words h1..h4 of MurmurHash3_x86_128(utf8(text), seed). */
export function murmur3x86_128(text: string, seed = 0): [number, number, number, number] {
  const data = utf8(text);
  const len = data.length;
  const blocks = len - (len % 16);
  let h1 = seed | 0;
  let h2 = seed | 0;
  let h3 = seed | 0;
  let h4 = seed | 0;
  for (let i = 0; i < blocks; i += 16) {
    h1 ^= mix(word(data, i), C1, 15, C2);
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= mix(word(data, i + 4), C2, 16, C3);
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= mix(word(data, i + 8), C3, 17, C4);
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= mix(word(data, i + 12), C4, 18, C1);
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  // Tail: up to 15 bytes, little-endian into k1..k4 (the reference's fall-through switch).
  const k = [0, 0, 0, 0];
  for (let i = len - 1; i >= blocks; i--) {
    const at = i - blocks;
    k[at >> 2] = k[at >> 2]! ^ (data[i]! << ((at & 3) * 8));
  }
  if (len > blocks) {
    h4 ^= mix(k[3]!, C4, 18, C1);
    h3 ^= mix(k[2]!, C3, 17, C4);
    h2 ^= mix(k[1]!, C2, 16, C3);
    h1 ^= mix(k[0]!, C1, 15, C2);
  }
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * A 128-bit hash rendered as an RFC 9562 version-8 ("custom") UUID, so it fits UUID columns.
 * 122 bits of the hash survive.
 */
export function hashToUuid(text: string): string {
  const hex = murmur3x86_128(text).map(hex8).join('');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  // join() returns a flat string; a template literal would build a rope that every Map lookup and
  // comparison of the id then has to walk.
  return [hex.slice(0, 8), hex.slice(8, 12), `8${hex.slice(13, 16)}`, variant + hex.slice(17, 20), hex.slice(20, 32)].join('-');
}
