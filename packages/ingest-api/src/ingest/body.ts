import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { ApiError } from '../http/api-error.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const brotliAsync = promisify(brotliDecompress);

type Decoder = (buf: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>;

const DECODERS: Record<string, Decoder | null> = {
  gzip: gunzipAsync,
  'x-gzip': gunzipAsync,
  deflate: inflateAsync,
  br: brotliAsync,
  identity: null,
};

/**
 * Decodes a request body to text, whatever the client declared: gzip by
 * Content-Encoding or by its magic bytes (PostHog and some beacons send gzip
 * as text/plain without the header), deflate, brotli. Decompression stops at
 * `maxBytes`, so a gzip bomb costs at most that much memory.
 */
export async function decodeBody(raw: Buffer, contentEncoding: string | undefined, maxBytes: number): Promise<string> {
  let decoder: Decoder | null = null;
  if (contentEncoding !== undefined && contentEncoding !== '') {
    const name = contentEncoding.trim().toLowerCase();
    const found = DECODERS[name];
    if (found === undefined) throw new ApiError('unsupported_encoding', { message: `Unsupported Content-Encoding "${name}": use gzip, deflate, br or none.` });
    decoder = found;
  }
  // Declared identity (or nothing) but the bytes are gzip: decode anyway.
  if (decoder === null && raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) decoder = gunzipAsync;
  let buf = raw;
  if (decoder !== null) {
    try {
      buf = await decoder(raw, { maxOutputLength: maxBytes + 1 });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw bodyTooLarge(maxBytes);
      throw new ApiError('invalid_encoding', { message: `The body could not be decompressed: ${(err as Error).message}` });
    }
  }
  if (buf.length > maxBytes) throw bodyTooLarge(maxBytes);
  // A UTF-8 byte order mark is not JSON whitespace.
  const start = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  return buf.toString('utf8', start);
}

function bodyTooLarge(maxBytes: number): ApiError {
  return new ApiError('body_too_large', { message: `The request body is larger than ${maxBytes} bytes after decompression.` });
}

/** Fastify's limit is on the bytes on the wire; gzip of incompressible data is slightly larger. */
export function compressedBodyLimit(maxBodyBytes: number): number {
  return maxBodyBytes + 64 * 1024;
}

/** The text of a request's body (Fastify hands the ingestion routes the raw bytes), decoded as `decodeBody` does. */
export function requestText(req: { body: unknown; headers: { 'content-encoding'?: string | string[] | undefined } }, maxBytes: number): Promise<string> {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const encoding = req.headers['content-encoding'];
  return decodeBody(raw, Array.isArray(encoding) ? encoding[0] : encoding, maxBytes);
}
