import { DEFAULT_LIMITS } from '@cdp/protocol';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../http/api-error.js';
import { decodeRecords } from '../pipeline/records.js';
import { processBatch, processSingle } from './process.js';

const facts = { workspaceId: 'ws1', keyId: 'key1', receivedAt: Date.UTC(2024, 4, 1, 12), ip: undefined };
const limits = { ...DEFAULT_LIMITS };

function rows(lines: string): Array<Record<string, unknown>> {
  return decodeRecords(lines).records.map((r) => JSON.parse(r.row) as Record<string, unknown>);
}

describe('processBatch', () => {
  it('merges batch-level context and integrations under each event (event keys win)', () => {
    const r = processBatch(
      {
        batch: [
          { type: 'track', event: 'a', userId: 'u', messageId: 'm1', context: { ip: '1.1.1.1' } },
          { type: 'identify', userId: 'u', messageId: 'm2', traits: { plan: 'pro' } },
        ],
        context: { library: { name: 'lib', version: '1' }, ip: '9.9.9.9' },
        integrations: { All: true },
      },
      facts,
      limits,
    );
    const [a, b] = rows(r.lines);
    expect(a?.['context']).toEqual({ library: { name: 'lib', version: '1' }, ip: '1.1.1.1' });
    expect(b?.['context']).toEqual({ library: { name: 'lib', version: '1' }, ip: '9.9.9.9' });
    expect(b?.['integrations']).toEqual({ All: true });
    expect(b?.['traits']).toEqual({ plan: 'pro' });
    expect(b?.['properties']).toEqual({});
  });

  it('computes timestamps as Segment does', () => {
    const r = processBatch(
      {
        batch: [
          { type: 'track', event: 'explicit', userId: 'u', timestamp: '2024-05-01T10:00:00.000Z' },
          // Device clock 1 h fast: corrected by sentAt.
          { type: 'track', event: 'skewed', userId: 'u', originalTimestamp: '2024-05-01T12:59:00.000Z' },
          { type: 'track', event: 'none', userId: 'u' },
        ],
        sentAt: '2024-05-01T13:00:00.000Z',
      },
      facts,
      limits,
    );
    const [a, b, c] = rows(r.lines);
    expect(a?.['timestamp']).toBe('2024-05-01T10:00:00.000Z');
    expect(b?.['timestamp']).toBe('2024-05-01T11:59:00.000Z');
    expect(c?.['timestamp']).toBe('2024-05-01T12:00:00.000Z');
    expect(c?.['sent_at']).toBe('2024-05-01T13:00:00.000Z');
  });

  it('replaces event times more than 23 hours after receipt, or before 1900, by the receive time', () => {
    // facts.receivedAt is 2024-05-01T12:00Z.
    const r = processBatch(
      {
        batch: [
          { type: 'track', event: 'tomorrow evening', userId: 'u', timestamp: '2024-05-02T10:59:00.000Z' },
          { type: 'track', event: 'in two days', userId: 'u', timestamp: '2024-05-03T12:00:00.000Z' },
          // Corrected by an absurd sentAt: 400 years ahead, and 400 years back.
          { type: 'track', event: 'ahead', userId: 'u', originalTimestamp: '2299-12-31T00:00:00.000Z', sentAt: '1900-01-01T00:00:00.000Z' },
          { type: 'track', event: 'back', userId: 'u', originalTimestamp: '1900-01-01T00:00:00.000Z', sentAt: '2299-12-31T00:00:00.000Z' },
          { type: 'track', event: 'import', userId: 'u', timestamp: '1999-01-01T00:00:00.000Z' },
        ],
      },
      facts,
      limits,
    );
    expect(rows(r.lines).map((row) => [row['event'], row['timestamp']])).toEqual([
      ['tomorrow evening', '2024-05-02T10:59:00.000Z'],
      ['in two days', '2024-05-01T12:00:00.000Z'],
      ['ahead', '2024-05-01T12:00:00.000Z'],
      ['back', '2024-05-01T12:00:00.000Z'],
      ['import', '1999-01-01T00:00:00.000Z'],
    ]);
  });

  it('derives a stable messageId when the client sent none', () => {
    const body = { batch: [{ type: 'track', event: 'a', userId: 'u' }] };
    const first = rows(processBatch(body, facts, limits).lines)[0]?.['message_id'];
    const again = rows(processBatch(body, { ...facts, receivedAt: facts.receivedAt + 5000 }, limits).lines)[0]?.['message_id'];
    expect(first).toMatch(/^srv-[0-9a-f]{40}$/);
    expect(again).toBe(first);
  });

  it('reports invalid events by index and path, writes them as dead letters, keeps the rest', () => {
    const r = processBatch(
      { batch: [{ type: 'track', event: 'ok', userId: 'u' }, { type: 'track', event: 'x', userId: { bad: 1 } }, 'nope'] },
      facts,
      limits,
    );
    expect(r.accepted).toBe(1);
    expect(r.error).toBeUndefined();
    expect(r.rejected).toEqual([
      { index: 1, code: 'invalid_event', path: 'batch[1].userId', message: expect.stringContaining('batch[1].userId') },
      { index: 2, code: 'invalid_event', path: 'batch[2]', message: expect.stringContaining('batch[2]') },
    ]);
    const { records } = decodeRecords(r.lines);
    expect(records.map((x) => x.header.k)).toEqual(['e', 'd', 'd']);
    const dead = JSON.parse(records[1]?.row ?? '{}') as Record<string, unknown>;
    expect(dead).toMatchObject({ workspace_id: 'ws1', code: 'invalid_event', path: 'batch[1].userId', key_id: 'key1' });
    expect(JSON.parse(dead['payload'] as string)).toEqual({ type: 'track', event: 'x', userId: { bad: 1 } });
  });

  it('fails the request when no event is valid, still producing the dead letters', () => {
    const r = processBatch({ batch: [{ type: 'track', event: 'x' }] }, facts, limits);
    expect(r.accepted).toBe(0);
    expect(r.error).toBeInstanceOf(ApiError);
    expect(r.error?.code).toBe('missing_identity');
    expect(r.error?.path).toBe('batch[0].userId');
    expect(decodeRecords(r.lines).records).toHaveLength(1);
  });

  it('rejects an oversize event, not the batch', () => {
    const big = { type: 'track', event: 'big', userId: 'u', properties: { blob: 'x'.repeat(40 * 1024) } };
    const r = processBatch({ batch: [big, { type: 'track', event: 'ok', userId: 'u' }] }, facts, limits);
    expect(r.accepted).toBe(1);
    expect(r.rejected[0]).toMatchObject({ index: 0, code: 'event_too_large', path: 'batch[0]' });
  });

  it('counts multi-byte characters in the event size', () => {
    // 12,000 three-byte characters: 36 KB of UTF-8 in 12,000 UTF-16 units.
    const r = processBatch({ batch: [{ type: 'track', event: 'cjk', userId: 'u', properties: { t: '中'.repeat(12_000) } }] }, facts, limits);
    expect(r.error?.code).toBe('event_too_large');
  });

  it.each([
    [null, 'invalid_body'],
    [[], 'invalid_body'],
    [{}, 'invalid_body'],
    [{ batch: {} }, 'invalid_body'],
    [{ batch: [], context: 'x' }, 'invalid_body'],
  ])('rejects envelope %j', (body, code) => {
    expect(() => processBatch(body, facts, limits)).toThrow(expect.objectContaining({ code }));
  });

  it('rejects more events than the batch limit', () => {
    const batch = Array.from({ length: 2501 }, () => ({ type: 'track', event: 'x', userId: 'u' }));
    expect(() => processBatch({ batch }, facts, limits)).toThrow(expect.objectContaining({ code: 'batch_too_large', statusCode: 413 }));
  });
});

describe('processSingle', () => {
  it('forces the endpoint type and drops the body writeKey', () => {
    const r = processSingle({ writeKey: 'secret-ish', event: 'Clicked', anonymousId: 'a1' }, 'track', facts, limits);
    const [row] = rows(r.lines);
    expect(row).toMatchObject({ type: 'track', event: 'Clicked', anonymous_id: 'a1' });
    expect(r.lines).not.toContain('secret-ish');
  });
  it('returns an error naming the field, with the dead letter', () => {
    const r = processSingle({ event: 'x', userId: [1] }, 'track', facts, limits);
    expect(r.error).toMatchObject({ code: 'invalid_event', path: 'userId', statusCode: 400 });
    expect(decodeRecords(r.lines).records[0]?.header.k).toBe('d');
  });
});
