export { DEFINITION_LIMITS } from './definition/limits.js';
export {
  COMPARISONS,
  EVENT_TYPES,
  datePointSchema,
  durationMs,
  durationSchema,
  isoDateSchema,
  literalSchema,
  nameSchema,
  pathKeys,
  propertyPathSchema,
  windowSchema,
  type Comparison,
  type DatePoint,
  type EventType,
  type Literal,
  type PropertyPath,
  type Window,
} from './definition/primitives.js';
export { FILTER_OPERATORS, propertyFilterSchema, type Filter, type FilterOperator, type PropertyFilter } from './definition/filters.js';
export {
  AGGREGATE_FUNCTIONS,
  CHURN_LEVELS,
  CONDITION_TYPES,
  LIFECYCLE_STAGES,
  RFM_TIERS,
  aggregateSchema,
  conditionSchema,
  eventMatcherSchema,
  type Aggregate,
  type ChurnLevel,
  type ChurnRiskCondition,
  type Condition,
  type ConditionType,
  type EventCondition,
  type EventMatcher,
  type FirstTimeCondition,
  type GroupCondition,
  type LeafCondition,
  type LifecycleCondition,
  type LifecycleStage,
  type RfmCondition,
  type RfmTier,
  type SegmentCondition,
  type SequenceCondition,
  type StoppedCondition,
  type TraitCondition,
} from './definition/conditions.js';
export {
  DEFINITION_VERSION,
  countConditions,
  segmentDefinitionSchema,
  type SegmentDefinition,
  type SegmentDefinitionInput,
} from './definition/segment.js';
export {
  checkReferences,
  describeReferenceProblem,
  segmentReferences,
  type ReferenceProblem,
  type SegmentReference,
} from './definition/references.js';
export {
  COMPUTED_TRAIT_KINDS,
  computedTraitDefinitionSchema,
  computedTraitNameSchema,
  type ComputedTraitDefinition,
  type ComputedTraitDefinitionInput,
  type ComputedTraitKind,
} from './definition/computed-trait.js';
export {
  DEFAULT_SEGMENT_SETTINGS,
  SegmentSettingsError,
  resolveSegmentSettings,
  segmentSettingsSchema,
  type SegmentSettings,
  type SegmentSettingsInput,
} from './settings.js';
export { lifecycleStage } from './builtins/lifecycle.js';
export { RFM_TIER_BY_BITS, lowerMedian, rfmThresholds, rfmTier, type RfmMeasures, type RfmThresholds } from './builtins/rfm.js';
export { churnRisk, type ChurnRisk } from './builtins/churn.js';
export {
  compileSegment,
  segmentCountQuery,
  segmentMembersQuery,
  segmentPageQuery,
  segmentSampleQuery,
  type CompileSegmentOptions,
  type CompiledQuery,
} from './compiler/segment.js';
export { compileComputedTraits, decodeComputedTraits, type ComputedTraitSpec } from './compiler/computed.js';
export type { PropertyColumn } from './compiler/values.js';
export { SegmentCompileError, SegmentsError, isSegmentCompileError } from './compiler/errors.js';
