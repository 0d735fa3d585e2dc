import { z } from 'zod';
import { conditionListSchema, type Condition } from './conditions.js';
import { DEFINITION_LIMITS as L } from './limits.js';

/** The current version of the definition language. */
export const DEFINITION_VERSION = 1;

/**
 * A segment: profiles for which the conditions hold, all of them (`match:
 * "and"`, the default) or any (`"or"`). Versioned so that the language can
 * change without breaking stored definitions.
 */
export const segmentDefinitionSchema = z
  .strictObject({
    version: z.literal(DEFINITION_VERSION, { error: `expected version ${DEFINITION_VERSION} (the only version so far)` }).default(DEFINITION_VERSION),
    match: z.enum(['and', 'or'], { error: 'expected "and" or "or"' }).default('and'),
    conditions: conditionListSchema,
  })
  .superRefine((d, ctx) => {
    const n = countConditions(d.conditions);
    if (n > L.maxConditions) {
      ctx.addIssue({ code: 'custom', path: ['conditions'], message: `a definition has at most ${L.maxConditions} conditions (this one has ${n})` });
    }
  });

export type SegmentDefinition = z.output<typeof segmentDefinitionSchema>;
export type SegmentDefinitionInput = z.input<typeof segmentDefinitionSchema>;

/** Conditions in a list, groups included. */
export function countConditions(conditions: readonly Condition[]): number {
  let n = 0;
  const stack: Condition[] = [...conditions];
  while (stack.length > 0) {
    const c = stack.pop() as Condition;
    n++;
    if (c.type === 'and' || c.type === 'or') stack.push(...c.conditions);
    else if (c.type === 'not') stack.push(c.condition);
  }
  return n;
}
