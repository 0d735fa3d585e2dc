import { describe, expect, it, vi } from 'vitest';
import { TypedEmitter } from './emitter.js';

class Emitter extends TypedEmitter<{ error: Error; n: number }> {
  fire<K extends 'error' | 'n'>(name: K, payload: { error: Error; n: number }[K]): boolean {
    return this.emit(name, payload);
  }
}

describe('TypedEmitter', () => {
  it('does not throw for an error event nobody listens to', () => {
    expect(new Emitter().fire('error', new Error('x'))).toBe(false);
  });

  it('supports on, once and off', () => {
    const e = new Emitter();
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    e.on('n', listener).once('n', (n) => seen.push(n * 10));
    e.fire('n', 1);
    e.fire('n', 2);
    e.off('n', listener);
    e.fire('n', 3);
    expect(seen).toEqual([1, 10, 2]);
    expect(e.listenerCount('n')).toBe(0);
  });

  it('turns a throwing listener into a process warning and still calls the others', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const e = new Emitter();
    const seen: number[] = [];
    e.on('n', () => {
      throw new Error('listener bug');
    });
    e.on('n', (n) => seen.push(n));
    expect(() => e.fire('n', 1)).not.toThrow();
    expect(seen).toEqual([1]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener bug'), expect.objectContaining({ code: 'CDP_SDK_LISTENER_ERROR' }));
    warn.mockRestore();
  });
});
