import { z } from 'zod';
import { eventMatcherShape } from './conditions.js';
import { DEFINITION_LIMITS as L } from './limits.js';
import { propertyPathSchema, windowSchema } from './primitives.js';

/**
 * A computed trait: a per-profile value derived from the profile's events
 * (over every id merged into it), computed when read.
 *
 * | kind | value |
 * |---|---|
 * | count | number of matching events |
 * | sum, avg, min, max | of a numeric property (sum of none = 0; the others null) |
 * | most_frequent | the property value seen most often; ties: the first in alphabetical order |
 * | first, last | the property value of the earliest / latest matching event |
 * | unique_list | distinct property values, sorted, at most `limit` |
 * | unique_count | number of distinct property values |
 * | first_seen, last_seen | time of the earliest / latest matching event (ISO 8601) |
 */
export const COMPUTED_TRAIT_KINDS = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'most_frequent',
  'first',
  'last',
  'unique_list',
  'unique_count',
  'first_seen',
  'last_seen',
] as const;
export type ComputedTraitKind = (typeof COMPUTED_TRAIT_KINDS)[number];

const base = { ...eventMatcherShape, window: windowSchema.optional() };

export const computedTraitDefinitionSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.enum(['count', 'first_seen', 'last_seen']), ...base }),
    z.strictObject({ kind: z.enum(['sum', 'avg', 'min', 'max', 'most_frequent', 'first', 'last', 'unique_count']), ...base, property: propertyPathSchema }),
    z.strictObject({
      kind: z.literal('unique_list'),
      ...base,
      property: propertyPathSchema,
      limit: z.number().int().min(1).max(L.maxListValues).default(100),
    }),
  ],
  { error: `expected "kind" to be one of ${COMPUTED_TRAIT_KINDS.join(', ')}` },
);
export type ComputedTraitDefinition = z.output<typeof computedTraitDefinitionSchema>;
export type ComputedTraitDefinitionInput = z.input<typeof computedTraitDefinitionSchema>;

/** The key a computed trait has in a profile's `computedTraits`. */
export const computedTraitNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'expected letters, digits and underscores (at most 64), not starting with a digit');
