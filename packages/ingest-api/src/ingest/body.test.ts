import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../http/api-error.js';
import { decodeBody } from './body.js';

const LIMIT = 500 * 1024;
const json = JSON.stringify({ batch: [{ type: 'track', event: 'x', userId: 'u' }] });

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err instanceof ApiError ? err.code : `unexpected ${String(err)}`;
  }
}

describe('decodeBody', () => {
  it('passes plain bytes through', async () => {
    expect(await decodeBody(Buffer.from(json), undefined, LIMIT)).toBe(json);
  });
  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
    ['GZIP', gzipSync],
  ])('decodes Content-Encoding %s', async (enc, compress) => {
    expect(await decodeBody(compress(Buffer.from(json)), enc, LIMIT)).toBe(json);
  });
  it('detects gzip by its magic bytes when no encoding is declared', async () => {
    expect(await decodeBody(gzipSync(Buffer.from(json)), undefined, LIMIT)).toBe(json);
    expect(await decodeBody(gzipSync(Buffer.from(json)), 'identity', LIMIT)).toBe(json);
  });
  it('strips a UTF-8 byte order mark', async () => {
    expect(await decodeBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]), undefined, LIMIT)).toBe(json);
  });
  it('rejects an unknown encoding with 415', async () => {
    expect(await codeOf(decodeBody(Buffer.from(json), 'compress', LIMIT))).toBe('unsupported_encoding');
  });
  it('rejects corrupt gzip with 400', async () => {
    const gz = gzipSync(Buffer.from(json));
    expect(await codeOf(decodeBody(gz.subarray(0, gz.length - 6), 'gzip', LIMIT))).toBe('invalid_encoding');
    expect(await codeOf(decodeBody(Buffer.from('not gzip'), 'gzip', LIMIT))).toBe('invalid_encoding');
  });
  it('stops a gzip bomb at the limit', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    expect(await codeOf(decodeBody(bomb, 'gzip', LIMIT))).toBe('body_too_large');
    expect(await codeOf(decodeBody(bomb, undefined, LIMIT))).toBe('body_too_large');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(20 * 1024 * 1024);
  });
  it('rejects an uncompressed body above the limit', async () => {
    expect(await codeOf(decodeBody(Buffer.alloc(LIMIT + 1, 0x20), undefined, LIMIT))).toBe('body_too_large');
  });
});
