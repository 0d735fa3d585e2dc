/**
 * Bounds on what a definition may ask for. They keep hostile or accidental
 * definitions (deep nesting, thousands of conditions, ten-year windows on
 * minute precision) from turning into queries that cannot finish.
 */
export const DEFINITION_LIMITS = {
  /** Nesting of and / or / not groups; top-level conditions are level 1. */
  maxDepth: 6,
  /** Conditions in one definition, groups included, after inlining referenced segments. */
  maxConditions: 64,
  /** Property filters on one event condition or sequence step. */
  maxFilters: 16,
  /** Values of an `in` / `not_in` list. */
  maxListValues: 1_000,
  /** Length of a string value. */
  maxStringLength: 1_000,
  /** Length of an event name, trait key or property path. */
  maxNameLength: 200,
  /** Segments of a property path (`a.b.c` is 3). */
  maxPathSegments: 8,
  /** Longest window or duration, in days. */
  maxWindowDays: 3_650,
  /** Steps of a sequence. */
  maxSteps: 8,
  /** Chain of segment references (A uses B uses C ...). */
  maxReferenceDepth: 4,
  /** Conditions of one compiled query, referenced segments inlined. */
  maxInlinedConditions: 256,
} as const;

export const DAY_MS = 86_400_000;
