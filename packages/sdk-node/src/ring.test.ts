import { describe, expect, it } from 'vitest';
import { Ring } from './ring.js';

describe('Ring', () => {
  it('is FIFO across growth and wrap-around, numbering items in push order', () => {
    const ring = new Ring<number>(4);
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 3 + (round % 5); i++) ring.push(next++);
      for (let i = 0; i < 2 + (round % 3); i++) {
        const seq = ring.headSeq;
        const v = ring.shift();
        if (v === undefined) break;
        expect(v).toBe(seq);
        out.push(v);
      }
    }
    for (let v = ring.shift(); v !== undefined; v = ring.shift()) out.push(v);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(ring.length).toBe(0);
    expect(ring.headSeq).toBe(next);
    expect(ring.tailSeq).toBe(next);
  });

  it('returns undefined when empty', () => {
    expect(new Ring<string>().shift()).toBeUndefined();
  });
});
