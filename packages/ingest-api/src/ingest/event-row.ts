import { createHash } from 'node:crypto';
import type { Event, EventContext, JsonObject } from '@cdp/protocol';
import { isoTime } from '../storage/time.js';

/** Request-level facts shared by every event of a request. */
export interface RequestFacts {
  workspaceId: string;
  keyId: string;
  receivedAt: number;
  /** `receivedAt` as ISO-8601, computed once per request. */
  receivedIso: string;
  /** Batch-level context and integrations: defaults under each event's own. */
  batchContext: EventContext | undefined;
  batchIntegrations: JsonObject | undefined;
  batchSentAt: number | undefined;
  batchSentIso: string | null;
  /** Client IP, set only when IP capture is enabled. */
  ip: string | undefined;
}

/** Top-level merge where the event's own keys win; `__proto__` is never assigned. */
function mergeDefaults<T extends JsonObject>(defaults: JsonObject | undefined, own: T | undefined): T | JsonObject {
  if (defaults === undefined) return own ?? {};
  if (own === undefined) return defaults;
  const out: JsonObject = {};
  for (const k of Object.keys(defaults)) if (k !== '__proto__') out[k] = defaults[k];
  for (const k of Object.keys(own)) if (k !== '__proto__') out[k] = own[k];
  return out;
}

/**
 * How far after its receipt an event time may lie (PostHog's limit): later is a
 * device clock that is wrong, not an event to come, and left as it is it would
 * keep the profile "active" (lifecycle, churn risk) until that date.
 */
export const MAX_FUTURE_MS = 23 * 3_600_000;
/** The earliest event time stored (DateTime64's range starts in 1900; the validator holds given times to it). */
const MIN_TIME = Date.UTC(1900, 0, 1);

/**
 * Event time as Segment computes it: an explicit `timestamp` is trusted; else
 * `originalTimestamp` corrected for the device's clock skew using `sentAt`
 * (receivedAt - (sentAt - originalTimestamp)); else the receive time. A time
 * more than MAX_FUTURE_MS after receipt, or before 1900 (a correction by an
 * absurd sentAt), is replaced by the receive time.
 */
export function eventTime(event: Event, facts: RequestFacts): number {
  const t = claimedTime(event, facts);
  return t > facts.receivedAt + MAX_FUTURE_MS || t < MIN_TIME ? facts.receivedAt : t;
}

function claimedTime(event: Event, facts: RequestFacts): number {
  if (event.timestamp !== undefined) return event.timestamp;
  const original = event.originalTimestamp;
  if (original === undefined) return facts.receivedAt;
  const sentAt = event.sentAt ?? facts.batchSentAt;
  return sentAt === undefined ? original : facts.receivedAt - (sentAt - original);
}

/**
 * A stable messageId for an event that came without one, so a client retry of
 * the same payload is still absorbed by dedup.
 */
export function derivedMessageId(workspaceId: string, raw: unknown, index: number): string {
  return `srv-${createHash('sha256').update(`${workspaceId}\n${index}\n${JSON.stringify(raw)}`).digest('hex').slice(0, 40)}`;
}

/**
 * The events-table row as one JSONEachRow line. Objects are emitted as JSON
 * and ClickHouse stores their raw text in the String columns
 * (input_format_json_read_objects_as_strings), so each event is serialized once.
 */
/** The event's context with batch-level defaults under it (and the client IP when captured). */
export function eventContext(event: Event, facts: RequestFacts): EventContext {
  const context = mergeDefaults(facts.batchContext, event.context) as EventContext;
  return facts.ip !== undefined && context.ip === undefined ? { ...context, ip: facts.ip } : context;
}

export function buildEventRow(event: Event, messageId: string, facts: RequestFacts, context: EventContext, time: number): string {
  const integrations = mergeDefaults(facts.batchIntegrations, event.integrations);
  const sentAt = event.sentAt ?? facts.batchSentAt;
  return JSON.stringify({
    workspace_id: facts.workspaceId,
    message_id: messageId,
    type: event.type,
    event: event.type === 'track' ? event.event : '',
    name: event.type === 'page' || event.type === 'screen' ? (event.name ?? '') : '',
    category: event.type === 'page' || event.type === 'screen' ? (event.category ?? '') : '',
    user_id: event.userId ?? '',
    anonymous_id: event.anonymousId ?? '',
    group_id: event.type === 'group' ? event.groupId : '',
    previous_id: event.type === 'alias' ? event.previousId : '',
    timestamp: isoTime(time),
    sent_at: sentAt === undefined ? null : sentAt === facts.batchSentAt ? facts.batchSentIso : isoTime(sentAt),
    received_at: facts.receivedIso,
    properties: event.type === 'track' || event.type === 'page' || event.type === 'screen' ? (event.properties ?? {}) : {},
    traits: event.type === 'identify' || event.type === 'group' ? (event.traits ?? {}) : {},
    context,
    integrations,
    channel: event.channel ?? '',
    key_id: facts.keyId,
  });
}

/** True when the UTF-8 encoding of `s` is longer than `limit`, encoding only when the length leaves doubt. */
export function utf8Exceeds(s: string, limit: number): boolean {
  // Each UTF-16 code unit is 1 to 3 UTF-8 bytes.
  if (s.length > limit) return true;
  if (s.length * 3 <= limit) return false;
  return Buffer.byteLength(s) > limit;
}
