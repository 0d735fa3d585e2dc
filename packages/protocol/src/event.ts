import { z } from 'zod';
import { DEFAULT_LIMITS } from './limits.js';
import { isPlainObject, type JsonObject } from './json.js';

/**
 * Event schemas (Segment spec). Input types are what clients send; output types
 * are what the API works with: ids as strings, timestamps as epoch ms, null
 * treated as absent.
 *
 * Free-form objects (properties, traits, context, integrations) are checked to be
 * JSON objects but not copied: zod's record parsing would copy every key on the
 * hot path, and an uncopied object cannot be used for prototype pollution.
 */

// DateTime64(3) range in ClickHouse: 1900-01-01 .. 2299-12-31.
const MIN_TS = Date.UTC(1900, 0, 1);
const MAX_TS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Parses an ISO 8601 date-time to epoch ms; a time without zone is UTC. Returns NaN when invalid. */
export function parseIsoDate(value: string): number {
  const m = ISO_DATE.exec(value);
  if (m === null) return NaN;
  let text = value.length > 10 && m[1] === undefined ? `${value}Z` : value;
  if (text.charAt(10) === ' ') text = `${text.slice(0, 10)}T${text.slice(11)}`;
  // Normalise "+0800" and "+08" offsets, which Date.parse does not accept everywhere.
  const zone = m[1];
  if (zone !== undefined && zone.length !== 1 && zone.length !== 6) {
    const digits = zone.slice(1).replace(':', '').padEnd(4, '0');
    text = `${text.slice(0, text.length - zone.length)}${zone[0]}${digits.slice(0, 2)}:${digits.slice(2)}`;
  }
  const ms = Date.parse(text);
  return ms >= MIN_TS && ms <= MAX_TS ? ms : NaN;
}

const isoDate = z.string().transform((value, ctx) => {
  const ms = parseIsoDate(value);
  if (Number.isNaN(ms)) {
    ctx.issues.push({ code: 'custom', input: value, message: 'expected an ISO 8601 date-time between 1900 and 2299' });
    return z.NEVER;
  }
  return ms;
});

/** Segment ids: strings, or numbers that clients send for numeric user ids. null means absent. */
const id = z
  .union([z.string(), z.number().refine(Number.isFinite, 'expected a finite number')], {
    error: 'expected a string or a number',
  })
  .transform((v) => (typeof v === 'number' ? String(v) : v));
const optionalId = id.nullish().transform((v) => v ?? undefined);

function jsonObject<T extends JsonObject = JsonObject>() {
  return z.custom<T>(isPlainObject, { error: 'expected a JSON object' });
}

/** Context fields the platform reads; anything else is kept as sent. */
export interface EventContext {
  traits?: JsonObject;
  device?: { id?: string; [key: string]: unknown };
  externalIds?: Array<{ id: string; type: string; collection?: string; encoding?: string }>;
  consent?: { categoryPreferences?: Record<string, boolean>; [key: string]: unknown };
  consentManagement?: { provider?: string; allowedConsentIds?: string[]; deniedConsentIds?: string[]; [key: string]: unknown };
  library?: { name: string; version: string };
  ip?: string;
  locale?: string;
  timezone?: string;
  userAgent?: string;
  sessionId?: string | number;
  page?: { path?: string; referrer?: string; search?: string; title?: string; url?: string };
  campaign?: { name?: string; source?: string; medium?: string; term?: string; content?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const common = {
  messageId: z
    .string()
    .min(1, 'must not be empty')
    .max(DEFAULT_LIMITS.maxMessageIdLength, `must be at most ${DEFAULT_LIMITS.maxMessageIdLength} characters`)
    .nullish()
    .transform((v) => v ?? undefined),
  userId: optionalId,
  anonymousId: optionalId,
  timestamp: isoDate.nullish().transform((v) => v ?? undefined),
  originalTimestamp: isoDate.nullish().transform((v) => v ?? undefined),
  sentAt: isoDate.nullish().transform((v) => v ?? undefined),
  context: jsonObject<EventContext>().optional(),
  integrations: jsonObject().optional(),
  channel: z.string().nullish().transform((v) => v ?? undefined),
};

const optionalName = z.string().nullish().transform((v) => v ?? undefined);

export const trackSchema = z.object({
  ...common,
  type: z.literal('track'),
  event: z.string().min(1, 'must not be empty'),
  properties: jsonObject().optional(),
});
export const identifySchema = z.object({ ...common, type: z.literal('identify'), traits: jsonObject().optional() });
export const pageSchema = z.object({
  ...common,
  type: z.literal('page'),
  name: optionalName,
  category: optionalName,
  properties: jsonObject().optional(),
});
export const screenSchema = z.object({
  ...common,
  type: z.literal('screen'),
  name: optionalName,
  category: optionalName,
  properties: jsonObject().optional(),
});
export const groupSchema = z.object({ ...common, type: z.literal('group'), groupId: id, traits: jsonObject().optional() });
export const aliasSchema = z.object({ ...common, type: z.literal('alias'), previousId: id });

export const eventSchema = z.discriminatedUnion(
  'type',
  [trackSchema, identifySchema, pageSchema, screenSchema, groupSchema, aliasSchema],
  { error: 'expected one of track, identify, page, screen, group, alias' },
);

/** An event as a client sends it. */
export type EventInput = z.input<typeof eventSchema>;
/** An event after validation: ids are strings, timestamps epoch ms. */
export type Event = z.output<typeof eventSchema>;
export type TrackEvent = z.output<typeof trackSchema>;
export type IdentifyEvent = z.output<typeof identifySchema>;
export type PageEvent = z.output<typeof pageSchema>;
export type ScreenEvent = z.output<typeof screenSchema>;
export type GroupEvent = z.output<typeof groupSchema>;
export type AliasEvent = z.output<typeof aliasSchema>;
export type TrackEventInput = z.input<typeof trackSchema>;
export type IdentifyEventInput = z.input<typeof identifySchema>;
export type PageEventInput = z.input<typeof pageSchema>;
export type ScreenEventInput = z.input<typeof screenSchema>;
export type GroupEventInput = z.input<typeof groupSchema>;
export type AliasEventInput = z.input<typeof aliasSchema>;
