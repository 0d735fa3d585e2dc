import { describe, expect, it } from 'vitest';
import type { ApiError } from './api-error.js';
import { parseJson } from './json.js';

describe('parseJson', () => {
  it('parses JSON', () => {
    expect(parseJson('{"a":[1,2]}')).toEqual({ a: [1, 2] });
  });
  it.each(['', '   ', '{', '{"a":}', "{'a':1}", 'undefined'])('rejects %j as invalid_json', (text) => {
    let code: string | undefined;
    try {
      parseJson(text);
    } catch (err) {
      code = (err as ApiError).code;
    }
    expect(code).toBe('invalid_json');
  });
  it('replaces lone surrogates in strings and keys, at any depth, and keeps pairs', () => {
    const parsed = parseJson('{"a":"x\\ud800","\\udfffk":["\\ud83d\\ude00",{"b":"\\udbff\\udbff\\udc00"}],"n":1}');
    expect(parsed).toEqual({ a: 'x\ufffd', '\ufffdk': ['\u{1F600}', { b: '\ufffd\u{10FC00}' }], n: 1 });
    expect(parseJson('"\\udc00"')).toBe('\ufffd');
  });
  it('walks a deeply nested body with surrogates without overflowing the stack', () => {
    const depth = 200_000;
    const text = `${'['.repeat(depth)}"\\ud800"${']'.repeat(depth)}`;
    let node = parseJson(text);
    for (let i = 0; i < depth; i++) node = (node as unknown[])[0];
    expect(node).toBe('\ufffd');
  });
  it('removes prototype-polluting keys', () => {
    const parsed = parseJson('{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}},"ok":1}') as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(parsed, '__proto__')).toBe(false);
    expect(parsed['ok']).toBe(1);
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });
});
