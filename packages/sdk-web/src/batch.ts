import type { BatchBody } from '@cdp/protocol';
import type { SdkEvent } from './types.js';

const encoder = new TextEncoder();
export const byteLength = (text: string): number => encoder.encode(text).length;

/** The `/v1/batch` body: `text/plain` JSON with the write key inside, so no CORS preflight and no auth header. */
export function batchBody(batch: readonly SdkEvent[], writeKey: string): string {
  const body: Omit<BatchBody, 'batch'> & { batch: readonly SdkEvent[] } = { batch, writeKey, sentAt: new Date().toISOString() };
  return JSON.stringify(body);
}

/** Envelope bytes besides the events (`{"batch":[...],"writeKey":..,"sentAt":..}`), with room to spare. */
const ENVELOPE_BYTES = 512;

/** Splits events, in order, into batches of at most `maxBytes` serialized and `maxEvents` events. */
export function chunk(events: readonly SdkEvent[], { maxBytes, maxEvents }: { maxBytes: number; maxEvents: number }): SdkEvent[][] {
  const out: SdkEvent[][] = [];
  let current: SdkEvent[] = [];
  let size = ENVELOPE_BYTES;
  for (const event of events) {
    const bytes = byteLength(JSON.stringify(event)) + 1;
    if (current.length > 0 && (size + bytes > maxBytes || current.length >= maxEvents)) {
      out.push(current);
      current = [];
      size = ENVELOPE_BYTES;
    }
    current.push(event);
    size += bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}
