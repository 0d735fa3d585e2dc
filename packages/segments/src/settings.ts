import { z } from 'zod';
import { SegmentsError } from './compiler/errors.js';
import { DEFINITION_LIMITS as L } from './definition/limits.js';
import { EVENT_TYPES, nameSchema, propertyPathSchema } from './definition/primitives.js';

/**
 * Per-workspace settings of the built-in conditions (lifecycle stage, RFM
 * tier, churn risk). Every default is here; `resolveSegmentSettings` merges
 * partial settings over it, validates, and freezes.
 */
export const DEFAULT_SEGMENT_SETTINGS = {
  /** What counts as activity for lifecycle and churn risk. */
  activity: {
    /** Event types that count. */
    eventTypes: ['track', 'page', 'screen'] as Array<(typeof EVENT_TYPES)[number]>,
    /** Track event names that count; empty = every event of `eventTypes`. */
    events: [] as string[],
  },
  lifecycle: {
    /** P: "new" = first activity within P days; "active" = activity within P days. */
    activeDays: 7,
    /** C: "dormant" = last activity between P and C days ago; "churned" = C days or more. */
    churnedDays: 30,
  },
  rfm: {
    /** Track events that are payments. */
    paidEvents: ['Order Completed'] as string[],
    /** Property holding the amount (M sums it). */
    moneyProperty: 'revenue' as string | string[],
    /** F and M count paid events of this many days; R is measured within it too. */
    windowDays: 365,
    /** Thresholds; null = the workspace median of the profiles with a paid event in the window. */
    thresholds: {
      recencyDays: null as number | null,
      frequency: null as number | null,
      monetary: null as number | null,
    },
  },
  churn: {
    /** Active days of this many days back give the profile's usual gap. */
    lookbackDays: 180,
    /** The usual gap of a profile with fewer than two active days in the lookback. */
    defaultGapDays: 7,
    /** Risk is medium from this many usual gaps of inactivity... */
    mediumAt: 2,
    /** ...and high from this many. */
    highAt: 4,
  },
};

const positiveDays = z.number().int().min(1).max(L.maxWindowDays);
const threshold = z.number().refine(Number.isFinite, 'must be finite').nullable();

export const segmentSettingsSchema = z
  .strictObject({
    activity: z.strictObject({
      eventTypes: z.array(z.enum(EVENT_TYPES)).min(1),
      events: z.array(nameSchema).max(L.maxListValues),
    }),
    lifecycle: z.strictObject({ activeDays: positiveDays, churnedDays: positiveDays }),
    rfm: z.strictObject({
      paidEvents: z.array(nameSchema).min(1).max(L.maxListValues),
      moneyProperty: propertyPathSchema,
      windowDays: positiveDays,
      thresholds: z.strictObject({ recencyDays: threshold, frequency: threshold, monetary: threshold }),
    }),
    churn: z.strictObject({
      lookbackDays: positiveDays,
      defaultGapDays: positiveDays,
      mediumAt: z.number().positive(),
      highAt: z.number().positive(),
    }),
  })
  .superRefine((s, ctx) => {
    if (s.lifecycle.churnedDays <= s.lifecycle.activeDays) {
      ctx.addIssue({ code: 'custom', path: ['lifecycle', 'churnedDays'], message: 'must be greater than activeDays' });
    }
    if (s.churn.highAt <= s.churn.mediumAt) ctx.addIssue({ code: 'custom', path: ['churn', 'highAt'], message: 'must be greater than mediumAt' });
  });

export type SegmentSettings = Readonly<z.output<typeof segmentSettingsSchema>>;

type DeepPartial<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object | null ? DeepPartial<T[K]> : T[K] };
/** Settings as stored or sent: every field optional. */
export type SegmentSettingsInput = DeepPartial<typeof DEFAULT_SEGMENT_SETTINGS>;

/** Thrown by `resolveSegmentSettings`; the message names the offending setting. */
export class SegmentSettingsError extends SegmentsError {
  override readonly name = 'SegmentSettingsError';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function mergeOver(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === '__proto__') continue;
    out[k] = k in base ? mergeOver(base[k], v) : v;
  }
  return out;
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Merges partial settings over the defaults, validates them and freezes the result. */
export function resolveSegmentSettings(input: unknown = {}): SegmentSettings {
  if (!isObject(input)) throw new SegmentSettingsError('segment settings must be an object', []);
  const parsed = segmentSettingsSchema.safeParse(mergeOver(structuredClone(DEFAULT_SEGMENT_SETTINGS), input));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)));
    throw new SegmentSettingsError(`invalid segment setting ${path.join('.')}: ${issue?.message ?? 'invalid'}`, path);
  }
  return deepFreeze(parsed.data);
}
