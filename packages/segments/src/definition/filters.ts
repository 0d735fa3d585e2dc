import { z } from 'zod';
import { DEFINITION_LIMITS as L } from './limits.js';
import { datePointSchema, literalSchema, numberValueSchema, propertyPathSchema, stringValueSchema } from './primitives.js';

/**
 * A test of one value (a trait, or a property of an event). Semantics, the
 * same for traits and properties:
 * - a missing value fails every operator except `neq`, `not_in` and `not_exists`;
 * - numbers compare as numbers (a numeric string such as "12.5" is read as 12.5);
 * - `contains` is a substring of a string value or an element of an array value;
 * - `before` / `after` read the value as a date-time (ISO 8601 text or epoch text).
 */
export const FILTER_OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'contains', 'exists', 'not_exists', 'before', 'after'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

const listSchema = z.union(
  [
    z.array(stringValueSchema).min(1).max(L.maxListValues),
    z.array(numberValueSchema).min(1).max(L.maxListValues),
  ],
  { error: `expected a non-empty array of strings or of numbers (at most ${L.maxListValues})` },
);

/** The operator-specific part of a test; `base` adds what is tested (a property, a trait). */
export function filterVariants<S extends z.core.$ZodLooseShape>(base: S) {
  return [
    z.strictObject({ ...base, operator: z.enum(['eq', 'neq']), value: literalSchema }),
    z.strictObject({ ...base, operator: z.enum(['gt', 'gte', 'lt', 'lte']), value: numberValueSchema }),
    z.strictObject({ ...base, operator: z.enum(['in', 'not_in']), value: listSchema }),
    z.strictObject({
      ...base,
      operator: z.literal('contains'),
      value: z.union([stringValueSchema, numberValueSchema], { error: 'expected a string or a number' }),
    }),
    z.strictObject({ ...base, operator: z.enum(['exists', 'not_exists']) }),
    z.strictObject({ ...base, operator: z.enum(['before', 'after']), value: datePointSchema }),
  ] as const;
}

const operatorError = { error: `expected "operator" to be one of ${FILTER_OPERATORS.join(', ')}` };

/** A test of a property of the event (`properties` of track/page/screen, `traits` of identify/group). */
export const propertyFilterSchema = z.discriminatedUnion('operator', filterVariants({ property: propertyPathSchema }), operatorError);
export type PropertyFilter = z.output<typeof propertyFilterSchema>;

/** Shape of any test: what the compiler needs once the tested value is located. */
export type Filter =
  | { operator: 'eq' | 'neq'; value: string | number | boolean }
  | { operator: 'gt' | 'gte' | 'lt' | 'lte'; value: number }
  | { operator: 'in' | 'not_in'; value: string[] | number[] }
  | { operator: 'contains'; value: string | number }
  | { operator: 'exists' | 'not_exists' }
  | { operator: 'before' | 'after'; value: string | { ago: string } };

export const filterOperatorError = operatorError;
