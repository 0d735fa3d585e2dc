import { z } from 'zod';
import { filterOperatorError, filterVariants, propertyFilterSchema } from './filters.js';
import { DEFINITION_LIMITS as L } from './limits.js';
import {
  comparisonSchema,
  durationMs,
  durationSchema,
  eventTypeSchema,
  isDuration,
  nameSchema,
  numberValueSchema,
  propertyPathSchema,
  windowSchema,
} from './primitives.js';

/** Which events a behavioural condition looks at. */
export const eventMatcherShape = {
  /** Track event name (the page/screen `name` for those types); omitted = every event of the type. */
  event: nameSchema.optional(),
  /** Event type; default `track`. */
  eventType: eventTypeSchema.default('track'),
  /** Property tests, all of which must hold. */
  where: z.array(propertyFilterSchema).max(L.maxFilters, `at most ${L.maxFilters} filters`).default([]),
};
export const eventMatcherSchema = z.strictObject(eventMatcherShape);
export type EventMatcher = z.output<typeof eventMatcherSchema>;

export const AGGREGATE_FUNCTIONS = ['count', 'sum', 'avg', 'min', 'max'] as const;
export const aggregateSchema = z.discriminatedUnion(
  'fn',
  [
    z.strictObject({ fn: z.literal('count') }),
    z.strictObject({ fn: z.enum(['sum', 'avg', 'min', 'max']), property: propertyPathSchema }),
  ],
  { error: `expected { "fn": "count" } or { "fn": "sum" | "avg" | "min" | "max", "property": "…" }` },
);
export type Aggregate = z.output<typeof aggregateSchema>;

/** Performed an event: an aggregate of the matching events compared with a number. */
export const eventConditionSchema = z.strictObject({
  type: z.literal('event'),
  ...eventMatcherShape,
  aggregate: aggregateSchema.default({ fn: 'count' }),
  operator: comparisonSchema.default('gte'),
  value: numberValueSchema.default(1),
  window: windowSchema.optional(),
});

/** The profile's first matching event ever falls in the window. */
export const firstTimeConditionSchema = z.strictObject({ type: z.literal('first_time'), ...eventMatcherShape, window: windowSchema });

/** Did it within `activeWithin` but not within the last `inactiveWithin`. */
export const stoppedConditionSchema = z
  .strictObject({ type: z.literal('stopped'), ...eventMatcherShape, activeWithin: durationSchema, inactiveWithin: durationSchema })
  .superRefine((c, ctx) => {
    // Object refinements run even when a field failed: compare only two real durations.
    if (isDuration(c.inactiveWithin) && isDuration(c.activeWithin) && durationMs(c.inactiveWithin) >= durationMs(c.activeWithin)) {
      ctx.addIssue({ code: 'custom', path: ['inactiveWithin'], message: 'must be shorter than activeWithin' });
    }
  });

/** The steps happened in this order, all within `within` of the first step. */
export const sequenceConditionSchema = z.strictObject({
  type: z.literal('sequence'),
  steps: z.array(eventMatcherSchema).min(2, 'a sequence has at least 2 steps').max(L.maxSteps, `at most ${L.maxSteps} steps`),
  within: durationSchema,
  window: windowSchema.optional(),
});

export const TRAIT_OPERATOR_ERROR = filterOperatorError;
/** A stored trait of the profile (`trait: "address.city"` reads into an object trait). */
export const traitConditionSchema = z.discriminatedUnion(
  'operator',
  filterVariants({ type: z.literal('trait'), trait: propertyPathSchema }),
  filterOperatorError,
);

export const LIFECYCLE_STAGES = ['new', 'active', 'dormant', 'churned'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** RFM tiers by (recent, frequent, high value) bits, from 111 to 000. */
export const RFM_TIERS = [
  'important-value',
  'important-develop',
  'important-retain',
  'important-win-back',
  'general-value',
  'general-develop',
  'general-retain',
  'general-win-back',
] as const;
export type RfmTier = (typeof RFM_TIERS)[number];

export const CHURN_LEVELS = ['low', 'medium', 'high'] as const;
export type ChurnLevel = (typeof CHURN_LEVELS)[number];

/** One value or a non-empty list of values of an enumeration. */
function oneOrMany<const T extends readonly [string, ...string[]]>(values: T) {
  const item = z.enum(values, { error: `expected one of ${values.join(', ')}` });
  return z.union([item, z.array(item).min(1).max(values.length)], { error: `expected one of ${values.join(', ')}, or an array of them` });
}

export const lifecycleConditionSchema = z.strictObject({ type: z.literal('lifecycle'), stage: oneOrMany(LIFECYCLE_STAGES) });
export const rfmConditionSchema = z.strictObject({ type: z.literal('rfm'), tier: oneOrMany(RFM_TIERS) });
export const churnRiskConditionSchema = z.strictObject({ type: z.literal('churn_risk'), level: oneOrMany(CHURN_LEVELS) });
export const segmentConditionSchema = z.strictObject({
  type: z.literal('segment'),
  segmentId: z.string().min(1).max(100),
});

const leafConditions = [
  traitConditionSchema,
  eventConditionSchema,
  firstTimeConditionSchema,
  stoppedConditionSchema,
  sequenceConditionSchema,
  lifecycleConditionSchema,
  rfmConditionSchema,
  churnRiskConditionSchema,
  segmentConditionSchema,
] as const;

export type TraitCondition = z.output<typeof traitConditionSchema>;
export type EventCondition = z.output<typeof eventConditionSchema>;
export type FirstTimeCondition = z.output<typeof firstTimeConditionSchema>;
export type StoppedCondition = z.output<typeof stoppedConditionSchema>;
export type SequenceCondition = z.output<typeof sequenceConditionSchema>;
export type LifecycleCondition = z.output<typeof lifecycleConditionSchema>;
export type RfmCondition = z.output<typeof rfmConditionSchema>;
export type ChurnRiskCondition = z.output<typeof churnRiskConditionSchema>;
export type SegmentCondition = z.output<typeof segmentConditionSchema>;
export type LeafCondition = z.output<(typeof leafConditions)[number]>;

/** Groups: the only recursive part of the language. */
export type GroupCondition = { type: 'and' | 'or'; conditions: Condition[] } | { type: 'not'; condition: Condition };
export type Condition = LeafCondition | GroupCondition;
export type ConditionType = Condition['type'];

export const CONDITION_TYPES = ['and', 'or', 'not', 'trait', 'event', 'first_time', 'stopped', 'sequence', 'lifecycle', 'rfm', 'churn_risk', 'segment'] as const;
const typeError = { error: `expected "type" to be one of ${CONDITION_TYPES.join(', ')}` };

const conditionList = (item: z.ZodType<Condition>) =>
  z.array(item).min(1, 'a group needs at least one condition').max(L.maxConditions, `at most ${L.maxConditions} conditions`);

/**
 * The condition schema is built level by level rather than with z.lazy: the
 * deepest level accepts no group, so a hostile definition nested thousands of
 * levels deep is rejected after `maxDepth` levels without recursing further.
 */
function conditionAtDepth(depth: number): z.ZodType<Condition> {
  const groups =
    depth < L.maxDepth
      ? (() => {
          const inner = conditionAtDepth(depth + 1);
          return [
            z.strictObject({ type: z.enum(['and', 'or']), conditions: conditionList(inner) }),
            z.strictObject({ type: z.literal('not'), condition: inner }),
          ] as const;
        })()
      : ([
          z.looseObject({ type: z.enum(['and', 'or', 'not']) }).superRefine((_, ctx) => {
            ctx.addIssue({ code: 'custom', message: `groups nest at most ${L.maxDepth} levels deep` });
          }),
        ] as const);
  return z.discriminatedUnion('type', [...leafConditions, ...groups], typeError) as unknown as z.ZodType<Condition>;
}

export const conditionSchema: z.ZodType<Condition> = conditionAtDepth(1);
/** For the top-level list: its items are at level 1. */
export const conditionListSchema = conditionList(conditionSchema);
