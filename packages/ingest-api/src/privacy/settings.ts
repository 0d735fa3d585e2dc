import { EVENT_TYPES } from '@cdp/protocol';
import { z } from 'zod';

/** Key of the workspace settings holding the privacy configuration (see README "Privacy and compliance"). */
export const PRIVACY_SETTINGS_KEY = 'privacy';

/** Longest retention accepted (100 years); 0 keeps rows forever. */
const MAX_RETENTION_DAYS = 36_500;

/**
 * A field path: `properties.…`, `traits.…` or `context.…` with at least one more
 * segment, or the whole `userId` / `anonymousId`. Segments are split on dots;
 * `*` matches any one key; arrays on the way are entered element by element.
 */
export const fieldPath = z
  .string()
  .max(200)
  .regex(
    /^(?:(?:properties|traits|context)(?:\.(?:\*|[^.*]+))+|userId|anonymousId)$/,
    'expected properties.<key>, traits.<key>, context.<key> (dot-separated, * for any key), userId or anonymousId',
  );
const paths = z.array(fieldPath).max(200);
const category = z.string().trim().min(1).max(200);

const consentRule = z.strictObject({
  /** Event types the rule covers; all types when absent. */
  types: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
  /** Track event names, page/screen names the rule covers; all when absent. */
  events: z.array(z.string().min(1).max(500)).min(1).optional(),
  /** Consent categories that must all be granted. */
  categories: z.array(category).min(1).max(50),
});

const consentBehaviour = {
  /** `drop`: not stored; `strip`: stored without `stripPaths`. */
  onDenied: z.enum(['drop', 'strip']),
  /** Removed when an event is stored under `onDenied: 'strip'`. */
  stripPaths: paths,
  /** Events that carry no consent information: treated as granting everything, or nothing. */
  whenMissing: z.enum(['grant', 'deny']),
  rules: z.array(consentRule).max(200),
};

const stripNeedsPaths = (c: { onDenied?: string | undefined; stripPaths?: string[] | undefined }) =>
  c.onDenied !== 'strip' || (c.stripPaths?.length ?? 0) > 0;
const stripMessage = { message: 'onDenied "strip" needs at least one stripPaths entry', path: ['stripPaths'] };

/** Per write key (source) overrides of the workspace behaviour: each given field replaces the workspace's. */
const sourceOverride = z.strictObject({
  onDenied: consentBehaviour.onDenied.optional(),
  stripPaths: consentBehaviour.stripPaths.optional(),
  whenMissing: consentBehaviour.whenMissing.optional(),
  rules: consentBehaviour.rules.optional(),
});

export const consentSettingsSchema = z
  .strictObject({
    rules: consentBehaviour.rules,
    onDenied: consentBehaviour.onDenied.default('drop'),
    stripPaths: consentBehaviour.stripPaths.default([]),
    whenMissing: consentBehaviour.whenMissing.default('deny'),
    sources: z.record(z.string().min(1).max(100), sourceOverride).default({}),
  })
  .refine(stripNeedsPaths, stripMessage);

export const piiSettingsSchema = z.strictObject({
  /** Paths never stored. */
  drop: paths.default([]),
  /** Paths stored only as HMAC-SHA-256 (workspace salt) of their value. */
  hash: paths.default([]),
});

const days = z.number().int().min(0).max(MAX_RETENTION_DAYS);
export const retentionSettingsSchema = z.strictObject({
  /** Days an event is kept after it was received; 0 = forever. */
  eventsDays: days.default(0),
  /** Days a dead-letter row is kept; 0 = forever. */
  deadLettersDays: days.default(0),
});

export const privacySettingsSchema = z.strictObject({
  consent: consentSettingsSchema.optional(),
  pii: piiSettingsSchema.optional(),
  retention: retentionSettingsSchema.optional(),
});

/** What an admin sends (defaults may be left out). */
export type PrivacySettingsInput = z.input<typeof privacySettingsSchema>;
/** The stored, fully defaulted settings. */
export type PrivacySettings = z.output<typeof privacySettingsSchema>;
export type ConsentSettings = z.output<typeof consentSettingsSchema>;
export type ConsentRule = z.output<typeof consentRule>;

/**
 * Reads stored settings. They were validated when written; settings that no
 * longer validate (an upgrade) are reported to the caller, which fails closed.
 */
export function parsePrivacySettings(value: unknown): { ok: true; settings: PrivacySettings } | { ok: false; error: string } {
  if (value === undefined) return { ok: true, settings: {} };
  const parsed = privacySettingsSchema.safeParse(value);
  if (parsed.success) return { ok: true, settings: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, error: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
}
