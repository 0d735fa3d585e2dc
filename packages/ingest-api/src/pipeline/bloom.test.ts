import { describe, expect, it } from 'vitest';
import { BloomFilter } from './bloom.js';

describe('BloomFilter', () => {
  it('never forgets a key and keeps false positives near 1% as it grows', () => {
    const bloom = new BloomFilter(10_000);
    for (let i = 0; i < 100_000; i++) bloom.add(`ws\nnode-next-${i}-3f2a`);
    for (let i = 0; i < 100_000; i++) expect(bloom.mightContain(`ws\nnode-next-${i}-3f2a`)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) if (bloom.mightContain(`ws\nother-${i}`)) falsePositives++;
    // Layers of 10k, 20k, 40k, 80k: each ~1%, checked together stay well under 5%.
    expect(falsePositives / 100_000).toBeLessThan(0.05);
    expect(bloom.bytes).toBeLessThan(400_000);
  });
});
