import { describe, expect, it } from 'vitest';
import { parseApiError, parseRejected } from './delivery.js';

describe('response parsing', () => {
  it('reads the API error body, and nothing from other bodies', () => {
    expect(parseApiError('{"error":{"code":"invalid_write_key","message":"no","path":"writeKey"}}')).toEqual({
      code: 'invalid_write_key',
      message: 'no',
      path: 'writeKey',
    });
    expect(parseApiError('Bad Request')).toBeUndefined();
    expect(parseApiError('{"error":"x"}')).toBeUndefined();
    expect(parseApiError('{"error":')).toBeUndefined();
  });

  it('maps rejected indexes to messageIds and skips what it cannot place', () => {
    const body = JSON.stringify({
      success: true,
      accepted: 1,
      rejected: [
        { index: 2, code: 'missing_identity', message: 'userId: required', path: 'batch[2].userId' },
        { index: 9, code: 'invalid_event', message: 'out of range' },
        { messageId: 'x', code: 'invalid_event', message: 'by id' },
        'junk',
      ],
    });
    expect(parseRejected(body, ['a', 'b', 'c'])).toEqual([
      { messageId: 'c', code: 'missing_identity', message: 'userId: required', path: 'batch[2].userId' },
      { messageId: 'x', code: 'invalid_event', message: 'by id' },
    ]);
    expect(parseRejected('OK', ['a'])).toEqual([]);
  });
});
