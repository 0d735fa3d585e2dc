import type { z } from 'zod';
import { eventSchema, type Event } from './event.js';
import type { EventType } from './event-types.js';

export interface EventIssue {
  code: 'invalid_event' | 'missing_identity';
  /** Human-readable, names the field. */
  message: string;
  /** Dotted path of the offending field relative to the event, e.g. `context.traits`; '' for the event itself. */
  path: string;
}

export type EventValidation = { ok: true; event: Event } | { ok: false; issue: EventIssue };

/** Formats a zod path the way JavaScript would address it: `batch[3].context.traits`. */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

export function joinPath(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

function describe(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  return where === '' ? issue.message : `${where}: ${issue.message}`;
}

/**
 * Validates one event against the protocol schema. `type` forces the event type
 * (single-event endpoints such as `/v1/track` imply it, as on Segment's API).
 */
export function validateEvent(input: unknown, type?: EventType): EventValidation {
  let candidate = input;
  if (type !== undefined && input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const rec = input as Record<string, unknown>;
    if (rec['type'] !== type) candidate = { ...rec, type };
  }
  const result = eventSchema.safeParse(candidate);
  if (!result.success) {
    const first = result.error.issues[0];
    const path = first === undefined ? '' : formatPath(first.path);
    return {
      ok: false,
      issue: { code: 'invalid_event', message: first === undefined ? 'invalid event' : describe(first), path },
    };
  }
  const event = result.data;
  if (event.type === 'alias') {
    if (!event.userId) return missing('userId', 'alias events need userId (the new id) and previousId');
  } else if (!event.userId && !event.anonymousId) {
    return missing('userId', 'userId or anonymousId is required');
  }
  return { ok: true, event };
}

function missing(path: string, message: string): EventValidation {
  return { ok: false, issue: { code: 'missing_identity', message: `${path}: ${message}`, path } };
}
