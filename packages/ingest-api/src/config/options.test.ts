import { describe, expect, it } from 'vitest';
import { optionsFromEnv } from './env.js';
import { DEFAULT_OPTIONS, OptionsError, resolveOptions } from './options.js';

describe('resolveOptions', () => {
  it('fills every default and freezes the result', () => {
    const o = resolveOptions();
    expect(o.port).toBe(DEFAULT_OPTIONS.port);
    expect(o.limits).toEqual(DEFAULT_OPTIONS.limits);
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.limits)).toBe(true);
  });
  it('merges nested options over defaults', () => {
    const o = resolveOptions({ limits: { maxBatchEvents: 10 }, flush: { batchWaitMs: 5 } });
    expect(o.limits.maxBatchEvents).toBe(10);
    expect(o.limits.maxBodyBytes).toBe(DEFAULT_OPTIONS.limits.maxBodyBytes);
    expect(o.flush.batchWaitMs).toBe(5);
  });
  it.each([
    [{ port: 70_000 }, 'port'],
    [{ database: 'drop table;' }, 'database'],
    [{ clickhouseUrl: 'not a url' }, 'clickhouseUrl'],
    [{ adminKey: 'short' }, 'adminKey'],
    [{ limits: { maxEventBytes: 10_000_000 } }, 'limits.maxEventBytes'],
    [{ writeKey: 'same-key-123', secretKey: 'same-key-123' }, 'secretKey'],
    [{ logLevel: 'loud' as never }, 'logLevel'],
  ])('fails fast on %j naming %s', (input, name) => {
    expect(() => resolveOptions(input)).toThrow(OptionsError);
    expect(() => resolveOptions(input)).toThrow(`invalid option ${name}`);
  });
});

describe('propertyColumns', () => {
  it('takes top-level property names with a type, and refuses anything that could not sit in a column name', () => {
    expect(resolveOptions({ propertyColumns: [{ property: 'amount', type: 'number' }] }).propertyColumns).toEqual([{ property: 'amount', type: 'number' }]);
    expect(resolveOptions().propertyColumns).toEqual([]);
    for (const property of ['card.type', "a'b", '1st', 'a b', '', 'x'.repeat(64)]) {
      expect(() => resolveOptions({ propertyColumns: [{ property, type: 'number' }] }), property).toThrow(/invalid option propertyColumns\.0\.property/);
    }
    expect(() => resolveOptions({ propertyColumns: [{ property: 'amount', type: 'date' as 'number' }] })).toThrow(/propertyColumns\.0\.type/);
    expect(() =>
      resolveOptions({ propertyColumns: [{ property: 'amount', type: 'number' }, { property: 'amount', type: 'number' }] }),
    ).toThrow(/propertyColumns: lists a property and type twice/);
  });
});

describe('optionsFromEnv', () => {
  it('maps the documented variables', () => {
    const o = optionsFromEnv({
      PORT: '9000',
      HOST: '0.0.0.0',
      CDP_DATA_DIR: '/data',
      CLICKHOUSE_URL: 'http://ch:8123',
      CDP_WRITE_KEY: 'wk_x',
      CDP_MAX_BATCH_EVENTS: '100',
      CDP_CORS_ORIGINS: 'https://a.example, https://b.example',
      CDP_CAPTURE_IP: 'true',
      CDP_RATE_LIMIT_MAX: '0',
      CDP_PROPERTY_COLUMNS: 'amount:number, merchant_category:string',
    });
    expect(o).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      dataDir: '/data',
      clickhouseUrl: 'http://ch:8123',
      writeKey: 'wk_x',
      limits: { maxBatchEvents: 100 },
      corsOrigins: ['https://a.example', 'https://b.example'],
      captureIp: true,
      rateLimit: { max: 0 },
      propertyColumns: [
        { property: 'amount', type: 'number' },
        { property: 'merchant_category', type: 'string' },
      ],
    });
  });
  it('names the variable that does not parse', () => {
    expect(() => optionsFromEnv({ PORT: 'eighty' })).toThrow('PORT');
    expect(() => optionsFromEnv({ CDP_CAPTURE_IP: 'maybe' })).toThrow('CDP_CAPTURE_IP');
    expect(() => optionsFromEnv({ CDP_PROPERTY_COLUMNS: 'amount:decimal' })).toThrow(/CDP_PROPERTY_COLUMNS.*amount:decimal/);
    expect(() => optionsFromEnv({ CDP_PROPERTY_COLUMNS: 'amount' })).toThrow('CDP_PROPERTY_COLUMNS');
  });
});
