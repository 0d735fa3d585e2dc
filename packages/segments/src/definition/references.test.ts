import { describe, expect, it } from 'vitest';
import { checkReferences, describeReferenceProblem, segmentReferences } from './references.js';
import { segmentDefinitionSchema, type SegmentDefinition } from './segment.js';

const ref = (segmentId: string) => ({ type: 'segment', segmentId });
const def = (...conditions: unknown[]): SegmentDefinition => segmentDefinitionSchema.parse({ conditions });

describe('segment references', () => {
  it('lists references with their paths', () => {
    const d = def(ref('a'), { type: 'not', condition: { type: 'or', conditions: [{ type: 'event', event: 'x' }, ref('b')] } });
    expect(segmentReferences(d)).toEqual([
      { segmentId: 'a', path: ['conditions', 0, 'segmentId'] },
      { segmentId: 'b', path: ['conditions', 1, 'condition', 'conditions', 1, 'segmentId'] },
    ]);
  });

  it('finds missing segments, cycles through stored segments, and chains too deep', () => {
    const stored: Record<string, SegmentDefinition> = {
      a: def(ref('b')),
      b: def(ref('c')),
      c: def({ type: 'event', event: 'x' }),
      d: def(ref('e')),
      e: def(ref('f')),
      f: def(ref('g')),
      g: def({ type: 'event', event: 'x' }),
    };
    const lookup = (id: string) => stored[id];
    expect(checkReferences({ definition: def(ref('a')), lookup })).toBeUndefined();
    const missing = checkReferences({ definition: def(ref('a'), ref('zz')), lookup });
    expect(missing && describeReferenceProblem(missing)).toBe('no segment zz in this workspace');
    // Updating c to use a: a → b → c → a.
    const cycle = checkReferences({ selfId: 'c', definition: def({ type: 'not', condition: ref('a') }), lookup });
    expect(cycle).toMatchObject({ kind: 'cycle', cycle: ['c', 'a', 'b', 'c'], reference: { path: ['conditions', 0, 'condition', 'segmentId'] } });
    expect(checkReferences({ selfId: 'c', definition: def(ref('c')), lookup })).toMatchObject({ kind: 'cycle', cycle: ['c', 'c'] });
    const deep = checkReferences({ definition: def(ref('d')), lookup: (id) => (id === 'x' ? undefined : { ...stored, g: def(ref('a')) }[id]) });
    expect(deep && describeReferenceProblem(deep)).toMatch(/^segment references nest at most 4 deep/);
  });
});
