import { z } from 'zod';
import { DAY_MS, DEFINITION_LIMITS as L } from './limits.js';

/**
 * Building blocks shared by segment conditions and computed traits: names,
 * property paths, literals, durations, dates and windows. Every value here is
 * later bound as a query parameter; the bounds exist to keep queries sane, not
 * to make strings "safe" for SQL (nothing a user writes is ever SQL text).
 */

/** An event name or trait key: any text up to 200 characters. */
export const nameSchema = z.string().min(1, 'must not be empty').max(L.maxNameLength, `must be at most ${L.maxNameLength} characters`);

/**
 * A property path: `"amount"`, `"card.type"` (nested objects), or an array of
 * keys when a key itself contains a dot (`["utm.source"]`).
 */
export const propertyPathSchema = z.union(
  [
    nameSchema.refine((p) => p.split('.').every((s) => s !== ''), 'path segments must not be empty (check the dots)'),
    z.array(nameSchema).min(1, 'must name at least one key').max(L.maxPathSegments, `at most ${L.maxPathSegments} keys`),
  ],
  { error: 'expected a property name such as "amount" or "card.type", or an array of keys' },
);
export type PropertyPath = z.output<typeof propertyPathSchema>;

/** The keys of a property path. */
export function pathKeys(path: PropertyPath): string[] {
  const keys = typeof path === 'string' ? path.split('.') : [...path];
  if (keys.length > L.maxPathSegments) throw new RangeError(`a property path has at most ${L.maxPathSegments} keys`);
  return keys;
}

export const stringValueSchema = z.string().max(L.maxStringLength, `must be at most ${L.maxStringLength} characters`);
export const numberValueSchema = z.number({ error: 'expected a number' }).refine(Number.isFinite, 'must be a finite number');
export const literalSchema = z.union([stringValueSchema, numberValueSchema, z.boolean()], {
  error: 'expected a string, a number or a boolean',
});
export type Literal = z.output<typeof literalSchema>;

const DURATION = /^(\d{1,7})(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS } as const;

/** True for text such as "30d" (any size). */
export function isDuration(text: string): boolean {
  return DURATION.test(text);
}

/** Milliseconds of a duration such as `"30d"`, `"12h"`, `"2w"`, `"15m"`. */
export function durationMs(duration: string): number {
  const m = DURATION.exec(duration);
  if (m === null) throw new RangeError(`invalid duration ${duration}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** A positive duration up to 10 years: a number and a unit, `m` minutes, `h` hours, `d` days, `w` weeks. */
export const durationSchema = z
  .string({ error: 'expected a duration such as "30d", "12h", "2w" or "15m"' })
  .superRefine((d, ctx) => {
    // One check: the later ones would run on text that is not a duration.
    const message = !DURATION.test(d)
      ? 'expected a duration such as "30d", "12h", "2w" or "15m"'
      : durationMs(d) <= 0
        ? 'must be longer than zero'
        : durationMs(d) > L.maxWindowDays * DAY_MS
          ? `must be at most ${L.maxWindowDays} days`
          : undefined;
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  });

const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const MIN_DATE = Date.UTC(1970, 0, 1);
const MAX_DATE = Date.UTC(2300, 0, 1);

/** Epoch ms of an ISO 8601 date (`2026-01-31`, UTC) or date-time with a zone. */
export function isoMs(value: string): number {
  return Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
}

/** An ISO 8601 date or date-time with a zone (`Z` or `+08:00`), 1970–2299. */
export const isoDateSchema = z
  .string({ error: 'expected an ISO 8601 date-time such as "2026-01-31T00:00:00Z"' })
  .superRefine((v, ctx) => {
    const ms = isoMs(v);
    if (!ISO.test(v)) {
      ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 date such as "2026-01-31" or a date-time with a zone such as "2026-01-31T08:00:00Z"' });
    } else if (!(Number.isFinite(ms) && ms >= MIN_DATE && ms < MAX_DATE && fieldsInRange(v))) {
      ctx.addIssue({ code: 'custom', message: 'must be a real date between 1970 and 2299' });
    }
  });

/** Date.parse rolls 2026-02-31 over to March: check the written fields themselves. */
function fieldsInRange(v: string): boolean {
  const [y, mo, d, h = 0, mi = 0, s = 0] = v.split(/[-T:.Z+]/).map(Number);
  const days = new Date(Date.UTC(y as number, mo as number, 0)).getUTCDate();
  return (mo as number) >= 1 && (mo as number) <= 12 && (d as number) >= 1 && (d as number) <= days && h <= 23 && mi <= 59 && s <= 59;
}

/** A point in time: an ISO date-time, or `{ ago: "30d" }` (that long before the query runs). */
export const datePointSchema = z.union([isoDateSchema, z.strictObject({ ago: durationSchema })], {
  error: 'expected an ISO 8601 date-time or { "ago": "30d" }',
});
export type DatePoint = z.output<typeof datePointSchema>;

/**
 * When events count: `{ last: "30d" }` (relative to the time of the query) or
 * `{ from: ISO, to?: ISO }` (absolute; `to` exclusive, default open-ended).
 */
export const windowSchema = z
  .strictObject({ last: durationSchema.optional(), from: isoDateSchema.optional(), to: isoDateSchema.optional() })
  .superRefine((w, ctx) => {
    if (w.last !== undefined && (w.from !== undefined || w.to !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'use either "last" or "from"/"to", not both' });
    } else if (w.last === undefined && w.from === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected { "last": "30d" } or { "from": ISO date, "to"?: ISO date }' });
    } else if (w.from !== undefined && w.to !== undefined) {
      const span = isoMs(w.to) - isoMs(w.from);
      if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after "from"' });
      else if (span > L.maxWindowDays * DAY_MS) ctx.addIssue({ code: 'custom', path: ['to'], message: `the window must be at most ${L.maxWindowDays} days` });
    }
  });
export type Window = z.output<typeof windowSchema>;

/** Event types an event condition can match. */
export const EVENT_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const eventTypeSchema = z.enum(EVENT_TYPES);

/** Numeric comparisons of an aggregate with a number. */
export const COMPARISONS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;
export type Comparison = (typeof COMPARISONS)[number];
export const comparisonSchema = z.enum(COMPARISONS);
