import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Analytics } from './analytics.js';
import { DEFAULT_OPTIONS, InvalidOptionsError, resolveOptions, type Options } from './options.js';
import { SDK_VERSION } from './version.js';

const base = { writeKey: 'wk', host: 'http://127.0.0.1:8080' };

describe('options', () => {
  it('fills every default from DEFAULT_OPTIONS and freezes the result', () => {
    const o = resolveOptions(base);
    expect(o).toMatchObject(DEFAULT_OPTIONS);
    expect(o.endpoint).toBe('http://127.0.0.1:8080/v1/batch');
    expect(o.authorization).toBe(`Basic ${Buffer.from('wk:').toString('base64')}`);
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('appends the path to a host that has one', () => {
    expect(resolveOptions({ ...base, host: 'https://example.com/segment/' }).endpoint).toBe('https://example.com/segment/v1/batch');
    expect(resolveOptions({ ...base, path: '/v1/b' }).endpoint).toBe('http://127.0.0.1:8080/v1/b');
  });

  it.each<[Partial<Options> | Record<string, unknown>, string]>([
    [{ writeKey: '' }, 'writeKey'],
    [{ host: 'ftp://x' }, 'host'],
    [{ host: 'not a url' }, 'host'],
    [{ maxBatchEvents: 0 }, 'maxBatchEvents'],
    [{ maxBatchEvents: 2501 }, 'maxBatchEvents'],
    [{ maxBatchBytes: 600 * 1024 }, 'maxBatchBytes'],
    [{ maxEventBytes: 33 * 1024 }, 'maxEventBytes'],
    [{ maxConcurrentRequests: 1.5 }, 'maxConcurrentRequests'],
    [{ overflow: 'drop-random' }, 'overflow'],
    [{ compression: 'br' }, 'compression'],
    [{ path: 'v1/batch' }, 'path'],
    [{ flushAt: 20 }, 'flushAt'],
  ])('throws InvalidOptionsError naming the option for %j', (override, option) => {
    const create = () => new Analytics({ ...base, ...override } as Options);
    expect(create).toThrow(InvalidOptionsError);
    expect(create).toThrow(`invalid option ${option}`);
    try {
      create();
    } catch (error) {
      expect((error as InvalidOptionsError).option).toBe(option);
    }
  });

  it('keeps SDK_VERSION equal to the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(SDK_VERSION).toBe(pkg.version);
  });
});
