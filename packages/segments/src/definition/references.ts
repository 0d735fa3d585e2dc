import type { Condition } from './conditions.js';
import { DEFINITION_LIMITS as L } from './limits.js';
import type { SegmentDefinition } from './segment.js';

/** A `{ type: "segment" }` condition and where it sits, e.g. `["conditions", 2, "condition", "segmentId"]`. */
export interface SegmentReference {
  segmentId: string;
  path: Array<string | number>;
}

/** Every segment a definition refers to directly, with the path of each reference. */
export function segmentReferences(definition: Pick<SegmentDefinition, 'conditions'>): SegmentReference[] {
  const out: SegmentReference[] = [];
  const stack: Array<{ c: Condition; path: Array<string | number> }> = definition.conditions.map((c, i) => ({ c, path: ['conditions', i] }));
  while (stack.length > 0) {
    const { c, path } = stack.pop() as { c: Condition; path: Array<string | number> };
    if (c.type === 'segment') out.push({ segmentId: c.segmentId, path: [...path, 'segmentId'] });
    else if (c.type === 'and' || c.type === 'or') c.conditions.forEach((inner, i) => stack.push({ c: inner, path: [...path, 'conditions', i] }));
    else if (c.type === 'not') stack.push({ c: c.condition, path: [...path, 'condition'] });
  }
  return out.reverse();
}

export type ReferenceProblem =
  | { kind: 'missing'; reference: SegmentReference }
  | { kind: 'cycle'; reference: SegmentReference; cycle: string[] }
  | { kind: 'too_deep'; reference: SegmentReference; chain: string[] };

/**
 * Checks the references of a definition about to be stored as `selfId`
 * (undefined for a new or previewed segment): every referenced segment must
 * exist, no chain may lead back to `selfId` (or loop anywhere), and chains are
 * at most `maxReferenceDepth` long. `lookup` returns stored definitions.
 */
export function checkReferences(options: {
  selfId?: string;
  definition: Pick<SegmentDefinition, 'conditions'>;
  lookup: (segmentId: string) => Pick<SegmentDefinition, 'conditions'> | undefined;
}): ReferenceProblem | undefined {
  const { selfId, lookup } = options;
  for (const reference of segmentReferences(options.definition)) {
    const start = [...(selfId === undefined ? [] : [selfId]), reference.segmentId];
    if (lookup(reference.segmentId) === undefined) return { kind: 'missing', reference };
    // Depth-first walk of the chains below this reference.
    const stack: string[][] = [start];
    while (stack.length > 0) {
      const chain = stack.pop() as string[];
      const id = chain[chain.length - 1] as string;
      if (chain.indexOf(id) !== chain.length - 1) return { kind: 'cycle', reference, cycle: chain };
      if (chain.length - (selfId === undefined ? 0 : 1) > L.maxReferenceDepth) return { kind: 'too_deep', reference, chain };
      const def = lookup(id);
      if (def === undefined) continue;
      for (const next of segmentReferences(def)) stack.push([...chain, next.segmentId]);
    }
  }
  return undefined;
}

export function describeReferenceProblem(problem: ReferenceProblem): string {
  switch (problem.kind) {
    case 'missing':
      return `no segment ${problem.reference.segmentId} in this workspace`;
    case 'cycle':
      return `segment references form a cycle: ${problem.cycle.join(' → ')}`;
    case 'too_deep':
      return `segment references nest at most ${L.maxReferenceDepth} deep: ${problem.chain.join(' → ')}`;
  }
}
